"""Simulation study: empirical coverage of Charter's nominal 95 % intervals.

For each statistic, each scenario and groups of 30, 100, 1,000 and 10,000 rows,
data sets are drawn from a known population and the share of intervals that
contain the true value is counted. Target: 93-97 % in every cell the gates use.

* Rates, differences, ratios and the group disparities (demographic parity,
  equalized odds, equal opportunity): the group counts are drawn as binomials and
  passed to the very functions ``fairness_report`` / ``evaluate_classification``
  use (their intervals depend on the data only through those counts).
* AUC and MAE (BCa bootstrap): whole data sets through ``evaluate_classification``
  and ``evaluate_regression`` with their default interval settings.

Each cell also prints its Monte Carlo standard error (sqrt(c(1-c)/sims)): a
coverage of 95 % estimated from 2,000 data sets is +/- 0.5 points.

Seeded; a few minutes on two idle cores (11 minutes on a shared, loaded machine).
Every cell outside 93-97 % prints FAIL. Over-coverage (> 97 %) makes intervals wider
than they need be, never a false pass; the exit code is 1 only when a cell is liberal
(below 93 % by more than two Monte Carlo standard errors).

Usage: python benchmarks/bench_coverage.py [--sims N] [--boot-sims N] [--replicates B] [--quick]
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import stats

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from charter.metrics import evaluate_classification, evaluate_regression  # noqa: E402
from charter.metrics.intervals import disparity_interval, katz, newcombe, wilson  # noqa: E402

SIZES = (30, 100, 1_000, 10_000)
LOW, HIGH = 0.93, 0.97
CONFIDENCE = 0.95


@dataclass
class Cell:
    statistic: str
    scenario: str
    size: int
    covered: int
    sims: int

    @property
    def coverage(self) -> float:
        return self.covered / self.sims

    @property
    def se(self) -> float:
        c = self.coverage
        return math.sqrt(max(c * (1 - c), 1e-12) / self.sims)

    @property
    def verdict(self) -> str:
        return "PASS" if LOW <= self.coverage <= HIGH else "FAIL"

    @property
    def liberal(self) -> bool:
        return self.coverage < LOW - 2 * self.se


# ------------------------------------------------------------------ closed-form statistics


def _rate(rng: np.random.Generator, n: int, sims: int, p: float) -> int:
    k = rng.binomial(n, p, sims)
    lo, hi = wilson(k, np.full(sims, n), CONFIDENCE)
    return int(((lo <= p) & (p <= hi)).sum())


def _difference(rng: np.random.Generator, n: int, sims: int, p1: float, p2: float) -> int:
    k1, k2 = rng.binomial(n, p1, sims), rng.binomial(n, p2, sims)
    lo, hi = newcombe(k1, np.full(sims, n), k2, np.full(sims, n), CONFIDENCE)
    d = p1 - p2
    return int(((lo <= d) & (d <= hi)).sum())


def _ratio(rng: np.random.Generator, n: int, sims: int, p1: float, p2: float) -> int:
    k1, k2 = rng.binomial(n, p1, sims), rng.binomial(n, p2, sims)
    lo, hi = katz(k1, np.full(sims, n), k2, np.full(sims, n), CONFIDENCE)
    r = p1 / p2
    return int(((lo <= r) & (r <= hi)).sum())


@dataclass
class Groups:
    """A population: per group, prevalence, TPR and FPR of a binary classifier."""

    prevalence: tuple[float, ...]
    tpr: tuple[float, ...]
    fpr: tuple[float, ...]

    def truth(self, name: str) -> float:
        prev, tpr, fpr = (np.array(a) for a in (self.prevalence, self.tpr, self.fpr))
        sel = prev * tpr + (1 - prev) * fpr
        rng_ = {"sel": sel, "tpr": tpr, "fpr": fpr}

        def diff(v: np.ndarray) -> float:
            return float(v.max() - v.min())

        def ratio(v: np.ndarray) -> float:
            return float(v.min() / v.max())

        return {
            "demographic_parity_difference": diff(rng_["sel"]),
            "demographic_parity_ratio": ratio(rng_["sel"]),
            "equal_opportunity_difference": diff(tpr),
            "equal_opportunity_ratio": ratio(tpr),
            "equalized_odds_difference": max(diff(tpr), diff(fpr)),
            "equalized_odds_ratio": min(ratio(tpr), ratio(fpr)),
        }[name]

    def draw(self, rng: np.random.Generator, n: int) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """Group counts for one data set of ``n`` rows per group (the fairness cells)."""
        prev, tpr, fpr = (np.array(a) for a in (self.prevalence, self.tpr, self.fpr))
        pos = rng.binomial(n, prev)
        neg = n - pos
        tp = rng.binomial(pos, tpr)
        fp = rng.binomial(neg, fpr)
        count = np.full(len(prev), float(n))
        return {"selection_rate": (tp + fp, count), "tpr": (tp, pos), "fpr": (fp, neg)}


DISPARITY_KINDS = {
    "demographic_parity_difference": ("difference", "selection_rate"),
    "demographic_parity_ratio": ("ratio", "selection_rate"),
    "equal_opportunity_difference": ("difference", "tpr"),
    "equal_opportunity_ratio": ("ratio", "tpr"),
    "equalized_odds_difference": ("eo_difference",),
    "equalized_odds_ratio": ("eo_ratio",),
}

SCENARIOS = {
    "2 groups, gap": Groups((0.3, 0.3), (0.70, 0.78), (0.10, 0.14)),
    "2 groups, equal": Groups((0.3, 0.3), (0.75, 0.75), (0.12, 0.12)),
    "5 groups, one apart": Groups((0.3,) * 5, (0.75, 0.75, 0.75, 0.75, 0.60), (0.12, 0.12, 0.12, 0.12, 0.20)),
    "5 groups, spread": Groups((0.2, 0.25, 0.3, 0.35, 0.4), (0.6, 0.65, 0.7, 0.75, 0.8), (0.08, 0.1, 0.12, 0.14, 0.16)),
    "5 groups, equal": Groups((0.3,) * 5, (0.75,) * 5, (0.12,) * 5),
}


def _disparity(rng: np.random.Generator, n: int, sims: int, groups: Groups, name: str) -> int:
    truth = groups.truth(name)
    hit = 0
    for _ in range(sims):
        counts = groups.draw(rng, n)
        lo, hi, _ = disparity_interval(DISPARITY_KINDS[name], counts, CONFIDENCE)
        hit += int(lo - 1e-12 <= truth <= hi + 1e-12)
    return hit


# ------------------------------------------------------------------ bootstrap statistics


def _auc(rng: np.random.Generator, n: int, sims: int, replicates: int) -> int:
    # binormal scores, prevalence 0.3, separation d' = 1.19 (AUC = Phi(d'/sqrt 2) = 0.80)
    d = 1.19
    truth = float(stats.norm.cdf(d / math.sqrt(2)))
    hit = 0
    for i in range(sims):
        y = (rng.random(n) < 0.3).astype(int)
        if y.min() == y.max():
            y[0] = 1 - y[0]
        s = rng.normal(size=n) + d * y
        m = evaluate_classification(y, y_score=s, metrics=["roc_auc"], n_boot=replicates, seed=i)
        ci = m["overall"]["metrics"]["roc_auc"]["ci"]
        hit += int(ci is not None and ci[0] <= truth <= ci[1])
    return hit


def _mae(rng: np.random.Generator, n: int, sims: int, replicates: int) -> int:
    # errors ~ N(0, 1): MAE = sqrt(2 / pi)
    truth = math.sqrt(2 / math.pi)
    hit = 0
    for i in range(sims):
        y = rng.normal(size=n)
        m = evaluate_regression(y, y + rng.normal(size=n), metrics=["mae"], n_boot=replicates, seed=i)
        ci = m["overall"]["metrics"]["mae"]["ci"]
        hit += int(ci is not None and ci[0] <= truth <= ci[1])
    return hit


def _task(task: tuple) -> Cell:
    stat, scen, kind, params, n, sims, seed = task
    rng = np.random.default_rng(seed)
    fn: Callable[..., int] = {"rate": _rate, "difference": _difference, "ratio": _ratio,
                              "auc": _auc, "mae": _mae}.get(kind, _disparity)
    if kind == "disparity":
        return Cell(stat, scen, n, _disparity(rng, n, sims, SCENARIOS[scen], stat), sims)
    return Cell(stat, scen, n, fn(rng, n, sims, *params), sims)


def run(sims: int, boot_sims: int, replicates: int, seed: int, workers: int) -> list[Cell]:
    tasks: list[tuple] = []
    seeds = iter(np.random.SeedSequence(seed).generate_state(1000))

    def add(stat: str, scen: str, kind: str, params: tuple, n_sims: int) -> None:
        for n in SIZES:
            tasks.append((stat, scen, kind, params, n, n_sims, int(next(seeds))))

    add("rate (wilson)", "p = 0.5", "rate", (0.5,), 20 * sims)
    add("rate (wilson)", "p = 0.1", "rate", (0.1,), 20 * sims)
    add("rate (wilson)", "p = 0.02", "rate", (0.02,), 20 * sims)
    add("difference (newcombe)", "0.3 vs 0.4", "difference", (0.3, 0.4), 20 * sims)
    add("difference (newcombe)", "0.05 vs 0.05", "difference", (0.05, 0.05), 20 * sims)
    add("ratio (katz-log)", "0.3 / 0.4", "ratio", (0.3, 0.4), 20 * sims)
    add("ratio (katz-log)", "0.05 / 0.08", "ratio", (0.05, 0.08), 20 * sims)
    for name in DISPARITY_KINDS:
        for scen in SCENARIOS:
            add(name, scen, "disparity", (), sims)
    add("roc_auc (bca)", "AUC 0.80, prevalence 0.3", "auc", (replicates,), boot_sims)
    add("mae (bca)", "normal errors", "mae", (replicates,), boot_sims)
    # the slowest (bootstrap on 10,000 rows) first, so the workers finish together
    order = sorted(range(len(tasks)), key=lambda i: -(tasks[i][4] if tasks[i][2] in ("auc", "mae") else 0))
    if workers > 1:
        from multiprocessing import get_context

        with get_context("spawn").Pool(workers) as pool:
            done = pool.map(_task, [tasks[i] for i in order], chunksize=1)
    else:
        done = [_task(tasks[i]) for i in order]
    back = dict(zip(order, done, strict=True))
    return [back[i] for i in range(len(tasks))]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sims", type=int, default=1000, help="data sets per disparity cell (rates use 20x)")
    ap.add_argument("--boot-sims", type=int, default=200, help="data sets per bootstrap (AUC, MAE) cell")
    ap.add_argument("--replicates", type=int, default=1000, help="bootstrap replicates per interval")
    ap.add_argument("--seed", type=int, default=20261201)
    ap.add_argument("--workers", type=int, default=2, help="processes")
    ap.add_argument("--quick", action="store_true", help="a tenth of the data sets (a smoke run)")
    args = ap.parse_args(argv)
    sims, boot_sims = args.sims, args.boot_sims
    if args.quick:
        sims, boot_sims = max(sims // 10, 20), max(boot_sims // 10, 20)
    t0 = time.perf_counter()
    cells = run(sims, boot_sims, args.replicates, args.seed, args.workers)
    print(f"coverage of nominal {CONFIDENCE:.0%} intervals (target {LOW:.0%}-{HIGH:.0%}); "
          f"+/- is the Monte Carlo standard error")
    print(f"{'statistic':<32} {'scenario':<26} " + " ".join(f"{'n=' + format(n, ','):>17}" for n in SIZES))
    rows: dict[tuple[str, str], list[Cell]] = {}
    for c in cells:
        rows.setdefault((c.statistic, c.scenario), []).append(c)
    fails = 0
    for (stat, scen), row in rows.items():
        txt = []
        for c in row:
            txt.append(f"{100 * c.coverage:5.1f}±{100 * c.se:3.1f} {c.verdict:<4}")
            fails += c.liberal
        print(f"{stat:<32} {scen:<26} " + " ".join(f"{t:>17}" for t in txt))
    over = [c for c in cells if c.coverage > HIGH]
    under = [c for c in cells if c.coverage < LOW]
    print()
    print(f"{len(cells)} cells: {len(cells) - len(over) - len(under)} within target, "
          f"{len(over)} conservative (> {HIGH:.0%}), {len(under)} liberal (< {LOW:.0%})")
    if over:
        print("conservative cells: " + "; ".join(f"{c.statistic} [{c.scenario}] n={c.size} "
                                                 f"{100 * c.coverage:.1f}%" for c in over))
    if under:
        print("liberal cells: " + "; ".join(f"{c.statistic} [{c.scenario}] n={c.size} "
                                            f"{100 * c.coverage:.1f}%" for c in under))
    print("conservative cells are wider than nominal (pairwise intervals with a Bonferroni-adjusted side for "
          "more than two groups; small counts): a verdict may be inconclusive more often, never a false pass")
    print(f"liberal beyond 2 standard errors: {fails}  {'PASS' if not fails else 'FAIL'}")
    print(f"({time.perf_counter() - t0:.0f} s)")
    return 1 if fails else 0


if __name__ == "__main__":
    raise SystemExit(main())
