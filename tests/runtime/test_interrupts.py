"""Ctrl-C and kill -9 during `charter run`: a quick, quiet exit, complete records, no process left behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import pytest
from hostile_jobs import hostile_repo

from charter.engine.ledger import Ledger
from charter.engine.store import EvidenceStore


class Run:
    """`charter run --force` in a subprocess, its stderr collected line by line."""

    def __init__(self, root: Path, *, own_group: bool = False) -> None:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path), "CI": "1"}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "charter", "run", "--force", "--jobs", "3", "--repo", str(root)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, start_new_session=own_group)
        self.lines: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        self.descendants: list[psutil.Process] = []

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.append(line)

    def wait_for_quick_jobs(self, n: int = 2, timeout: float = 120) -> None:
        """Until ``n`` quick jobs finished (the slow one is then matching values in its worker)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.proc.poll() is None:
            if sum(1 for line in self.lines if "light-a/" in line and ": pass" in line) >= n:
                time.sleep(0.5)
                self.descendants = psutil.Process(self.proc.pid).children(recursive=True)
                return
            time.sleep(0.1)
        raise AssertionError("".join(self.lines) or "the quick jobs did not finish")

    def stderr(self) -> str:
        self.reader.join(10)
        return "".join(self.lines)

    def left_behind(self, timeout: float) -> list[psutil.Process]:
        gone, alive = psutil.wait_procs(self.descendants, timeout=timeout)
        return alive

    def clean_up(self) -> None:
        for p in [*self.descendants, psutil.Process(self.proc.pid)] if self.proc.poll() is None else self.descendants:
            try:
                p.kill()
            except psutil.Error:
                pass
        self.proc.wait(10)


@pytest.fixture
def slow_repo(tmp_path: Path) -> Path:
    # the slow job's pattern backtracks on each of 4,000 values: minutes of matching, far from any budget
    return hostile_repo(tmp_path / "r", jobs_policy={"regexBudgetSeconds": 600}, light=("light-a",))


def _assert_recorded_complete(root: Path) -> None:
    store = EvidenceStore(root)
    stored = list(store.iter_stored())
    assert store.warnings == []
    assert {(s.record.use_case, s.record.job, s.record.status) for s in stored} == {
        ("light-a", "contract", "pass"), ("light-a", "drift", "pass")}  # the slow job in flight: not recorded
    assert [p for p in root.rglob("*") if p.name.endswith(".tmp") or ".tmp" in p.suffixes] == []
    assert Ledger(root).verify(store=store).ok


@pytest.mark.parametrize("whole_group", [False, True], ids=["parent-only", "terminal-ctrl-c"])
def test_ctrl_c_exits_within_2_s_quietly_with_complete_records(slow_repo: Path, whole_group: bool) -> None:
    run = Run(slow_repo, own_group=whole_group)
    try:
        run.wait_for_quick_jobs()
        assert run.descendants, "the run has worker processes"
        t0 = time.monotonic()
        if whole_group:  # what a terminal does: every process of the foreground group gets SIGINT
            os.killpg(run.proc.pid, signal.SIGINT)
        else:
            run.proc.send_signal(signal.SIGINT)
        code = run.proc.wait(timeout=60)
        elapsed = time.monotonic() - t0
        err = run.stderr()
        assert code == 130, err
        assert elapsed < 2.0, f"{elapsed:.1f}s"
        assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
        assert run.left_behind(timeout=3) == []
        _assert_recorded_complete(slow_repo)
    finally:
        run.clean_up()


def test_kill_9_of_the_parent_leaves_no_process_of_the_run(slow_repo: Path) -> None:
    run = Run(slow_repo)
    try:
        run.wait_for_quick_jobs()
        names = {p.pid: " ".join(p.cmdline())[:80] for p in run.descendants}
        assert len(names) >= 2, names  # the forkserver, the resource tracker, the workers
        run.proc.kill()
        run.proc.wait(10)
        alive = run.left_behind(timeout=5)
        assert alive == [], [names.get(p.pid) for p in alive]
        _assert_recorded_complete(slow_repo)
    finally:
        run.clean_up()
