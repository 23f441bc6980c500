"""CI: the example repository, every job of every use case, on a real LocalCluster of 2 worker processes
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


def _copy(dst: Path) -> Path:
    """The governance and every use case (the OKRs name them all), without the committed evidence."""
    shutil.copytree(REPO / "governance", dst / "governance")
    shutil.copytree(REPO / "usecases", dst / "usecases")
    return dst


def _load(root: Path):  # type: ignore[no-untyped-def]
    repo = load_repository(root)
    assert repo.ok, [d.to_dict() for d in repo.errors]
    return repo


def test_the_example_on_a_local_cluster_equals_the_process_pool(tmp_path):
    """On the LocalCluster ``charter run --executor dask`` starts: its workers get the pool's share of the cores
    (the fine-tune's floating-point sums depend on torch's thread count)."""
    local, dask = _copy(tmp_path / "local"), _copy(tmp_path / "dask")
    repo = _load(local)
    every = {(uc.id, job.id) for uc in repo.usecases.values() for job in uc.jobs}
    a = run(repo, jobs=2)
    b = run(_load(dask), jobs=2, backend="dask")
    assert [(r.use_case, r.job, r.status) for r in a.runs] == [(r.use_case, r.job, r.status) for r in b.runs]
    assert {(r.use_case, r.job) for r in a.runs} == every
    assert all(r.status == "pass" for r in a.runs) and not any(r.cached for r in a.runs + b.runs)
    assert_same_evidence(local, dask)
    assert gate_json(local) == gate_json(dask)
