"""Benchmark: charter.metrics.ranking against ranx, on N (query, item) rows (default 1,000,000).

Workload: Q queries of 50 items each (20,000 by default), relevance grades 0-3,
scores with ties; NDCG, MAP, precision and recall at 5 and 10, and MRR.

References, both in this process on the same data:

* ranx called per query (one ``ranx.evaluate`` per query, as a per-query
  evaluation loop would): the target compares against this;
* ranx called once on all queries (its own numba-parallel bulk path): reported
  for context.

The per-query values of every metric are checked equal (1e-9) to ranx's before
any time is reported; the scores passed to ranx encode charter's documented tie
order (score descending, then item id). Charter's time includes sorting and
ranking the rows. Also timed: the whole computation with 1,000 bootstrap
replicates of every metric and fairness of exposure by a 5-group attribute.

Target (PASS/FAIL, exit code 1 on FAIL): charter's metrics >= 10x faster than ranx per query.

Usage: python benchmarks/bench_ranking.py [--rows N] [--per-query 50] [--replicates B]
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from charter.metrics.ranking import evaluate_ranking, exposure_report, per_query, rank  # noqa: E402

CUTOFFS = [5, 10]
NAMES = [f"{m}@{k}" for m in ("ndcg", "map", "precision", "recall") for k in CUTOFFS] + ["mrr"]


def data(rows: int, per: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    nq = rows // per
    q = np.repeat(np.array([f"q{i:06d}" for i in range(nq)]), per)
    item = np.tile(np.array([f"d{j:03d}" for j in range(per)]), nq)
    grade = rng.integers(0, 4, nq * per).astype(np.float64)
    grade[rng.random(nq * per) < 0.6] = 0
    grade[::per] = np.maximum(grade[::per], 1)  # every query has a relevant item
    score = np.round(grade * 0.3 + rng.random(nq * per), 2)  # two decimals: ties
    group = rng.choice(np.array(["a", "b", "c", "d", "e"]), size=nq * per)
    return q, item, grade, score, group


def ranx_inputs(q, item, grade, score):
    r = rank(q, item, grade, score)
    broken = np.empty(len(q))
    broken[r.order] = 1e6 - r.rank0  # the documented order, without ties
    qrels: dict[str, dict[str, int]] = {}
    run: dict[str, dict[str, float]] = {}
    for a, b, g, s in zip(q.tolist(), item.tolist(), grade.tolist(), broken.tolist()):
        run.setdefault(a, {})[b] = s
        if g >= 1:
            qrels.setdefault(a, {})[b] = int(g)
    return qrels, run


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--per-query", type=int, default=50)
    ap.add_argument("--replicates", type=int, default=1000)
    args = ap.parse_args(argv)
    warnings.filterwarnings("ignore")
    import ranx

    q, item, grade, score, group = data(args.rows, args.per_query)
    nq = len(np.unique(q))
    print(f"{len(q):,} rows, {nq:,} queries; metrics: {', '.join(NAMES)}")

    qrels, run = ranx_inputs(q, item, grade, score)
    qids = sorted(run)
    # warm ranx's numba compilation outside the timings
    ranx.evaluate(ranx.Qrels({qids[0]: qrels[qids[0]]}), ranx.Run({qids[0]: run[qids[0]]}), NAMES)

    t = time.perf_counter()
    values = per_query(rank(q, item, grade, score), CUTOFFS)
    t_charter = time.perf_counter() - t

    t = time.perf_counter()
    bulk = ranx.evaluate(ranx.Qrels(qrels), ranx.Run(run), NAMES, return_mean=False, make_comparable=True)
    t_bulk = time.perf_counter() - t

    t = time.perf_counter()
    loop = {m: np.empty(nq) for m in NAMES}
    for i, qid in enumerate(qids):
        res = ranx.evaluate(ranx.Qrels({qid: qrels[qid]}), ranx.Run({qid: run[qid]}), NAMES)
        for m in NAMES:
            loop[m][i] = res[m]
    t_loop = time.perf_counter() - t

    for m in NAMES:
        np.testing.assert_allclose(values[m], loop[m], atol=1e-9, rtol=0, err_msg=f"{m} vs ranx per query")
        np.testing.assert_allclose(values[m], np.asarray(bulk[m], dtype=float), atol=1e-9, rtol=0,
                                   err_msg=f"{m} vs ranx bulk")
    print("values: equal to ranx (per query and bulk) to 1e-9 for every metric and query")

    t = time.perf_counter()
    rep = evaluate_ranking(q, item, grade, score, cutoffs=CUTOFFS, n_boot=args.replicates, seed=0)
    exposure_report(rep["ranked"], group, keep=rep["keep"], cutoff=10, n_boot=args.replicates, seed=1)
    t_full = time.perf_counter() - t

    ratio = t_loop / t_charter
    print(f"charter metrics (sort + rank + 9 metrics):   {t_charter:8.3f} s")
    print(f"ranx per query ({nq:,} evaluate calls):       {t_loop:8.3f} s   ratio {ratio:,.0f}x")
    print(f"ranx bulk (one call, numba parallel):         {t_bulk:8.3f} s   ratio {t_bulk / t_charter:,.1f}x")
    print(f"charter with {args.replicates} bootstrap replicates + exposure: {t_full:8.3f} s")
    ok = ratio >= 10
    print(f"{'PASS' if ok else 'FAIL'}: charter >= 10x faster than ranx per query ({ratio:,.0f}x)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
