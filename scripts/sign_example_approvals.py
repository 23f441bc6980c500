"""Re-sign every approval of the example with the approvers' fixture keys, keeping dates and notes.

Run after re-recording the example's evidence (from a clean checkout), from the
repository root:

    PYTHONPATH=src .venv/bin/python scripts/sign_example_approvals.py [--dry-run] [--waivers]

For each approval in usecases/*/usecase.yaml it runs
``charter approve USECASE --stage S --by P --role R --key tests/fixtures/keys/P
--date D [--expires E] [--note N] --replace``: the approval is given again on
the current review digest, signed, and replaces the earlier one. ``--waivers``
also re-signs every waiver that names an ``approvedBy`` (``charter approve
USECASE --waiver TICKET --by PERSON --key ...``); waiver signatures do not
depend on evidence, so they only need it after a waiver was edited. The keys under
tests/fixtures/keys/ are published test fixtures (see the README there), so
these signatures demonstrate the mechanism; they prove nobody's approval.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KEYS = ROOT / "tests" / "fixtures" / "keys"


def commands(waivers: bool = False) -> list[list[str]]:
    from charter.loading.loader import load_repository

    repo = load_repository(ROOT)
    out = []
    for uc_id, uc in sorted(repo.usecases.items()):
        granted = {(w.ticket, w.approved_by) for w in uc.waivers if w.approved_by is not None} if waivers else set()
        for ticket, person in sorted(granted):
            out.append([sys.executable, "-m", "charter", "approve", uc_id, "--waiver", ticket, "--by", str(person),
                        "--key", str((KEYS / str(person)).relative_to(ROOT))])
        for a in uc.approvals:
            cmd = [sys.executable, "-m", "charter", "approve", uc_id, "--stage", a.stage, "--by", a.by,
                   "--role", a.role, "--key", str((KEYS / a.by).relative_to(ROOT)), "--date", a.date.isoformat(),
                   "--replace"]
            if a.expires is not None:
                cmd += ["--expires", a.expires.isoformat()]
            if a.note:
                cmd += ["--note", a.note]
            out.append(cmd)
    return out


def main(argv: list[str]) -> int:
    dry = "--dry-run" in argv
    for cmd in commands(waivers="--waivers" in argv):
        print(" ".join(cmd[1:4] + [f"'{c}'" if " " in c else c for c in cmd[4:]]))
        if not dry:
            proc = subprocess.run(cmd, cwd=ROOT, check=False)
            if proc.returncode != 0:
                return proc.returncode
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
