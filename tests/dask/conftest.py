"""Fixtures for the distributed-executor tests: ``repo_builder`` by name and one real LocalCluster.

The cluster (2 worker processes, one thread each) is started once per module and
shared; its scheduler gives a task up the first time the worker running it dies
(``allowed-failures: 0``), so a killed worker is seen at once.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

_here = Path(__file__).parent
for _name, _path in (("repo_builder", _here.parent / "engine" / "repo_builder.py"),
                     ("hostile_jobs", _here.parent / "runtime" / "hostile_jobs.py"),
                     ("evidence_compare", _here / "evidence_compare.py"),
                     ("partition_data", _here / "partition_data.py")):
    if _name not in sys.modules:
        _spec = importlib.util.spec_from_file_location(_name, _path)
        assert _spec is not None and _spec.loader is not None
        _mod = importlib.util.module_from_spec(_spec)
        sys.modules[_name] = _mod
        _spec.loader.exec_module(_mod)


@pytest.fixture(scope="module")
def cluster() -> Iterator[str]:
    """The address of a LocalCluster of 2 worker processes."""
    dask = pytest.importorskip("dask")
    distributed = pytest.importorskip("distributed")
    with dask.config.set({"distributed.scheduler.allowed-failures": 0, "distributed.worker.profile.enabled": False}):
        c = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                     silence_logs=50)
    try:
        yield c.scheduler_address
    finally:
        c.close()
