"""Runners are deterministic for their inputs: every example job, run twice, gives identical results.

Reproduction (`charter run --changed-since`) relies on it: a difference between the committed record and
a re-run is evidence of forgery only if an honest re-run reproduces the record byte for byte. Lineage
and timing (commit, machine, when, how long) are ignored; a runner that cannot be deterministic says so
in its records (``deterministic: false``) and the policy's ``reproduction`` setting decides.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from charter.engine.executor import run
from charter.engine.reproduce import comparable
from charter.engine.store import EvidenceStore
from charter.loading.loader import load_repository

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def _results(root: Path) -> dict[tuple[str, str], bytes]:
    store = EvidenceStore(root)
    out = {}
    for (uc, job, eid), _run in store.ledger_index().current.items():
        rec = store.get(uc, job, eid)
        assert rec is not None, f"{uc}/{job} has no trusted record"
        out[(uc, job)] = json.dumps(comparable(rec), sort_keys=True).encode()
    return out


def test_every_example_job_gives_identical_results_twice(tmp_path):
    root = tmp_path / "example"
    for name in ("governance", "usecases"):
        shutil.copytree(ROOT / name, root / name)
    first = run(load_repository(root), jobs=2)
    assert first.ok, [(r.use_case, r.job, r.reason) for r in first.runs if r.status != "pass"]
    once = _results(root)
    second = run(load_repository(root), force=True, jobs=2)
    assert second.ok
    assert all(not r.cached for r in second.runs)
    twice = _results(root)
    assert set(once) == set(twice) and len(once) == len(first.runs)
    differ = sorted(k for k in once if once[k] != twice[k])
    assert differ == [], f"not deterministic: {differ}"
