"""Simulation study: false-fail and false-pass rates of each gate rule.

For 1,000 simulated data sets per scenario, every gated comparison is judged by
Charter's own judging code (``kinds.requirements.base.judge_value``, ``combine``
and ``control_fdr``) on intervals computed by the functions the jobs use
(``fairness_report`` for disparities, the Wilson interval for a slice's
accuracy). Four rules:

* ``point``: the point estimate decides (two outcomes);
* ``bound``: the pessimistic bound of the 95 % interval decides (two outcomes);
* ``three-way``: pass when the whole interval meets the limit, fail when it lies
  wholly beyond, inconclusive otherwise (fails closed; the default);
* ``three-way + BH``: as three-way, with Benjamini–Hochberg over the gate's
  comparisons (q = 0.05): a fail must also be a discovery.

Gates (each a requirement whose comparisons must all pass):

* ``dp-2``: demographic parity difference ≤ 0.1, two groups of 500 (rates 0.3);
* ``dp-ref-6``: demographic parity difference ≤ 0.1 over six groups of 400, max−min
  and each group against the reference group (six comparisons);
* ``slices-10``: accuracy ≥ 0.8 on ten slices of 1,000 rows (``slice: "region=*"``).

Scenarios:

* **no effect**: the groups have equal rates (disparity 0), the slices the
  overall accuracy 0.85: a gate that fails is a false fail;
* **at the limit**: the true disparity is exactly 0.1 (each group 0.1 above the
  reference), every slice's accuracy exactly 0.8. The limits are inclusive, so a
  fail is still false; a pass is a false pass (nothing shows the truth within).

Reported per cell: the share of data sets whose gate fails (decisive fail),
is inconclusive (blocks, fail closed) and passes. Targets (α = 0.05): the decisive
false-fail rate of the interval-decided rules (three-way, three-way + BH) under no
effect ≤ α + 0.01; with BH also at the limit (the global null: FDR = FWER ≤ q);
the false-pass rate at the limit of the bound and three-way rules ≤ α/2 + 0.01.
The point and bound rules claim no error rate for their fails and have no
false-fail target; their figures show what the interval rules buy.

Seeded; about 40 s of CPU (7 minutes on the loaded development machine). Exit code 1 when
a target is missed.

Usage: python benchmarks/bench_false_fail.py [--sims N] [--seed S]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from charter.evidence.records import Estimate  # noqa: E402
from charter.kinds.requirements.base import Basis, Part, Verdicts, combine, control_fdr, judge_value  # noqa: E402
from charter.metrics import fairness_report  # noqa: E402
from charter.metrics.intervals import wilson  # noqa: E402

CONFIDENCE = 0.95
ALPHA = 1 - CONFIDENCE
Q = 0.05
RULES = ("point", "bound", "three-way", "three-way + BH")


@dataclass
class Comparison:
    label: str
    estimate: Estimate
    constraints: list[tuple[str, float, str]]
    gib: bool
    rows: int


def _basis(rule: str) -> Basis:
    return Basis(use_interval=rule == "bound", limit_from="policy", confidence=CONFIDENCE,
                 inconclusive="decide" if rule in ("point", "bound") else "fail-closed")


def gate_status(comparisons: list[Comparison], rule: str) -> str:
    """The requirement's status under one rule, judged by the gate's own code."""
    basis = _basis(rule)
    parts: list[Part] = [judge_value(c.label, "statistic", c.estimate, c.constraints, basis, c.gib, (), [],
                                     rows=c.rows) for c in comparisons]
    if rule == "three-way + BH":
        control_fdr(parts, Verdicts("fail-closed", "policy", "benjamini-hochberg", Q, "policy"), basis)
    return combine(parts, what="comparisons").status


# --- gates ------------------------------------------------------------------------------------


def _est(d: dict) -> Estimate:
    ci = d.get("ci")
    return Estimate(value=d["value"], low=ci[0] if ci else None, high=ci[1] if ci else None)


def dp_gate(rates: list[float], n: int, reference: bool) -> Callable[[np.random.Generator], list[Comparison]]:
    """Demographic parity difference ≤ 0.1 over groups of n rows with the given selection rates."""
    labels = [f"g{i}" for i in range(len(rates))]
    groups = np.repeat(np.array(labels, dtype=object), n)
    y_true = np.zeros(len(groups), dtype=int)
    limit = [("<=", 0.1, "max")]
    views = {"g": [{"min_group_size": 30, "reference_group": "g0"}]} if reference else None

    def draw(rng: np.random.Generator) -> list[Comparison]:
        y_pred = np.concatenate([(rng.random(n) < r).astype(int) for r in rates])
        attr = fairness_report(y_true, y_pred, {"g": groups}, disparities=["demographic_parity_difference"],
                               intersections=False, min_group_size=30, n_boot=1, confidence=CONFIDENCE,
                               views=views)["attributes"]["g"]
        view = attr["views"][-1]
        out = [Comparison("max-min", _est(view["disparities"]["demographic_parity_difference"]), limit, False,
                          n * len(rates))]
        if reference:
            for c in view["reference"]["comparisons"]:
                out.append(Comparison(c["group"], _est(c["disparities"]["demographic_parity_difference"]), limit,
                                      False, 2 * n))
        return out

    return draw


def slice_gate(accuracy: float, slices: int, n: int) -> Callable[[np.random.Generator], list[Comparison]]:
    """Accuracy ≥ 0.8 on each slice (Wilson interval, as the evaluate job records a rate)."""
    limit = [(">=", 0.8, "min")]

    def draw(rng: np.random.Generator) -> list[Comparison]:
        k = rng.binomial(n, accuracy, size=slices)
        lo, hi = wilson(k, np.full(slices, n), CONFIDENCE)
        return [Comparison(f"region={i}", Estimate(value=k[i] / n, low=float(lo[i]), high=float(hi[i])), limit,
                           True, n) for i in range(slices)]

    return draw


GATES = {
    "dp-2": {"no effect": dp_gate([0.3, 0.3], 500, False), "at the limit": dp_gate([0.3, 0.4], 500, False)},
    "dp-ref-6": {"no effect": dp_gate([0.3] * 6, 400, True),
                 "at the limit": dp_gate([0.3] + [0.4] * 5, 400, True)},
    "slices-10": {"no effect": slice_gate(0.85, 10, 1000), "at the limit": slice_gate(0.8, 10, 1000)},
}


def run(sims: int, seed: int) -> dict[tuple[str, str, str], dict[str, float]]:
    out: dict[tuple[str, str, str], dict[str, float]] = {}
    for gi, (gate, scenarios) in enumerate(GATES.items()):
        for si, (scenario, draw) in enumerate(scenarios.items()):
            rng = np.random.default_rng([seed, gi, si])
            counts = {rule: {"pass": 0, "fail": 0, "inconclusive": 0} for rule in RULES}
            for _ in range(sims):
                comparisons = draw(rng)
                for rule in RULES:
                    counts[rule][gate_status(comparisons, rule)] += 1
            for rule in RULES:
                out[(gate, scenario, rule)] = {k: v / sims for k, v in counts[rule].items()}
    return out


def targets(results: dict[tuple[str, str, str], dict[str, float]]) -> list[tuple[str, float, float, bool]]:
    """(what, measured, target, met) for every target."""
    checks = []
    for gate in GATES:
        for rule in ("three-way", "three-way + BH"):
            if rule == "three-way + BH" and gate == "dp-2":
                continue  # one comparison: BH changes nothing
            ff = results[(gate, "no effect", rule)]["fail"]
            checks.append((f"{gate} {rule}: false fail, no effect", ff, ALPHA + 0.01, ff <= ALPHA + 0.01))
        if gate != "dp-2":
            ff = results[(gate, "at the limit", "three-way + BH")]["fail"]
            checks.append((f"{gate} three-way + BH: false fail, at the limit", ff, ALPHA + 0.01, ff <= ALPHA + 0.01))
        for rule in ("bound", "three-way"):
            fp = results[(gate, "at the limit", rule)]["pass"]
            checks.append((f"{gate} {rule}: false pass, at the limit", fp, ALPHA / 2 + 0.01, fp <= ALPHA / 2 + 0.01))
    return checks


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sims", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=20261201)
    args = ap.parse_args()
    t0 = time.perf_counter()
    results = run(args.sims, args.seed)
    print(f"{args.sims} data sets per scenario, {time.perf_counter() - t0:.1f} s\n")
    print(f"{'gate':<10} {'scenario':<13} {'rule':<15} {'fail':>7} {'inconcl.':>9} {'pass':>7}")
    for (gate, scenario, rule), r in results.items():
        print(f"{gate:<10} {scenario:<13} {rule:<15} {r['fail']:>7.3f} {r['inconclusive']:>9.3f} {r['pass']:>7.3f}")
    print()
    ok = True
    for what, measured, target, met in targets(results):
        ok &= met
        print(f"{'PASS' if met else 'FAIL'}  {what}: {measured:.3f} (target ≤ {target:.3f})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
