"""Training jobs of 200 use cases on a 2-worker LocalCluster vs the local process pool: scheduling overhead.

Usage: python benchmarks/bench_dask_scheduling.py [--usecases N] [--small] [--rows R] [--workers W] [--repeat K]

Builds a repository of ``--usecases`` use cases (default 200) in a temporary folder,
each with one ``sklearn-train`` job, copies it, and runs ``charter run --force`` on
those use cases in a fresh process, timed end to end (interpreter start, planning,
every job, writing every record):

* by default the jobs are the example repository's own training jobs: use case
  ``i`` is a copy of the ``i``-th of the example's five use cases that train a
  model (its data, read where the example keeps it, and its ``train`` job; the
  example's governance); they take 0.1-1.5 s each, as the example's records show;
* with ``--small`` each trains a logistic regression on ``--rows`` synthetic rows
  (default 300): jobs of 30-60 ms, where a fixed cost per job weighs most.

The three ways to run them:

1. with the process pool (``--jobs W``): the reference;
2. on a running cluster (``--executor dask --scheduler ADDRESS``): a LocalCluster of
   W worker processes started as :func:`charter.engine.dask_executor.open_dask`
   starts one, fresh for each run (its workers import the job packages during the
   run, as the pool's do) but before the clock starts — an organisation's cluster
   is running before ``charter run`` is;
3. with the cluster started by the run (``--executor dask --jobs W``): reported,
   with the share of it that starting the cluster takes.

With ``--repeat K`` the three alternate K times and the best wall time of each
counts (the machine is shared: load changes between runs).

Target (PASS/FAIL, exit 1 on FAIL): the scheduling overhead — run 2's extra wall
time over run 1 (submitting every job to the scheduler, collecting its record) —
under 10 % of the process pool's wall time. All runs must record the same evidence.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

TARGET = 0.10
ROOT = Path(__file__).resolve().parent.parent


def _load(name: str, path: Path) -> Any:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


def build_small(root: Path, usecases: int, rows: int) -> list[str]:
    """``usecases`` synthetic use cases, each training a logistic regression on ``rows`` rows; their ids."""
    rb = _load("repo_builder", ROOT / "tests" / "engine" / "repo_builder.py")
    rb.build_repo(root)
    for i in range(usecases):
        uc = f"uc-{i:03d}"
        spec = rb.credit_usecase(uc)
        spec["data"] = spec["data"][:1]
        spec["data"][0].pop("contract")
        spec["jobs"] = [j for j in spec["jobs"] if j["runner"] == "sklearn-train"]
        rb.write_frame(root, uc, "data/applications.csv", rb.credit_frame(rows, seed=i))
        rb.write_usecase(root, spec)
    return [f"uc-{i:03d}" for i in range(usecases)]


def example_training_usecases() -> list[str]:
    """The example's use cases with a ``sklearn-train`` job, by id."""
    from ruamel.yaml import YAML

    yaml = YAML(typ="safe")
    return sorted(p.parent.name for p in (ROOT / "usecases").glob("*/usecase.yaml")
                  if any(j.get("runner") == "sklearn-train" for j in yaml.load(p.read_text()).get("jobs", [])))


def build_example(root: Path, usecases: int) -> list[str]:
    """The example's governance and use cases, plus ``usecases`` copies of its training use cases (their
    ``train`` job only, their data read from the original's folder); returns the copies' ids."""
    from ruamel.yaml import YAML

    yaml = YAML()
    shutil.copytree(ROOT / "governance", root / "governance")
    shutil.copytree(ROOT / "usecases", root / "usecases")  # the OKRs name every one of them
    sources = example_training_usecases()
    ids = []
    for i in range(usecases):
        src = sources[i % len(sources)]
        spec = yaml.load((ROOT / "usecases" / src / "usecase.yaml").read_text())
        uc = f"{src}-{i:03d}"
        spec["id"] = uc
        spec["jobs"] = [j for j in spec["jobs"] if j["runner"] == "sklearn-train"]
        for signed in ("approvals", "waivers"):  # signed for the original use case: a copy has none
            spec.pop(signed, None)
        for source in spec.get("data", []):
            source["path"] = f"../{src}/{source['path']}"
        (root / "usecases" / uc).mkdir()
        with (root / "usecases" / uc / "usecase.yaml").open("w") as f:
            yaml.dump(spec, f)
        ids.append(uc)
    return ids


