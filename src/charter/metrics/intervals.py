"""Confidence interval methods, one per kind of statistic.

* a rate ``k / n`` (accuracy, precision, recall, selection rate, TPR, FPR...):
  **Wilson** score interval on that rate's own denominator;
* the difference of two independent rates: **Newcombe** hybrid score interval
  (method 10 of Newcombe 1998, built from the two Wilson intervals);
* the ratio of two independent rates: **Katz log** interval, with 0.5 added to every
  count of a pair that has a zero count (the bound on the side of a zero numerator is
  the exact 0);
* a max-min gap or min/max ratio of rates over groups: the pairwise intervals above,
  folded (``|p_i - p_j|``, ``min(p_i/p_j, p_j/p_i)``) and combined over the pairs;
  the side of the bound where any pair can push it past the truth is Bonferroni
  adjusted over the pairs (see :func:`range_interval`);
* everything else (AUC, F1, balanced accuracy, log loss, Brier, regression errors and
  their group gaps): **BCa** bootstrap (bias-corrected and accelerated), the
  acceleration from a jackknife.

All functions are vectorised with numpy and return NaN bounds where undefined.
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr, ndtri

WILSON = "wilson"
NEWCOMBE = "newcombe"
KATZ = "katz-log"
PAIRWISE_NEWCOMBE = "pairwise-newcombe"
PAIRWISE_KATZ = "pairwise-katz-log"
BCA = "bca-bootstrap"

# Katz continuity correction added to each count of a pair holding a zero.
KATZ_CORRECTION = 0.5


def _z(confidence: float) -> float:
    return float(ndtri(0.5 + confidence / 2.0))


def wilson(k: np.ndarray, n: np.ndarray, confidence: float) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for ``k`` successes in ``n`` trials; ``[0, 1]`` where n == 0."""
    k = np.asarray(k, dtype=np.float64)
    n = np.asarray(n, dtype=np.float64)
    z = _z(confidence)
    z2 = z * z
    safe = np.where(n > 0, n, 1.0)
    p = k / safe
    denom = 1.0 + z2 / safe
    centre = (p + z2 / (2.0 * safe)) / denom
    half = z * np.sqrt(np.maximum(p * (1.0 - p) / safe + z2 / (4.0 * safe * safe), 0.0)) / denom
    lo = np.where(n > 0, np.clip(centre - half, 0.0, 1.0), 0.0)
    hi = np.where(n > 0, np.clip(centre + half, 0.0, 1.0), 1.0)
    # Exact bounds at the edges (rounding can leave 1e-17 there).
    lo = np.where(k <= 0, 0.0, lo)
    hi = np.where(k >= n, 1.0, hi)
    return lo, hi


def newcombe(k1: np.ndarray, n1: np.ndarray, k2: np.ndarray, n2: np.ndarray,
             confidence: float) -> tuple[np.ndarray, np.ndarray]:
    """Newcombe hybrid score interval for ``k1/n1 - k2/n2`` (independent samples)."""
    k1, n1, k2, n2 = (np.asarray(a, dtype=np.float64) for a in (k1, n1, k2, n2))
    p1 = np.where(n1 > 0, k1 / np.where(n1 > 0, n1, 1.0), 0.0)
    p2 = np.where(n2 > 0, k2 / np.where(n2 > 0, n2, 1.0), 0.0)
    l1, u1 = wilson(k1, n1, confidence)
    l2, u2 = wilson(k2, n2, confidence)
    d = p1 - p2
    lo = d - np.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    hi = d + np.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return np.maximum(lo, -1.0), np.minimum(hi, 1.0)


