#!/usr/bin/env bash
# One entry point for a fresh machine with Python >= 3.11:
#   scripts/dev.sh site   install, run the example's jobs, build the governance site
#   scripts/dev.sh test   install and run the test suite
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
VENV=${CHARTER_VENV:-.venv}
if [ ! -x "$VENV/bin/python" ]; then
  "$PYTHON" -m venv "$VENV"
fi
PIP=("$VENV/bin/python" -m pip --disable-pip-version-check -q)

# torch's default Linux wheel bundles CUDA (several GB). Pin the CPU-sized release
# that the project is tested with; where that pin is unavailable, the extra's
# range (torch>=2.2) picks whatever the platform offers.
if ! "$VENV/bin/python" -c "import torch" 2>/dev/null; then
  "${PIP[@]}" install "torch==2.13.0" || echo "note: torch==2.13.0 unavailable here; using the platform's default" >&2
fi

case "${1:-}" in
  site)
    "${PIP[@]}" install -e ".[all]"
    "$VENV/bin/charter" validate
    "$VENV/bin/charter" run
    "$VENV/bin/charter" build
    echo "site built: build/site/index.html  (preview: $VENV/bin/charter serve)"
    ;;
  test)
    "${PIP[@]}" install -e ".[dev]"
    shift
    "$VENV/bin/python" -m pytest -q -n 2 "$@"
    ;;
  *)
    echo "usage: scripts/dev.sh site|test [pytest args]" >&2
    exit 2
    ;;
esac
