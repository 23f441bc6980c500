"""README command 1 (`scripts/dev.sh site`) on a fresh clone runs no job and leaves `git status` clean.

The install step cannot be repeated here, so the test clones what is committed in this
checkout and runs the steps dev.sh runs after installing (validate, run, build) with the
current interpreter, in the locked environment only.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _off_lock() -> list[str]:
    path = ROOT / "tests" / "test_example_repository.py"
    spec = importlib.util.spec_from_file_location("_example_repository_tests", path)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    off: list[str] = mod._off_lock()
    return off


def _git(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=300)


@pytest.mark.slow
def test_readme_command_1_on_a_fresh_clone_runs_nothing_and_stays_clean(tmp_path: Path) -> None:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    top = _git("rev-parse", "--show-toplevel", cwd=ROOT)
    if top.returncode != 0:
        pytest.skip("not a git checkout: " + top.stderr.strip())
    off = _off_lock()
    if off:
        pytest.skip("not the locked environment (requirements.lock): " + ", ".join(off[:5]))
    clone = tmp_path / "clone"
    cloned = _git("clone", "--quiet", top.stdout.strip(), str(clone), cwd=tmp_path)
    assert cloned.returncode == 0, cloned.stderr
    env = {**os.environ, "PYTHONPATH": str(clone / "src"), "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}

    def charter(*args: str) -> subprocess.CompletedProcess[str]:
        out = subprocess.run([sys.executable, "-m", "charter", *args], cwd=clone, env=env, capture_output=True,
                             text=True, timeout=900)
        assert out.returncode == 0, (args, out.stdout[-3000:], out.stderr[-3000:])
        return out

    charter("validate")
    report = json.loads(charter("run", "--format", "json").stdout)
    ran = [f"{j['useCase']}/{j['job']}: {j.get('why') or j.get('reason') or 'no reason reported'}"
           for j in report["jobs"] if not j["cached"]]
    assert not ran, "jobs re-ran on a fresh clone (commit current evidence/): " + "; ".join(ran)
    assert report["ok"] and report["counts"]["ran"] == 0 and report["counts"]["cached"] == len(report["jobs"]) > 0
    charter("build")
    assert (clone / "build" / "site" / "index.html").is_file()
    status = _git("status", "--porcelain", "--untracked-files=all", cwd=clone)
    assert status.returncode == 0, status.stderr
    assert status.stdout == "", "README command 1 left the clone dirty:\n" + status.stdout[:3000]