def katz(k1: np.ndarray, n1: np.ndarray, k2: np.ndarray, n2: np.ndarray,
         confidence: float) -> tuple[np.ndarray, np.ndarray]:
    """Katz log interval for the ratio ``(k1/n1) / (k2/n2)``.

    A pair with a zero count gets :data:`KATZ_CORRECTION` added to each count; a zero
    numerator keeps its exact lower bound 0, a zero denominator its upper bound +inf.
    Undefined (NaN) where either denominator ``n`` is 0.
    """
    k1, n1, k2, n2 = (np.asarray(a, dtype=np.float64) for a in (k1, n1, k2, n2))
    z = _z(confidence)
    zero = (k1 == 0) | (k2 == 0)
    c = np.where(zero, KATZ_CORRECTION, 0.0)
    a, b, m1, m2 = k1 + c, k2 + c, n1 + c, n2 + c
    ok = (n1 > 0) & (n2 > 0) & (a > 0) & (b > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_r = np.log(a / m1) - np.log(b / m2)
        se = np.sqrt(np.maximum(1.0 / a - 1.0 / m1 + 1.0 / b - 1.0 / m2, 0.0))
        lo = np.exp(log_r - z * se)
        hi = np.exp(log_r + z * se)
    lo = np.where(k1 == 0, 0.0, lo)
    hi = np.where(k2 == 0, np.inf, hi)
    return np.where(ok, lo, np.nan), np.where(ok, hi, np.nan)


def _pairs(g: int) -> tuple[np.ndarray, np.ndarray]:
    i, j = np.triu_indices(g, k=1)
    return i, j


def folded_difference(k: np.ndarray, n: np.ndarray, confidence: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per pair of groups: ``|p_i - p_j|`` and its interval (Newcombe, folded at 0)."""
    i, j = _pairs(len(k))
    p = np.where(n > 0, k / np.where(n > 0, n, 1.0), 0.0)
    lo, hi = newcombe(k[i], n[i], k[j], n[j], confidence)
    point = np.abs(p[i] - p[j])
    straddle = (lo <= 0) & (hi >= 0)
    f_lo = np.where(straddle, 0.0, np.minimum(np.abs(lo), np.abs(hi)))
    f_hi = np.maximum(np.abs(lo), np.abs(hi))
    return point, f_lo, f_hi


def folded_ratio(k: np.ndarray, n: np.ndarray, confidence: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per pair of groups: ``min(p_i, p_j) / max(p_i, p_j)`` and its interval (Katz, folded at 1).

    A pair whose rates are both 0 (or whose rate is 0 by convention, n == 0) carries
    no information: its interval is ``[0, 1]`` (its point, NaN or 0, never binds).
    """
    i, j = _pairs(len(k))
    p = np.where(n > 0, k / np.where(n > 0, n, 1.0), 0.0)
    swap = p[i] > p[j]
    a = np.where(swap, j, i)  # numerator: the smaller rate
    b = np.where(swap, i, j)
    with np.errstate(divide="ignore", invalid="ignore"):
        point = np.where(p[b] > 0, p[a] / np.where(p[b] > 0, p[b], 1.0), np.nan)
    lo, hi = katz(k[a], n[a], k[b], n[b], confidence)
    f_lo = np.where(hi > 1.0, np.minimum(lo, 1.0 / hi), lo)
    f_hi = np.where(hi > 1.0, 1.0, hi)
    bad = ~np.isfinite(f_lo) | ~np.isfinite(f_hi) | (n[a] == 0) | (n[b] == 0)
    return point, np.where(bad, 0.0, f_lo), np.where(bad, 1.0, f_hi)


def range_interval(k: np.ndarray, n: np.ndarray, kind: str, confidence: float,
                   extra_pairs: int = 0) -> tuple[float, float]:
    """Interval for max-min (``kind="difference"``) or min/max (``"ratio"``) of group rates.

    The gap is the largest folded pairwise difference, so its upper bound is the largest
    pairwise upper bound at the nominal level (it fails only when the binding pair's
    does). The lower bound can be pushed above the truth by *any* pair, so it takes the
    pairwise lower bounds at level ``1 - alpha / m`` over the ``m`` pairs (Bonferroni).
    The ratio is the mirror image: smallest folded pairwise ratio, the upper bound
    adjusted. ``extra_pairs`` widens the adjustment when the statistic combines several
    ranges (equalized odds: tpr and fpr).
    """
    g = len(k)
    m = g * (g - 1) // 2 + extra_pairs
    if g < 2:
        return float("nan"), float("nan")
    adjusted = 1.0 - (1.0 - confidence) / max(m, 1)
    fold = folded_difference if kind == "difference" else folded_ratio
    _, lo, hi = fold(k, n, confidence)
    _, lo_adj, hi_adj = fold(k, n, adjusted)
    if kind == "difference":
        return float(np.max(lo_adj)), float(np.max(hi))
    return float(np.min(lo)), float(np.min(hi_adj))


# --------------------------------------------------------------------------- BCa bootstrap


def _quantiles(samples: np.ndarray, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-column quantile ``q[col]`` of the finite replicates (linear interpolation)."""
    finite = np.isfinite(samples)
    defined = finite.sum(axis=0)
    ordered = np.sort(np.where(finite, samples, np.nan), axis=0)
    last = np.maximum(defined - 1, 0)
    pos = np.clip(q, 0.0, 1.0) * last
    pos = np.where(np.isfinite(pos), pos, 0.0)
    below = np.floor(pos).astype(np.int64)
    above = np.minimum(below + 1, last)
    a = np.take_along_axis(ordered, below[None, :], axis=0)[0]
    b = np.take_along_axis(ordered, above[None, :], axis=0)[0]
    return np.where(defined > 0, a + (b - a) * (pos - below), np.nan), defined


def bca_interval(point: np.ndarray, samples: np.ndarray, jack: np.ndarray | None, jack_weights: np.ndarray | None,
                 confidence: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """BCa interval per column of ``samples`` (B, M) around ``point`` (M,).

    ``jack`` (J, M): jackknife values (leave one row, cell or block out) with weights
    ``jack_weights`` (J,) for the acceleration; None gives the bias-corrected (BC)
    percentile interval. Returns ``(low, high, defined_count)``.
    """
    samples = np.asarray(samples, dtype=np.float64)
    if samples.ndim == 1:
        samples = samples[:, None]
    point = np.asarray(point, dtype=np.float64).reshape(-1)
    finite = np.isfinite(samples)
    defined = finite.sum(axis=0)
    d = np.maximum(defined, 1)
    below = (np.where(finite, samples, np.inf) < point).sum(axis=0)
    ties = (np.where(finite, samples, np.nan) == point).sum(axis=0)
    share = np.clip((below + 0.5 * ties) / d, 0.5 / d, 1.0 - 0.5 / d)
    z0 = ndtri(share)
    a = np.zeros_like(z0)
    if jack is not None and len(jack) > 1:
        jack = np.asarray(jack, dtype=np.float64)
        w = np.ones(len(jack)) if jack_weights is None else np.asarray(jack_weights, dtype=np.float64)
        jf = np.isfinite(jack)
        ww = np.where(jf, w[:, None], 0.0)
        tot = np.maximum(ww.sum(axis=0), 1e-300)
        mean = (ww * np.where(jf, jack, 0.0)).sum(axis=0) / tot
        dev = np.where(jf, mean - jack, 0.0)
        num = (ww * dev**3).sum(axis=0)
        den = 6.0 * np.power((ww * dev**2).sum(axis=0), 1.5)
        a = np.where(den > 0, num / np.where(den > 0, den, 1.0), 0.0)
    alpha = (1.0 - confidence) / 2.0
    out = []
    for zq in (ndtri(alpha), ndtri(1.0 - alpha)):
        t = z0 + zq
        with np.errstate(divide="ignore", invalid="ignore"):
            q = ndtr(z0 + t / (1.0 - a * t))
        # 1 - a*t <= 0: the acceleration overshoots; fall back to the BC level.
        q = np.where(1.0 - a * t > 0, q, ndtr(z0 + t))
        out.append(_quantiles(samples, q)[0])
    return out[0], out[1], defined


def block_weights(n: int, blocks: int = 20) -> np.ndarray:
    """Delete-a-block jackknife weights: (K, n) rows of ones with one block of rows at 0.

    Blocks interleave (row ``i`` in block ``i % K``) so that rows already sorted (by
    score, by group) spread over every block.
    """
    k = max(2, min(blocks, n))
    w = np.ones((k, n))
    for b in range(k):
        w[b, b::k] = 0.0
    return w


def cell_jackknife(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Exact leave-one-row-out for cell-count statistics.

    Returns ``(tables, weights)``: one table per non-empty cell with that cell's count
    minus one, weighted by how many rows it stands for.
    """
    flat = np.asarray(counts).reshape(-1)
    nz = np.flatnonzero(flat)
    tables = np.repeat(flat[None, :].astype(np.float64), len(nz), axis=0)
    tables[np.arange(len(nz)), nz] -= 1.0
    return tables.reshape((len(nz), *np.asarray(counts).shape)), flat[nz].astype(np.float64)


def disparity_interval(kind: tuple[str, ...], counts: dict[str, tuple[np.ndarray, np.ndarray]],
                       confidence: float) -> tuple[float, float, str]:
    """Closed-form interval for a rate disparity over groups (see :func:`range_interval`).

    ``kind``: ``("difference", metric)``, ``("ratio", metric)``, ``("eo_difference",)``
    or ``("eo_ratio",)``; ``counts``: metric -> (k, n) per group. Two groups give the
    Newcombe (difference) or Katz (ratio) interval itself, folded.
    """
    g = len(next(iter(counts.values()))[0])
    pairs = g * (g - 1) // 2
    if kind[0] in ("difference", "ratio"):
        k, n = counts[kind[1]]
        lo, hi = range_interval(k, n, kind[0], confidence)
        method = kind[0]
    else:
        method = "difference" if kind[0] == "eo_difference" else "ratio"
        (kt, nt), (kf, nf) = counts["tpr"], counts["fpr"]
        lt, ht = range_interval(kt, nt, method, confidence, extra_pairs=pairs)
        lf, hf = range_interval(kf, nf, method, confidence, extra_pairs=pairs)
        if method == "difference":
            lo, hi = max(lt, lf), max(ht, hf)
        else:
            if not np.isfinite(_min_over_max(kf, nf)):  # fpr 0 everywhere: the value is the tpr ratio
                lo, hi = lt, ht
            else:
                lo, hi = min(lt, lf), min(ht, hf)
    name = (NEWCOMBE if method == "difference" else KATZ) if g == 2 else (
        PAIRWISE_NEWCOMBE if method == "difference" else PAIRWISE_KATZ)
    return lo, hi, name


def _min_over_max(k: np.ndarray, n: np.ndarray) -> float:
    p = np.where(n > 0, k / np.where(n > 0, n, 1.0), 0.0)
    top = float(np.max(p))
    return float(np.min(p)) / top if top > 0 else float("nan")
