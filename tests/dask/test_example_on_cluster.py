"""CI: the example repository (a reduced copy: three use cases) on a real LocalCluster of 2 worker processes
gives the evidence, ledger entries and gate decisions of the local process pool, byte for byte."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

pytest.importorskip("distributed")

from evidence_compare import assert_same_evidence, gate_json  # noqa: E402

from charter.engine.executor import run  # noqa: E402
from charter.loading.loader import load_repository  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
USE_CASES = ("vendor-fraud-score-audit", "customer-churn-retention", "claims-queue-prioritisation")
"""An audit of precomputed scores, a trained classifier and a ranking model: every phase of the example's jobs."""


def _copy(dst: Path) -> Path:
    """The governance and every use case (the OKRs name them all), without the committed evidence."""
    shutil.copytree(REPO / "governance", dst / "governance")
    shutil.copytree(REPO / "usecases", dst / "usecases")
    return dst


def _load(root: Path):  # type: ignore[no-untyped-def]
    repo = load_repository(root)
    assert repo.ok, [d.to_dict() for d in repo.errors]
    return repo


def test_the_example_on_a_local_cluster_equals_the_process_pool(cluster, tmp_path):
    local, dask = _copy(tmp_path / "local"), _copy(tmp_path / "dask")
    a = run(_load(local), USE_CASES, jobs=2)
    b = run(_load(dask), USE_CASES, jobs=2, backend="dask", scheduler=cluster)
    assert [(r.use_case, r.job, r.status) for r in a.runs] == [(r.use_case, r.job, r.status) for r in b.runs]
    assert len(a.runs) >= 9 and not any(r.cached for r in a.runs + b.runs)
    assert_same_evidence(local, dask)
    assert gate_json(local) == gate_json(dask)
