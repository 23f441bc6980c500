"""Benchmark: charter.metrics.fairness_report against fairlearn's MetricFrame.

Workload: N rows (default 1,000,000), binary labels and predictions, two sensitive
attributes - sex (2 values) and age_band (5 values) - and their intersection
(10 groups), six group metrics (selection_rate, tpr, fpr, fnr, precision,
accuracy) with their differences and ratios.

fairlearn needs one MetricFrame per attribute (sex, age_band, sex x age_band);
charter computes all three in one call. Both run in this process on the same
data, and the values are checked to be identical (1e-9) before any time is
reported.

Targets (PASS/FAIL, exit code 1 on any FAIL):
  * charter's point computation is >= 50x faster than the MetricFrame calls for
    the same attributes;
  * charter with 1,000 bootstrap replicates of every disparity (the whole call)
    takes less time than the fastest single MetricFrame call.

  * with ``--before SRC`` (the source tree of an earlier version): the interval
    workload (fairness_report and evaluate_classification with their bootstrap
    replicates, on the same data) costs at most 2x what it cost with SRC; both are
    timed in fresh processes in this run.

Usage: python benchmarks/bench_fairness.py [--rows N] [--replicates B] [--repeat R] [--before SRC]
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import sklearn.metrics as skm  # noqa: E402
from fairlearn.metrics import (  # noqa: E402
    MetricFrame,
    false_negative_rate,
    false_positive_rate,
    selection_rate,
    true_positive_rate,
)

from charter.metrics import fairness_report  # noqa: E402

SPEEDUP_TARGET = 50.0
INTERVAL_COST_TARGET = 2.0

# The interval workload, run in a fresh process against one source tree (old or new).
_INTERVAL_WORKLOAD = """
import json, sys, time
import numpy as np, pandas as pd
from charter.metrics import evaluate_classification, fairness_report
rows, eval_rows, reps, repeat = (int(a) for a in sys.argv[1:5])
rng = np.random.default_rng(0)
sex = rng.choice(["female", "male"], rows)
band = rng.choice(["18-25", "26-35", "36-45", "46-60", "60+"], rows)
yt = (rng.random(rows) < 0.3).astype(int)
yp = np.where(rng.random(rows) < 0.2, 1 - yt, yt)
sf = pd.DataFrame({"sex": sex, "age_band": band})
score = np.clip(yt * 0.35 + rng.random(rows) * 0.65, 0, 1)[:eval_rows]
region = rng.choice(["north", "south", "east", "west"], eval_rows)
def best(fn):
    out = []
    for _ in range(repeat):
        t = time.perf_counter(); fn(); out.append(time.perf_counter() - t)
    return min(out)
