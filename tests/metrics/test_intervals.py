"""Interval methods against outside implementations (statsmodels, scipy) and on the example."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from charter.metrics import evaluate_classification, evaluate_regression, fairness_report
from charter.metrics.bootstrap import OUTSIDE_NOTE, estimate
from charter.metrics.intervals import (
    bca_interval,
    cell_jackknife,
    folded_difference,
    katz,
    newcombe,
    range_interval,
    wilson,
)

proportion = pytest.importorskip("statsmodels.stats.proportion")

ROOT = Path(__file__).resolve().parents[2]
CASES = [(0, 1), (1, 1), (0, 30), (1, 30), (15, 30), (29, 30), (30, 30), (3, 100), (500, 1000), (9990, 10000)]


@pytest.mark.parametrize("confidence", [0.9, 0.95, 0.99])
def test_wilson_matches_statsmodels(confidence):
    k = np.array([c[0] for c in CASES], float)
    n = np.array([c[1] for c in CASES], float)
    lo, hi = wilson(k, n, confidence)
    ref_lo, ref_hi = proportion.proportion_confint(k, n, alpha=1 - confidence, method="wilson")
    np.testing.assert_allclose(lo, ref_lo, atol=1e-12)
    np.testing.assert_allclose(hi, ref_hi, atol=1e-12)


def test_wilson_is_uninformative_without_trials():
    lo, hi = wilson(np.array([0.0]), np.array([0.0]), 0.95)
    assert (lo[0], hi[0]) == (0.0, 1.0)


@pytest.mark.parametrize("confidence", [0.9, 0.95])
def test_newcombe_matches_statsmodels(confidence):
    rng = np.random.default_rng(3)
    for _ in range(200):
        n1, n2 = rng.integers(1, 400, 2)
        k1, k2 = rng.integers(0, n1 + 1), rng.integers(0, n2 + 1)
        lo, hi = newcombe(np.array(k1), np.array(n1), np.array(k2), np.array(n2), confidence)
        ref = proportion.confint_proportions_2indep(k1, n1, k2, n2, method="newcomb", compare="diff",
                                                    alpha=1 - confidence)
        assert float(lo) == pytest.approx(ref[0], abs=1e-10), (k1, n1, k2, n2)
        assert float(hi) == pytest.approx(ref[1], abs=1e-10), (k1, n1, k2, n2)


def test_katz_matches_statsmodels_log_ratio_without_zeros():
    rng = np.random.default_rng(4)
    for _ in range(200):
        n1, n2 = rng.integers(2, 400, 2)
        k1, k2 = rng.integers(1, n1 + 1), rng.integers(1, n2 + 1)
        lo, hi = katz(np.array(k1), np.array(n1), np.array(k2), np.array(n2), 0.95)
        ref = proportion.confint_proportions_2indep(k1, n1, k2, n2, method="log", compare="ratio", alpha=0.05)
        assert float(lo) == pytest.approx(ref[0], rel=1e-10)
        assert float(hi) == pytest.approx(ref[1], rel=1e-10)


def test_katz_handles_zero_counts():
    lo, hi = katz(np.array([0.0, 5.0, 0.0]), np.array([40.0, 40.0, 40.0]), np.array([6.0, 0.0, 0.0]),
                  np.array([50.0, 50.0, 50.0]), 0.95)
    assert lo[0] == 0.0 and 0 < hi[0] < np.inf  # a zero numerator: exact lower bound 0, finite upper
    assert np.isfinite(lo[1]) and lo[1] > 0 and hi[1] == np.inf
    assert lo[2] == 0.0 and hi[2] == np.inf


def test_bca_matches_scipy_bootstrap():
    rng = np.random.default_rng(5)
    x = rng.exponential(size=60)
    ref = stats.bootstrap((x,), np.mean, confidence_level=0.95, n_resamples=20000, method="BCa",
                          random_state=np.random.default_rng(6)).confidence_interval
    idx = rng.integers(0, len(x), size=(20000, len(x)))
    samples = x[idx].mean(axis=1)
    jack = np.array([(x.sum() - v) / (len(x) - 1) for v in x])
    lo, hi, _ = bca_interval(np.array([x.mean()]), samples, jack[:, None], None, 0.95)
    assert float(lo[0]) == pytest.approx(ref.low, abs=0.02)
    assert float(hi[0]) == pytest.approx(ref.high, abs=0.02)


def test_cell_jackknife_is_leave_one_row_out():
    counts = np.array([[3, 0], [2, 5]])
    tables, weights = cell_jackknife(counts)
    assert weights.tolist() == [3, 2, 5] and weights.sum() == counts.sum()
    assert all(t.sum() == counts.sum() - 1 for t in tables)


def test_folded_difference_contains_the_point():
    k = np.array([3.0, 10.0, 40.0, 0.0])
    n = np.array([11.0, 30.0, 90.0, 5.0])
    point, lo, hi = folded_difference(k, n, 0.95)
    assert (lo <= point).all() and (point <= hi).all() and (lo >= 0).all()


def test_two_group_gap_is_the_folded_newcombe_interval():
    k, n = np.array([30.0, 45.0]), np.array([100.0, 110.0])
    lo, hi = range_interval(k, n, "difference", 0.95)
    ref = proportion.confint_proportions_2indep(45, 110, 30, 100, method="newcomb", alpha=0.05)
    assert (lo, hi) == pytest.approx((max(ref[0], 0.0), ref[1]), abs=1e-12)


def test_guard_flags_an_interval_that_excludes_its_estimate():
    res = estimate(5.0, None, 0.95, interval=(0.0, 1.0, 1, 1), method="wilson")
    assert OUTSIDE_NOTE in res["reason"] and "wilson" in res["reason"]


def _all_estimates(report):
    blocks = [report["overall"]] + [s for s in report.get("slices", []) if s.get("metrics")]
    for b in blocks:
        yield from b["metrics"].items()


def test_reports_record_the_method_and_contain_every_estimate():
    rng = np.random.default_rng(11)
    n = 600
    yt = rng.integers(0, 2, n)
    score = np.clip(yt * 0.3 + rng.random(n) * 0.7, 0, 1)
    region = rng.choice(["n", "s", "e"], n, p=[0.6, 0.35, 0.05])
    rep = evaluate_classification(yt, y_score=score, slices={"region": region}, n_boot=300, seed=1)
    methods = {}
    for m, e in _all_estimates(rep):
        if e["ci"] is not None:
            assert e["ci"][0] <= e["value"] <= e["ci"][1], m
            methods[m] = e["method"]
    assert methods["accuracy"] == methods["precision"] == methods["recall"] == "wilson"
    assert methods["roc_auc"] == methods["f1"] == "bca-bootstrap"
    reg = evaluate_regression(score, score + rng.normal(size=n) * 0.1, n_boot=300)
    assert {e["method"] for _, e in _all_estimates(reg)} == {"bca-bootstrap"}
    fr = fairness_report(yt, (score > 0.5).astype(int), {"region": region}, n_boot=300)
    for d in fr["attributes"]["region"]["disparities"].values():
        assert d["ci"][0] <= d["value"] <= d["ci"][1]
        assert d["method"] in ("pairwise-newcombe", "pairwise-katz-log")


def test_wilson_rates_use_their_own_denominator():
    yt = np.array([1] * 10 + [0] * 90)
    yp = np.array([1] * 5 + [0] * 5 + [1] * 10 + [0] * 80)
    m = evaluate_classification(yt, yp, n_boot=10)["overall"]["metrics"]
    ref = proportion.proportion_confint(5, 10, method="wilson")  # recall: 5 of 10 positives
    assert m["recall"]["ci"] == pytest.approx(list(ref), abs=1e-12)
    ref = proportion.proportion_confint(5, 15, method="wilson")  # precision: 5 of 15 predicted
    assert m["precision"]["ci"] == pytest.approx(list(ref), abs=1e-12)
    ref = proportion.proportion_confint(85, 100, method="wilson")
    assert m["accuracy"]["ci"] == pytest.approx(list(ref), abs=1e-12)


@pytest.mark.slow
def test_example_credit_intervals_contain_their_estimates(tmp_path):
    """The example's credit evidence, re-run: every interval contains its estimate.

    (Before, the equalized odds difference by sex read 0.001 [0.003, 0.085].)
    """
    repo = tmp_path / "repo"
    files = subprocess.run(["git", "-C", str(ROOT), "ls-files", "usecases", "governance"],
                           capture_output=True, text=True, check=True).stdout.split()
    for f in files:
        (repo / f).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / f, repo / f)
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    subprocess.run(["git", "-C", str(repo), "add", "-A"], check=True)
    subprocess.run(["git", "-C", str(repo), "-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm", "x"],
                   check=True)
    env_src = str(ROOT / "src")
    proc = subprocess.run([sys.executable, "-m", "charter", "run", "credit-default-risk", "--jobs", "1",
                           "--repo", str(repo)], capture_output=True, text=True,
                          env={"PYTHONPATH": env_src, "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    seen = 0
    for job in ("evaluate", "fairness"):
        (record,) = (repo / "evidence/records/credit-default-risk" / job).glob("*.json")
        text = record.read_text()
        assert "outside its" not in text and "bootstrap bias" not in text
        for est in _estimates_in(json.loads(text)):
            if est.get("low") is not None:
                assert est["low"] <= est["value"] <= est["high"], est
                assert est["method"]
                seen += 1
    assert seen > 50


def _estimates_in(node):
    if isinstance(node, dict):
        if {"value", "low", "high"} <= set(node):
            yield node
        for v in node.values():
            yield from _estimates_in(v)
    elif isinstance(node, list):
        for v in node:
            yield from _estimates_in(v)


def test_coverage_study_cells_run_and_cover():
    """A small cell of benchmarks/bench_coverage.py: nominal 95 % intervals cover 93-97 %."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_coverage", ROOT / "benchmarks" / "bench_coverage.py")
    bench = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("bench_coverage", bench)  # dataclasses look their module up
    spec.loader.exec_module(bench)
    rate = bench._task(("rate", "p = 0.3", "rate", (0.3,), 1000, 4000, 1))
    gap = bench._task(("demographic_parity_difference", "2 groups, gap", "disparity", (), 1000, 1000, 2))
    for cell in (rate, gap):
        assert 0.93 <= cell.coverage <= 0.97, (cell.statistic, cell.coverage)
