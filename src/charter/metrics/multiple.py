"""Three-outcome verdicts and multiple comparisons: p-values from intervals, Benjamini–Hochberg, rows to decide.

Pure Python on purpose: gate judges import this, and judges must stay light
(no numpy or pandas at import). Tests check :func:`benjamini_hochberg` against
``statsmodels.stats.multitest.multipletests(method="fdr_bh")``.

A comparison of a value with a limit has three outcomes (:func:`classify`):

* ``pass`` – the whole interval lies on the passing side of the limit;
* ``fail`` – the whole interval lies on the failing side;
* ``inconclusive`` – the interval straddles the limit: the data cannot tell.

The p-value of a comparison (:func:`violation_p_value`) tests "the requirement
is met" (the truth on the limit's passing side) against "violated", one-sided,
by a normal approximation whose standard error is read off the interval's half
on the limit's side: ``se = |estimate − bound| / z``. It is calibrated to the
interval, so ``p ≤ (1 − confidence) / 2`` exactly when the interval excludes the
limit on the failing side, and for a single comparison Benjamini–Hochberg at that
level changes nothing.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from statistics import NormalDist

BH = "benjamini-hochberg"
METHODS = ("none", BH)

_NORMAL = NormalDist()


def z_value(confidence: float) -> float:
    """The two-sided normal quantile of an interval at ``confidence`` (1.96 at 95 %)."""
    return _NORMAL.inv_cdf(0.5 + confidence / 2.0)


def _passes(value: float, comparator: str, limit: float) -> bool:
    return value >= limit if comparator == ">=" else value <= limit


def classify(low: float, high: float, comparator: str, limit: float) -> str:
    """'pass', 'fail' or 'inconclusive' for an interval ``[low, high]`` against one limit (inclusive)."""
    pessimistic, optimistic = (low, high) if comparator == ">=" else (high, low)
    if _passes(pessimistic, comparator, limit):
        return "pass"
    if not _passes(optimistic, comparator, limit):
        return "fail"
    return "inconclusive"


def violation_p_value(estimate: float, low: float, high: float, comparator: str, limit: float,
                      confidence: float) -> float:
    """One-sided p-value of "the limit is met" from an estimate and its interval (see the module docstring)."""
    excess = (limit - estimate) if comparator == ">=" else (estimate - limit)  # > 0: the estimate violates
    # the half of the interval between the estimate and the limit sets the scale
    if comparator == ">=":
        toward = low if estimate >= limit else high
    else:
        toward = high if estimate <= limit else low
    half = abs(estimate - toward)
    if not math.isfinite(half):
        return 0.5
    if half == 0:
        return 0.0 if excess > 0 else 1.0 if excess < 0 else 0.5
    se = half / z_value(confidence)
    return 1.0 - _NORMAL.cdf(excess / se)


def benjamini_hochberg(p_values: Sequence[float]) -> list[float]:
    """Benjamini–Hochberg adjusted p-values (step-up, monotone, capped at 1), in the input order."""
    m = len(p_values)
    if m == 0:
        return []
    order = sorted(range(m), key=lambda i: p_values[i])
    adjusted = [0.0] * m
    running = 1.0
    for rank in range(m, 0, -1):
        i = order[rank - 1]
        running = min(running, p_values[i] * m / rank)
        adjusted[i] = min(running, 1.0)
    return adjusted


def rows_to_decide(n: int, estimate: float, low: float, high: float, limit: float,
                   z_ratio: float = 1.0) -> int | None:
    """About how many more rows would make a straddling interval decisive at the current effect size.

    The half-width of an interval shrinks as 1/√n, so the bound that crosses the
    limit reaches it when n grows by ``(half-width / |estimate − limit|)²``;
    ``z_ratio`` scales the half-width when a stricter level decides (Benjamini–
    Hochberg). None when no number of rows can decide (the estimate sits on the
    limit) or n is unknown. Approximate: it assumes the estimate stays where it is.
    """
    gap = abs(estimate - limit)
    if n <= 0 or gap == 0 or not math.isfinite(gap):
        return None
    half = (high - estimate) if limit > estimate else (estimate - low)
    half *= z_ratio
    if not math.isfinite(half) or half <= gap:
        return 0
    factor = (half / gap) ** 2
    more = n * (factor - 1.0)
    if more > 1e12:
        return None
    return max(1, math.ceil(more))


def rows_for_p(n: int, p: float, target: float) -> int | None:
    """About how many more rows would bring a one-sided p-value down to ``target`` at the current effect size.

    The z-statistic grows as √n, so n must grow by ``(z_target / z_now)²``. None
    when the estimate does not point at a violation (``p ≥ 0.5``) or n is unknown.
    """
    if n <= 0 or not 0 < target < 0.5 or p >= 0.5:
        return None
    if p <= target:
        return 0
    z_now = _NORMAL.inv_cdf(1.0 - p)
    z_target = _NORMAL.inv_cdf(1.0 - target)
    return max(1, math.ceil(n * ((z_target / z_now) ** 2 - 1.0)))