res = {
    "fairness": best(lambda: fairness_report(yt, yp, sf, n_boot=reps, seed=0)),
    "fairness_point": best(lambda: fairness_report(yt, yp, sf, n_boot=0)),
    "evaluate": best(lambda: evaluate_classification(yt[:eval_rows], y_score=score, slices={"region": region},
                                                     n_boot=reps, seed=0)),
    "evaluate_point": best(lambda: evaluate_classification(yt[:eval_rows], y_score=score,
                                                           slices={"region": region}, n_boot=0)),
}
print(json.dumps(res))
"""


def interval_timings(src: Path, rows: int, eval_rows: int, replicates: int, repeat: int) -> dict[str, float]:
    """Best-of-``repeat`` seconds of the interval workload with the package at ``src``."""
    import json
    import os
    import subprocess

    env = {**os.environ, "PYTHONPATH": str(src)}
    out = subprocess.run([sys.executable, "-c", _INTERVAL_WORKLOAD, str(rows), str(eval_rows), str(replicates),
                          str(repeat)], env=env, capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])
TOL = 1e-9

FL_METRICS = {
    "selection_rate": selection_rate,
    "tpr": true_positive_rate,
    "fpr": false_positive_rate,
    "fnr": false_negative_rate,
    "precision": skm.precision_score,
    "accuracy": skm.accuracy_score,
}
ATTRIBUTES = {"sex": ["sex"], "age_band": ["age_band"], "sex & age_band": ["sex", "age_band"]}


def make_data(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    sex = rng.choice(["female", "male"], n, p=[0.48, 0.52])
    bands = np.array(["18-25", "26-35", "36-45", "46-60", "60+"])
    band_idx = rng.choice(5, n, p=[0.15, 0.25, 0.25, 0.2, 0.15])
    base = 0.25 + 0.05 * band_idx + np.where(sex == "male", 0.05, 0.0)
    y_true = (rng.random(n) < base).astype(np.int64)
    flip = rng.random(n) < np.where(sex == "male", 0.2, 0.25)
    y_pred = np.where(flip, 1 - y_true, y_true).astype(np.int64)
    sf = pd.DataFrame({"sex": sex, "age_band": bands[band_idx]})
    return y_true, y_pred, sf


def timed(fn, repeat: int) -> tuple[float, float, object]:
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return min(times), statistics.median(times), result


def check_identical(report: dict, frames: dict[str, MetricFrame]) -> int:
    """Assert every group metric and disparity equals fairlearn's; return the count checked."""
    checked = 0

    def same(ours, theirs) -> bool:
        if ours is None:
            return isinstance(theirs, float) and math.isnan(theirs)
        return abs(ours - theirs) <= TOL

    for name, cols in ATTRIBUTES.items():
        attr, mf = report["attributes"][name], frames[name]
        assert len(attr["groups"]) == len(mf.by_group), name
        for g in attr["groups"]:
            key = tuple(g["values"][c] for c in cols)
            row = mf.by_group.loc[key if len(cols) > 1 else key[0]]
            for m in FL_METRICS:
                assert same(g["metrics"][m], float(row[m])), (name, key, m)
                checked += 1
        diff, ratio = mf.difference(), mf.ratio()
        disp = attr["disparities"]
        expected = {}
        for m in FL_METRICS:
            expected[f"{m}_difference"] = float(diff[m])
            expected[f"{m}_ratio"] = float(ratio[m])
        # fairlearn's fairness functions, from the same frame (see _fairness_metrics.py)
        expected["demographic_parity_difference"] = float(diff["selection_rate"])
        expected["demographic_parity_ratio"] = float(ratio["selection_rate"])
        expected["equal_opportunity_difference"] = float(diff["tpr"])
        expected["equal_opportunity_ratio"] = float(ratio["tpr"])
        expected["equalized_odds_difference"] = float(max([diff["tpr"], diff["fpr"]]))
        expected["equalized_odds_ratio"] = float(min([ratio["tpr"], ratio["fpr"]]))
        for key, value in expected.items():
            assert same(disp[key]["value"], value), (name, key, disp[key]["value"], value)
            checked += 1
    return checked


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--replicates", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=5, help="timing runs of charter (best is reported)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--before", type=Path, default=None,
                    help="source tree (the src folder) of an earlier version: compare the interval cost")
    ap.add_argument("--eval-rows", type=int, default=50_000, help="rows of the evaluation part of --before")
    args = ap.parse_args(argv)

    y_true, y_pred, sf = make_data(args.rows, args.seed)
    n_groups = sf.groupby(["sex", "age_band"]).ngroups
    print(f"rows={args.rows:,}  attributes: sex (2), age_band (5), intersection ({n_groups} groups)")
    print(f"group metrics: {', '.join(FL_METRICS)}")

    def ours_point():
        return fairness_report(y_true, y_pred, sf, n_boot=0)

    def ours_boot():
        return fairness_report(y_true, y_pred, sf, n_boot=args.replicates, seed=args.seed)

    ours_point()  # warm-up (imports, allocator)
    point_best, point_median, report = timed(ours_point, args.repeat)
    boot_best, boot_median, boot_report = timed(ours_boot, args.repeat)
    # Same call with categorical columns: factorising text columns is most of the point cost.
    sf_cat = sf.astype("category")
    cat_best, _, cat_report = timed(lambda: fairness_report(y_true, y_pred, sf_cat, n_boot=0), args.repeat)
    cat_boot_best, _, _ = timed(
        lambda: fairness_report(y_true, y_pred, sf_cat, n_boot=args.replicates, seed=args.seed), args.repeat
    )

    frames: dict[str, MetricFrame] = {}
    fl_times: dict[str, float] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, cols in ATTRIBUTES.items():
            feats = sf[cols] if len(cols) > 1 else sf[cols[0]]
            t0 = time.perf_counter()
            mf = MetricFrame(metrics=FL_METRICS, y_true=y_true, y_pred=y_pred, sensitive_features=feats)
            mf.difference()
            mf.ratio()
            fl_times[name] = time.perf_counter() - t0
            frames[name] = mf

    checked = check_identical(report, frames)
    checked += check_identical(cat_report, frames)
    assert boot_report["attributes"]["sex"]["disparities"]["demographic_parity_difference"]["ci"] is not None

    fl_total = sum(fl_times.values())
    fl_single = min(fl_times.values())
    speedup = fl_total / point_best
    boot_vs_single = boot_best / fl_single

    print()
    print(f"values identical to fairlearn (|diff| <= {TOL:g}): {checked} numbers checked")
    print()
    print("fairlearn MetricFrame (one run each):")
    for name, t in fl_times.items():
        print(f"  {name:<16} {t:10.3f} s")
    print(f"  {'total':<16} {fl_total:10.3f} s")
    print()
    print(f"charter fairness_report (all 3 attributes in one call), best of {args.repeat} (median):")
    print(f"  text columns, point estimates           {point_best * 1e3:10.1f} ms ({point_median * 1e3:.1f} ms)")
    print(
        f"  text columns, + {args.replicates} replicates          "
        f"{boot_best * 1e3:10.1f} ms ({boot_median * 1e3:.1f} ms)"
    )
    print(f"  categorical columns, point estimates    {cat_best * 1e3:10.1f} ms")
    print(f"  categorical columns, + {args.replicates} replicates   {cat_boot_best * 1e3:10.1f} ms"
          f"   (bootstrap share ~{max(cat_boot_best - cat_best, 0) * 1e3:.1f} ms)")
    print()
    ok_speed = speedup >= SPEEDUP_TARGET
    ok_boot = boot_best < fl_single
    print(f"speed-up vs MetricFrame (same attributes): {speedup:,.0f}x  target >= {SPEEDUP_TARGET:.0f}x  "
          f"{'PASS' if ok_speed else 'FAIL'}")
    print(f"{args.replicates} replicates vs fastest single MetricFrame call: {boot_best:.3f} s vs {fl_single:.3f} s "
          f"({boot_vs_single:.2%})  {'PASS' if ok_boot else 'FAIL'}")
    print("identical values: PASS")
    ok_cost = True
    if args.before is not None:
        here = Path(__file__).resolve().parents[1] / "src"
        reps = min(args.repeat, 3)
        old = interval_timings(args.before, args.rows, args.eval_rows, args.replicates, reps)
        new = interval_timings(here, args.rows, args.eval_rows, args.replicates, reps)
        print()
        print(f"interval cost vs {args.before} (fresh processes, same data, best of {reps}; "
              f"{args.replicates} replicates; evaluation on {args.eval_rows:,} rows with scores and 4 slices):")
        for part in ("fairness", "evaluate"):
            cost_old = max(old[part] - old[part + "_point"], 0.0)
            cost_new = max(new[part] - new[part + "_point"], 0.0)
            share = f"{cost_new / cost_old:.2f}x" if cost_old > 1e-3 else "n/a: within timing noise"
            ratio = new[part] / old[part]
            ok = ratio <= INTERVAL_COST_TARGET
            ok_cost &= ok
            print(f"  {part:<9} whole call {old[part]:8.3f} s -> {new[part]:8.3f} s ({ratio:.2f}x); "
                  f"interval share {cost_old:.3f} s -> {cost_new:.3f} s ({share})  "
                  f"target <= {INTERVAL_COST_TARGET:.0f}x  {'PASS' if ok else 'FAIL'}")
    return 0 if ok_speed and ok_boot and ok_cost else 1


if __name__ == "__main__":
    sys.exit(main())
