"""Evaluation and fairness on a partitioned Parquet data set: bounded memory, and faster on a 2-worker cluster.

Usage: python benchmarks/bench_dask_partitioned.py [--rows N] [--partitions P] [--dir PATH] [--keep] [--repeat K]

Generates ``--rows`` rows (default 100,000,000) of precomputed predictions with a
seeded generator into ``--partitions`` Parquet files in a temporary folder (or
``--dir``; reused when it already holds a data set of that size), then computes
what the ``evaluate`` (label metrics per slice, scores: ROC AUC, log loss, Brier)
and ``fairness`` jobs compute, through the same functions
(:mod:`charter.jobs.partitioned`, :mod:`charter.metrics.sufficient`):

1. in one process (a fresh interpreter, partitions one after another): wall time
   and peak resident memory (``ru_maxrss``);
2. on the ``LocalCluster`` ``charter run --executor dask`` starts (2 worker
   processes, :func:`charter.engine.dask_executor.open_dask`): the three jobs at once,
   as that run runs independent jobs, blocks of their partitions as tasks: wall time,
   the share of it each worker spent computing, and each worker's peak resident memory.

Both are timed after the same warm-up: imports, then the three jobs on the first two
partitions (a running cluster's workers have run jobs before). With ``--repeat K`` the
two alternate K times (the machine is shared: its speed changes between runs); each
pair's ratio is printed and the best time of each counts.

Targets (PASS/FAIL, exit 1 on any FAIL): peak memory under 1.5 GB in every
process, the cluster at least 1.6x faster than one process, and both giving the
same statistics (equal counts).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

MEMORY_TARGET_MB = 1536
SPEED_TARGET = 1.6
ROOT = Path(__file__).resolve().parent.parent


def generate(folder: Path, rows: int, partitions: int, seed: int = 0) -> None:
    """``rows`` rows in ``partitions`` files; written in chunks so the generator's memory stays small."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder.mkdir(parents=True, exist_ok=True)
    per = -(-rows // partitions)
    regions = np.array(["north", "south", "east", "west", "central"])
    sexes = np.array(["female", "male"])
    ages = np.array(["18-30", "31-50", "51+"])
    seeds = np.random.SeedSequence(seed).spawn(partitions)
    done = 0
    for i in range(partitions):
        n = min(per, rows - done)
        if n <= 0:
            break
        rng = np.random.default_rng(seeds[i])
        with pq.ParquetWriter(folder / f"part-{i:04d}.parquet", _schema(pa)) as w:
            left = n
            while left:
                m = min(left, 1_000_000)
                y = rng.random(m) < 0.3
                sex = rng.integers(0, 2, m)
                score = np.clip(0.3 * y + rng.normal(0.35, 0.2, m) + 0.05 * sex, 0, 1).round(4)
                w.write_table(pa.table({
                    "default": y.astype(np.int8), "score": score, "flagged": (score >= 0.5).astype(np.int8),
                    "sex": sexes[sex], "age_band": ages[rng.choice(3, m, p=[0.3, 0.5, 0.2])],
                    "region": regions[rng.integers(0, 5, m)],
                }, schema=_schema(pa)))
                left -= m
        done += n
    (folder / "_rows").write_text(str(rows))


def _schema(pa: Any) -> Any:
    return pa.schema([("default", pa.int8()), ("score", pa.float64()), ("flagged", pa.int8()),
                      ("sex", pa.string()), ("age_band", pa.string()), ("region", pa.string())])


SPECS = {
    "evaluate-labels": {"label": "default", "score": None, "prediction": "flagged", "threshold": 0.5,
                        "groups": [["region"]], "hist_groups": [], "bins": 1},
    "evaluate-scores": {"label": "default", "score": "score", "prediction": None, "threshold": 0.5,
                        "groups": [["region"]], "hist_groups": [["region"]], "bins": 1 << 16},
    "fairness": {"label": "default", "score": None, "prediction": "flagged", "threshold": 0.5,
                 "groups": [["sex", "age_band"]], "hist_groups": [], "bins": 1},
}


def _one(part: Path, name: str) -> Any:
    from charter.jobs.partitioned import prediction_stats

    return prediction_stats(part, {**SPECS[name], "name": f"'{part.name}'"})


def job(parts: list[Path], name: str, client: Any = None) -> dict[str, Any]:
    """One job: its statistics merged over every partition, and the report computed from them (a summary)."""
    from charter.jobs.partitioned import merge_prediction_stats, reduce_partitions
    from charter.metrics.sufficient import evaluate_from_counts, fairness_from_counts

    (counts,), hists = reduce_partitions(_one, merge_prediction_stats, parts, name, client=client)
    hist = hists[0] if SPECS[name]["score"] else None
    if name == "evaluate-scores":
        counts.counts = {k[:-1] + (1 if k[-1] else 0,): v for k, v in counts.counts.items()}
    if name == "fairness":
        report = fairness_from_counts(counts, ["sex", "age_band"], kind="binary", pos=1, n_boot=1000,
                                      confidence=0.95, seed=0)
        return {"n": report["n"], "groups": [(g["label"], g["count"]) for a in report["attributes"].values()
                                             for g in a["groups"]]}
    report = evaluate_from_counts(counts, hist, kind="binary", classes=[0, 1], pos=1,
                                  slice_columns=["region"], n_boot=1000, confidence=0.95, seed=0)
    return {"n": report["n"], "cm": report["overall"]["confusion_matrix"]["matrix"],
            "metrics": {m: v["value"] for m, v in report["overall"]["metrics"].items()}}


def compute(folder: Path, client: Any = None, first: int | None = None) -> dict[str, Any]:
    """Every job's summary. One process runs the jobs one after another; on the cluster they run at once,
    as ``charter run --executor dask`` runs a use case's independent jobs (each job a task that hands
    its partitions to the cluster)."""
    from concurrent.futures import ThreadPoolExecutor

    from charter.loading.datasets import partitions

    parts = partitions(folder)[:first]
    if client is None:
        return {name: job(parts, name) for name in SPECS}
    with ThreadPoolExecutor(len(SPECS)) as pool:
        return dict(zip(SPECS, pool.map(lambda name: job(parts, name, client), SPECS), strict=True))


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def child(folder: Path) -> int:
    """One process: every partition here, one after another."""
    _warm()
    compute(folder, first=2)
    t0 = time.perf_counter()
    summary = compute(folder)
    print(json.dumps({"seconds": time.perf_counter() - t0, "peak_mb": peak_mb(), "summary": summary}))
    return 0


def _warm() -> None:
    """Imports done before the clock starts. Each run then computes the jobs on two partitions first (each
    worker takes one), so that both are timed as processes that have run these jobs before."""
    import pyarrow.compute  # noqa: F401
    import pyarrow.parquet  # noqa: F401

    import charter.jobs.partitioned  # noqa: F401
    import charter.metrics.sufficient  # noqa: F401


def cluster_run(folder: Path) -> dict[str, Any]:
    """The partitions on the LocalCluster ``charter run --executor dask`` starts (2 worker processes)."""
    from charter.engine.dask_executor import open_dask

    executor = open_dask(None, 2)
    try:
        client = executor.client
        client.run(_warm)  # imports done, as in a worker that has run a job before
        _warm()  # and here, as the one-process run has them done before its clock starts
        compute(folder, client, first=2)  # both warmed by the jobs on two partitions (see _warm)
        from distributed import get_task_stream

        with get_task_stream(client=client) as stream:
            t0 = time.perf_counter()
            summary = compute(folder, client)
            seconds = time.perf_counter() - t0
        peaks = client.run(peak_mb)
        busy: dict[str, float] = {}
        for task in stream.data:
            for span in task["startstops"]:
                if span["action"] == "compute":
                    busy[task["worker"]] = busy.get(task["worker"], 0.0) + span["stop"] - span["start"]
    finally:
        executor.shutdown()
    return {"seconds": seconds, "peak_mb": max(peaks.values()), "summary": summary,
            "busy": sorted(b / seconds for b in busy.values()), "tasks": len(stream.data)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=100_000_000)
    ap.add_argument("--partitions", type=int, default=0, help="default: one per 2,000,000 rows, at least 4")
    ap.add_argument("--dir", type=Path, help="where the data set is written (default: a temporary folder)")
    ap.add_argument("--keep", action="store_true", help="keep the generated data set")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        return child(args.child)
    parts = args.partitions or max(4, args.rows // 2_000_000)
    base = args.dir or Path(tempfile.mkdtemp(prefix="charter-bench-"))
    folder = base / f"scored-{args.rows}"
    try:
        if not (folder / "_rows").exists() or (folder / "_rows").read_text() != str(args.rows):
            shutil.rmtree(folder, ignore_errors=True)
            t0 = time.perf_counter()
            generate(folder, args.rows, parts)
            print(f"generated {args.rows:,} rows in {parts} partitions in {time.perf_counter() - t0:.1f} s")
        size = sum(p.stat().st_size for p in folder.glob("*.parquet"))
        print(f"data set: {args.rows:,} rows, {len(list(folder.glob('*.parquet')))} partitions, "
              f"{size / 2**20:,.0f} MiB on disk")
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), *sys.path])}
        singles, multis = [], []
        for _ in range(max(1, args.repeat)):
            out = subprocess.run([sys.executable, __file__, "--child", str(folder)], capture_output=True,
                                 text=True, env=env, check=False)
            if out.returncode:
                print(out.stderr, file=sys.stderr)
                return 2
            singles.append(json.loads(out.stdout.strip().splitlines()[-1]))
            multis.append(cluster_run(folder))
        single = min(singles, key=lambda r: r["seconds"])
        multi = min(multis, key=lambda r: r["seconds"])
        single["peak_mb"] = max(r["peak_mb"] for r in singles)
        multi["peak_mb"] = max(r["peak_mb"] for r in multis)
    finally:
        if not args.keep and args.dir is None:
            shutil.rmtree(base, ignore_errors=True)
    speed = single["seconds"] / multi["seconds"]
    same = all(s["summary"] == json.loads(json.dumps(m["summary"]))  # the child's came as JSON
               for s, m in zip(singles, multis, strict=True))
    ok_mem = max(single["peak_mb"], multi["peak_mb"]) < MEMORY_TARGET_MB
    ok_speed = speed >= SPEED_TARGET
    rate = args.rows / single["seconds"] / 1e6
    print(f"one process:        {single['seconds']:8.1f} s  ({rate:.1f} M rows/s for 3 jobs)  "
          f"peak {single['peak_mb']:,.0f} MB")
    print(f"LocalCluster (2):   {multi['seconds']:8.1f} s  peak per worker {multi['peak_mb']:,.0f} MB  "
          f"({multi['tasks']} tasks; workers computing {', '.join(f'{b:.0%}' for b in multi['busy'])} of the time)")
    if len(singles) > 1:
        print("pairs (one process / cluster): " + ", ".join(
            f"{s['seconds']:.1f}/{m['seconds']:.1f} s = {s['seconds'] / m['seconds']:.2f}x "
            f"(busy {'/'.join(f'{b:.0%}' for b in m['busy'])})"
            for s, m in zip(singles, multis, strict=True)))
    print(f"peak memory < {MEMORY_TARGET_MB} MB: {'PASS' if ok_mem else 'FAIL'}")
    print(f"cluster speed-up {speed:.2f}x (target >= {SPEED_TARGET}x): {'PASS' if ok_speed else 'FAIL'}")
    print(f"same statistics on both: {'PASS' if same else 'FAIL'}")
    return 0 if ok_mem and ok_speed and same else 1


if __name__ == "__main__":
    raise SystemExit(main())
