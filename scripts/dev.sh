#!/usr/bin/env bash
# One entry point for a fresh machine with Python >= 3.11:
#   scripts/dev.sh site          install (from the lock), run the example's jobs, build the governance site
#   scripts/dev.sh test          install (from the lock) and run the test suite (what CI runs)
#   scripts/dev.sh test-latest   the test suite against the newest versions pyproject allows (own venv)
#   scripts/dev.sh lock          rewrite requirements.lock from the current environment
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
MODE=${1:-}
VENV=${CHARTER_VENV:-.venv}
CONSTRAINTS=(-c requirements.lock)
if [ "$MODE" = test-latest ]; then
  # Users elsewhere get pyproject's ranges: this checks the suite still passes there.
  VENV=${CHARTER_LATEST_VENV:-.venv-latest}
  CONSTRAINTS=()
fi
if [ ! -x "$VENV/bin/python" ]; then
  "$PYTHON" -m venv "$VENV"
fi
PIP=("$VENV/bin/python" -m pip --disable-pip-version-check -q)

# torch's default Linux wheel bundles CUDA (several GB). Pin the CPU-sized release
# that the project is tested with; where that pin is unavailable, the extra's
# range (torch>=2.2) picks whatever the platform offers.
if [ "$MODE" != lock ] && ! "$VENV/bin/python" -c "import torch" 2>/dev/null; then
  "${PIP[@]}" install "torch==2.13.0" || echo "note: torch==2.13.0 unavailable here; using the platform's default" >&2
fi

case "$MODE" in
  site)
    # The lock holds the versions the committed evidence was produced with, so a
    # fresh clone finds every job current and stays clean.
    "${PIP[@]}" install -e ".[all]" "${CONSTRAINTS[@]}"
    "$VENV/bin/charter" validate
    # A fresh clone's jobs are all current: say so in one line rather than a table of 'cached'.
    if ! run_out=$("$VENV/bin/charter" run 2>&1); then
      printf '%s\n' "$run_out"
      exit 1
    fi
    if grep -q '; 0 ran, ' <<<"$run_out"; then
      echo "evidence current, nothing re-ran: $(grep -E '^[0-9]+ job\(s\):' <<<"$run_out" | tail -n 1)"
    else
      printf '%s\n' "$run_out"
      echo "note: jobs re-ran and recorded new evidence under evidence/ (see git status)"
    fi
    "$VENV/bin/charter" build
    echo "site built: build/site/index.html  (preview: $VENV/bin/charter serve)"
    ;;
  test|test-latest)
    "${PIP[@]}" install -e ".[dev]" "${CONSTRAINTS[@]}"
    shift
    "$VENV/bin/python" -m pytest -q -n 2 "$@"
    ;;
  lock)
    {
      echo "# Exact versions the example's committed evidence was produced with (pip constraints)."
      echo "# scripts/dev.sh installs from this file; regenerate with: scripts/dev.sh lock"
      "$VENV/bin/python" -m pip freeze --exclude-editable | sed -E 's/^(torch==[0-9.]+)\+cpu$/\1/'
    } > requirements.lock
    echo "wrote requirements.lock"
    ;;
  *)
    echo "usage: scripts/dev.sh site|test|test-latest|lock [pytest args]" >&2
    exit 2
    ;;
esac
