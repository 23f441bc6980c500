"""Three-outcome verdict arithmetic: p-values from intervals, Benjamini–Hochberg, rows to decide."""

from __future__ import annotations

import math

import numpy as np
import pytest
from statsmodels.stats.multitest import multipletests

from charter.metrics.multiple import (
    benjamini_hochberg,
    classify,
    rows_for_p,
    rows_to_decide,
    violation_p_value,
    z_value,
)


@pytest.mark.parametrize("seed", range(5))
def test_benjamini_hochberg_matches_statsmodels(seed: int) -> None:
    rng = np.random.default_rng(seed)
    m = int(rng.integers(1, 40))
    p = np.concatenate([rng.uniform(0, 0.05, m // 3), rng.uniform(0, 1, m - m // 3)])
    p[: m // 5] = p[0]  # ties
    rng.shuffle(p)
    expected = multipletests(p, alpha=0.05, method="fdr_bh")[1]
    assert benjamini_hochberg(p.tolist()) == pytest.approx(expected.tolist(), abs=1e-12)


def test_benjamini_hochberg_edge_cases() -> None:
    assert benjamini_hochberg([]) == []
    assert benjamini_hochberg([0.3]) == [0.3]
    assert benjamini_hochberg([0.9, 0.95, 1.0]) == pytest.approx(
        multipletests([0.9, 0.95, 1.0], method="fdr_bh")[1].tolist())


def test_classify_three_outcomes_inclusive_limits() -> None:
    assert classify(0.72, 0.8, ">=", 0.7) == "pass"
    assert classify(0.7, 0.8, ">=", 0.7) == "pass"  # the limit is inclusive
    assert classify(0.6, 0.69, ">=", 0.7) == "fail"
    assert classify(0.66, 0.78, ">=", 0.7) == "inconclusive"
    assert classify(0.02, 0.09, "<=", 0.1) == "pass"
    assert classify(0.11, 0.2, "<=", 0.1) == "fail"
    assert classify(0.05, 0.15, "<=", 0.1) == "inconclusive"


@pytest.mark.parametrize("confidence", [0.9, 0.95, 0.99])
def test_p_value_is_calibrated_to_the_interval(confidence: float) -> None:
    """p ≤ (1 − confidence)/2 exactly when the interval lies wholly on the failing side of the limit."""
    rng = np.random.default_rng(7)
    alpha_half = (1 - confidence) / 2
    for _ in range(2000):
        est = rng.uniform(0, 1)
        lo, hi = est - rng.uniform(0.001, 0.3), est + rng.uniform(0.001, 0.3)
        limit = rng.uniform(-0.2, 1.2)
        op = ">=" if rng.random() < 0.5 else "<="
        p = violation_p_value(est, lo, hi, op, limit, confidence)
        if abs((hi if op == ">=" else lo) - limit) < 1e-9:
            continue
        assert (p <= alpha_half) == (classify(lo, hi, op, limit) == "fail"), (est, lo, hi, limit, op, p)
        assert 0 <= p <= 1


def test_p_value_by_hand() -> None:
    # roc_auc 0.65 [0.6, 0.69] against min 0.7: se from the upper half 0.04 / 1.96
    z = 0.05 / (0.04 / z_value(0.95))
    assert violation_p_value(0.65, 0.6, 0.69, ">=", 0.7, 0.95) == pytest.approx(1 - 0.5 * (1 + math.erf(z / 2 ** .5)))
    assert violation_p_value(0.5, 0.5, 0.5, "<=", 0.4, 0.95) == 0.0
    assert violation_p_value(0.3, 0.3, 0.3, "<=", 0.4, 0.95) == 1.0


def test_rows_to_decide_scales_n_by_the_squared_ratio() -> None:
    # estimate 0.72, lower bound 0.66 (half-width 0.06), limit 0.7 (gap 0.02): n × (9 − 1)
    assert rows_to_decide(60, 0.72, 0.66, 0.78, 0.7) == 480
    # the upper half decides when the limit lies above the estimate
    assert rows_to_decide(100, 0.05, 0.01, 0.15, 0.1) == 300
    assert rows_to_decide(100, 0.1, 0.05, 0.15, 0.1) is None  # on the limit: no number of rows decides
    assert rows_to_decide(0, 0.72, 0.66, 0.78, 0.7) is None


def test_rows_to_decide_is_about_right_for_a_wilson_interval() -> None:
    """Scaled by the returned rows, a Wilson interval of the same rate just excludes the limit."""
    from statsmodels.stats.proportion import proportion_confint

    n, k, limit = 200, 150, 0.7  # 0.75, interval straddles 0.7
    lo, hi = proportion_confint(k, n, method="wilson")
    more = rows_to_decide(n, k / n, lo, hi, limit)
    assert more is not None and more > 0
    n2 = n + more
    lo2, _ = proportion_confint(0.75 * n2, n2, method="wilson")
    assert lo2 == pytest.approx(limit, abs=0.005)


def test_rows_for_p() -> None:
    more = rows_for_p(100, 0.02, 0.005)
    assert more is not None
    from statistics import NormalDist

    z_now, z_target = NormalDist().inv_cdf(0.98), NormalDist().inv_cdf(0.995)
    assert more == math.ceil(100 * ((z_target / z_now) ** 2 - 1))
    assert rows_for_p(100, 0.001, 0.01) == 0
    assert rows_for_p(100, 0.7, 0.01) is None
