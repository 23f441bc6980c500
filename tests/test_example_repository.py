"""The example governance repository is itself a test fixture: it must stay valid,
its ledger intact, and its gates decidable."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from charter.validation import validate

ROOT = Path(__file__).resolve().parents[1]


def charter(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "charter", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)


def test_example_repository_is_valid() -> None:
    result = validate(ROOT, use_cache=False)
    assert [d for d in result.diagnostics if d.severity == "error"] == []
    assert result.files >= 13


def test_example_ledger_verifies() -> None:
    out = charter("verify")
    assert out.returncode == 0, out.stdout + out.stderr


def test_example_gates_are_decidable() -> None:
    out = charter("gate", "--format", "json", "--no-fail")
    assert out.returncode == 0, out.stderr
    assert "Traceback" not in out.stderr


def test_example_codeowners_is_current() -> None:
    out = charter("codeowners", "--check")
    assert out.returncode == 0, out.stdout + out.stderr


def test_example_evidence_matches_the_current_specs_data_and_runner_code() -> None:
    """Changing a runner, a spec or a data file without `charter run` leaves the example's
    committed evidence stale; this fails until the evidence is recomputed and committed.
    (Package versions are left out: another machine may have other releases installed.)"""
    from charter.engine.plan import plan_repository
    from charter.engine.store import EvidenceStore
    from charter.loading.loader import load_repository

    repo = load_repository(ROOT)
    store = EvidenceStore(ROOT)
    stale = []
    for job in plan_repository(repo):
        record = store.latest(job.use_case, job.job_id)
        if record is None:
            stale.append(f"{job.use_case}/{job.job_id}: no evidence")
            continue
        want, got = job.inputs, record.inputs
        for field in ("spec_sha256", "data", "runner_version", "seed"):
            if getattr(want, field) != getattr(got, field):
                stale.append(f"{job.use_case}/{job.job_id}: {field} changed")
    assert not stale, "run `charter run` and commit evidence/: " + "; ".join(stale)
