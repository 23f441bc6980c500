"""Interrupted runs leave nothing behind: staging folders of a killed run are removed
by the next one, and a concurrent run's are not."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from charter.engine.store import STAGING_DIR, EvidenceStore

# A run killed with kill -9 while a job is writing its artifacts.
KILLED = """
import os, signal, sys
from pathlib import Path
from charter.engine.store import EvidenceStore
staging = EvidenceStore(Path(sys.argv[1])).staging_dir("a" * 64)
(staging / "model.joblib").write_bytes(b"half written")
print(staging.name, flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""


def _staging_of_killed_run(root: Path) -> str:
    out = subprocess.run([sys.executable, "-c", KILLED, str(root)], capture_output=True, text=True, timeout=60,
                         env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert out.returncode == -signal.SIGKILL, out.stderr
    return out.stdout.strip()


def test_next_run_removes_staging_left_by_a_killed_run_but_not_a_live_one(tmp_path: Path) -> None:
    leaked = _staging_of_killed_run(tmp_path)
    base = tmp_path / ".charter/artifacts" / STAGING_DIR
    assert (base / leaked / "model.joblib").exists()
    # a concurrent run, alive: its job is still writing
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        live = base / f"{'b' * 16}-pid{sleeper.pid}-x1y2z3"
        live.mkdir()
        foreign = base / "kept-by-someone-else"  # not named by Charter: left alone
        foreign.mkdir()
        mine = EvidenceStore(tmp_path).staging_dir("c" * 64)  # the next run's first job
        assert not (base / leaked).exists()
        assert live.is_dir() and foreign.is_dir() and mine.is_dir()
        assert EvidenceStore(tmp_path).clean_staging() == []  # its own folder is live too
    finally:
        sleeper.kill()
        sleeper.wait()
    assert EvidenceStore(tmp_path).clean_staging() == [live.name]