def timed_run(root: Path, ids: list[str], *args: str) -> tuple[float, dict[str, Any]]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), *sys.path]), "CI": "1"}
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "charter", "run", "--force", "--repo", str(root), "-f", "json",
                          *args, *ids], capture_output=True, text=True, env=env, check=False)
    elapsed = time.perf_counter() - t0
    if out.returncode not in (0, 1):
        raise SystemExit(f"charter run {' '.join(args)} failed ({out.returncode}):\n{out.stderr[-3000:]}")
    return elapsed, json.loads(out.stdout)


def fresh_cluster(workers: int) -> Any:
    """A running LocalCluster as ``charter run --executor dask`` starts one (the caller closes it)."""
    sys.path.insert(0, str(ROOT / "src"))
    from charter.engine.dask_executor import open_dask

    return open_dask(None, workers)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--usecases", type=int, default=200)
    ap.add_argument("--small", action="store_true", help="synthetic 30-60 ms jobs instead of the example's")
    ap.add_argument("--rows", type=int, default=300, help="rows of each --small use case")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args()
    base = Path(tempfile.mkdtemp(prefix="charter-bench-sched-"))
    try:
        pool_repo, dask_repo, own_repo = base / "pool", base / "dask", base / "own"
        ids = build_small(pool_repo, args.usecases, args.rows) if args.small else \
            build_example(pool_repo, args.usecases)
        shutil.copytree(pool_repo, dask_repo)
        shutil.copytree(pool_repo, own_repo)
        compare = _load("evidence_compare", ROOT / "tests" / "dask" / "evidence_compare.py")
        pool_times, dask_times, own_times, starts = [], [], [], []
        same = False
        for i in range(max(1, args.repeat)):
            pool_s, pool = timed_run(pool_repo, ids, "--jobs", str(args.workers))
            t0 = time.perf_counter()
            cluster = fresh_cluster(args.workers)
            starts.append(time.perf_counter() - t0)
            try:
                dask_s, dask = timed_run(dask_repo, ids, "--executor", "dask", "--scheduler", cluster.address)
            finally:
                cluster.shutdown()
            own_s, own = timed_run(own_repo, ids, "--executor", "dask", "--jobs", str(args.workers))
            pool_times.append(pool_s)
            dask_times.append(dask_s)
            own_times.append(own_s)
            if i == 0:  # compared after the first runs (later forced runs add records of the same ids)
                try:
                    compare.assert_same_evidence(pool_repo, dask_repo)
                    compare.assert_same_evidence(pool_repo, own_repo)
                    same = True
                except AssertionError:
                    same = False
        pool_s, dask_s, own_s = min(pool_times), min(dask_times), min(own_times)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    job_s = sum(j["durationS"] for j in pool["jobs"])
    dask_job_s = sum(j["durationS"] for j in dask["jobs"])
    overhead = (dask_s - pool_s) / pool_s
    passed = (pool["counts"]["pass"], dask["counts"]["pass"], own["counts"]["pass"])
    ok = overhead < TARGET and same and passed == (args.usecases,) * 3

    def runs(times: list[float]) -> str:
        return ", ".join(f"{t:.1f}" for t in times)

    import statistics

    kind = f"synthetic ({args.rows} rows each)" if args.small else "the example's"
    median_ms = statistics.median(j["durationS"] for j in pool["jobs"]) * 1000
    print(f"{args.usecases} training jobs, {kind}, {args.workers} workers (median job {median_ms:.0f} ms; sum of "
          f"job times: {job_s:.1f} s on the pool, {dask_job_s:.1f} s on the running cluster)")
    print(f"process pool:               {pool_s:7.1f} s wall  ({passed[0]} passed; runs: {runs(pool_times)} s)")
    print(f"running LocalCluster:       {dask_s:7.1f} s wall  ({passed[1]} passed; runs: {runs(dask_times)} s)")
    print(f"LocalCluster started by the run: {own_s:4.1f} s wall  ({passed[2]} passed; runs: {runs(own_times)} s; "
          f"starting a cluster takes {min(starts):.1f} s)")
    print(f"scheduling overhead {overhead:+.1%} of the pool's wall time (target < {TARGET:.0%}): "
          f"{'PASS' if overhead < TARGET else 'FAIL'}; with the cluster's start {(own_s - pool_s) / pool_s:+.1%}; "
          f"{(dask_s - pool_s) / args.usecases * 1000:+.1f} ms of wall time a job")
    print(f"same evidence: {'PASS' if same else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
