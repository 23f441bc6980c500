"""Percentile bootstrap: resampling helpers shared by evaluation and fairness.

Two resampling schemes, both exact (statistically identical to drawing ``n`` rows
with replacement from the ``n`` observed rows):

* **Cell multinomial** – when a statistic depends on the data only through the
  counts of a few discrete cells (for example the confusion matrix, or the
  ``(group, y_true, y_pred)`` cells behind every fairness rate), a row resample
  changes nothing but those counts. Drawing ``n`` rows uniformly with replacement
  and tallying them by cell *is* a multinomial draw with ``n`` trials and cell
  probabilities ``count / n``. ``rng.multinomial(n, p, size=B)`` therefore gives
  ``B`` exact bootstrap replicates of the cell counts in ``O(B * cells)`` instead of
  ``O(B * n)``.
* **Row counts** – statistics that need every row (AUC, log loss, regression
  errors) use a matrix ``W`` of how often each row is drawn in each replicate
  (``W[b, i]``), built chunk by chunk so memory stays bounded. Weighted sums are
  then ``W @ x``. Cost is ``O(B * n)``.

Intervals computed from replicates are BCa intervals (:mod:`charter.metrics.intervals`)
over the replicates for which the statistic is defined; replicates where it is
undefined (for example a replicate without any positive label for recall) are left
out and counted. Rates and rate disparities use closed-form intervals instead.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np

DEFAULT_REPLICATES = 1000
DEFAULT_CONFIDENCE = 0.95
DEFAULT_SEED = 0

# A confidence interval is only reported when at least this share of the
# replicates gave a defined value; otherwise the interval would describe a
# different population than the point estimate.
MIN_DEFINED_SHARE = 0.5

# Upper bound on the number of matrix elements (replicates x rows) held at once.
_ROW_CHUNK_ELEMENTS = 4_000_000

# The guard's note when an interval does not contain its point estimate.
OUTSIDE_NOTE = "the value lies outside its interval"

ERR_CONFIDENCE = "confidence must be strictly between 0 and 1, got {!r}"
ERR_REPLICATES = "n_boot must be a non-negative integer, got {!r}"


def check_bootstrap_args(n_boot: int, confidence: float) -> None:
    if isinstance(n_boot, bool) or not isinstance(n_boot, (int, np.integer)) or n_boot < 0:
        raise ValueError(ERR_REPLICATES.format(n_boot))
    if not (isinstance(confidence, (int, float)) and 0.0 < float(confidence) < 1.0):
        raise ValueError(ERR_CONFIDENCE.format(confidence))


def make_rng(seed: int | np.random.Generator | np.random.SeedSequence | None) -> np.random.Generator:
    """A numpy Generator from a seed (int), a SeedSequence, or an existing Generator."""
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(seed)


def spawn_rngs(seed: int | np.random.SeedSequence | None, count: int) -> list[np.random.Generator]:
    """``count`` independent generators derived from one seed.

    Each slice gets its own stream, so its interval does not depend on which other
    slices were requested.
    """
    ss = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    return [np.random.default_rng(s) for s in ss.spawn(count)]


def multinomial_cells(counts: np.ndarray, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """Bootstrap replicates of cell counts: shape ``(n_boot, *counts.shape)``.

    Equivalent to resampling the underlying rows (see the module docstring).
    """
    counts = np.asarray(counts)
    flat = counts.reshape(-1).astype(np.float64)
    n = int(flat.sum())
    if n == 0:
        return np.zeros((n_boot, *counts.shape), dtype=np.int64)
    p = flat / flat.sum()
    draws = rng.multinomial(n, p, size=n_boot)
    return draws.reshape((n_boot, *counts.shape))


def row_count_chunks(n: int, n_boot: int, rng: np.random.Generator) -> Iterator[np.ndarray]:
    """Yield ``(chunk, n)`` float arrays: how often each row is drawn per replicate."""
    if n <= 0:
        raise ValueError("cannot bootstrap an empty sample")
    chunk = max(1, min(n_boot, _ROW_CHUNK_ELEMENTS // n))
    done = 0
    while done < n_boot:
        c = min(chunk, n_boot - done)
        idx = rng.integers(0, n, size=(c, n))
        idx += (np.arange(c, dtype=idx.dtype) * n)[:, None]
        w = np.bincount(idx.ravel(), minlength=c * n).reshape(c, n)
        yield w.astype(np.float64)
        done += c


def percentile_interval(samples: np.ndarray, confidence: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Percentile interval along axis 0, ignoring non-finite replicates.

    Linear interpolation between order statistics (numpy's default quantile
    method), vectorised over the remaining axes. Returns ``(low, high,
    defined_count)``; ``low``/``high`` are NaN where no replicate was defined.
    """
    samples = np.asarray(samples, dtype=np.float64)
    alpha = (1.0 - confidence) / 2.0
    finite = np.isfinite(samples)
    defined = finite.sum(axis=0)
    ordered = np.sort(np.where(finite, samples, np.nan), axis=0)  # NaN sort last
    last = np.maximum(defined - 1, 0)

    def quantile(q: float) -> np.ndarray:
        pos = q * last
        below = np.floor(pos).astype(np.int64)
        above = np.minimum(below + 1, last)
        a = np.take_along_axis(ordered, below[None, ...], axis=0)[0]
        b = np.take_along_axis(ordered, above[None, ...], axis=0)[0]
        out = a + (b - a) * (pos - below)
        return np.where(defined > 0, out, np.nan)

    return quantile(alpha), quantile(1.0 - alpha), defined


def to_float(x: Any) -> float | None:
    """A JSON-safe float: ``None`` for NaN / infinity / None."""
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def estimate(
    value: float | None,
    samples: np.ndarray | None,
    confidence: float,
    *,
    reason: str | None = None,
    interval: tuple[float, float, int, int] | None = None,
    method: str | None = None,
) -> dict[str, Any]:
    """One metric result: ``{"value", "ci", "reason", "method"}``.

    ``value`` is ``None`` when undefined (``reason`` says why); ``ci`` is
    ``[low, high]`` or ``None`` (no bootstrap requested, or too few defined
    replicates – ``reason`` then says so). ``interval`` = ``(low, high,
    defined, replicates)`` when already computed (see :func:`estimates`; a closed-form
    interval passes ``defined == replicates == 1``). ``method`` names the interval
    method (:mod:`charter.metrics.intervals`); without ``interval`` the samples give a
    bias-corrected percentile interval.
    """
    v = to_float(value)
    if v is None:
        return {"value": None, "ci": None, "reason": reason or "undefined", "method": None}
    if interval is None:
        if samples is None:
            return {"value": v, "ci": None, "reason": reason, "method": None}
        samples = np.asarray(samples, dtype=np.float64).reshape(-1)
        if samples.size == 0:
            return {"value": v, "ci": None, "reason": reason, "method": None}
        from .intervals import bca_interval

        b_lo, b_hi, b_defined = bca_interval(np.array([v]), samples, None, None, confidence)
        interval = (float(b_lo[0]), float(b_hi[0]), int(b_defined[0]), samples.size)
        method = method or "bc-bootstrap"
    lo, hi, defined, total = interval
    if defined < MIN_DEFINED_SHARE * total:
        why = f"interval omitted: defined in only {defined} of {total} bootstrap replicates"
        return {"value": v, "ci": None, "reason": why if reason is None else f"{reason}; {why}", "method": None}
    notes = [] if reason is None else [reason]
    if defined < total:
        notes.append(f"interval from the {defined} of {total} bootstrap replicates where it is defined")
    if not (lo <= v <= hi) or not (math.isfinite(lo) and math.isfinite(hi)):
        # Guard: every method here is built to contain its point estimate; if one ever
        # does not, the record says so rather than showing a contradictory interval.
        notes.append(f"{OUTSIDE_NOTE} ({method or 'unknown method'})")
    return {"value": v, "ci": [float(lo), float(hi)], "reason": "; ".join(notes) or None, "method": method}


def estimates(
    points: dict[str, Any],
    samples: dict[str, np.ndarray] | None,
    confidence: float,
    reasons: Mapping[str, str | None] | None = None,
    jack: dict[str, np.ndarray] | None = None,
    jack_weights: np.ndarray | None = None,
) -> dict[str, dict[str, Any]]:
    """BCa :func:`estimate` for several statistics, with one vectorised quantile pass.

    ``jack``: jackknife values per statistic (see :func:`intervals.bca_interval`);
    without them the acceleration is 0 (bias-corrected percentile).
    """
    from .intervals import BCA, bca_interval

    reasons = reasons or {}
    names = list(points)
    if not samples or not names:
        return {m: estimate(points[m], None, confidence, reason=reasons.get(m)) for m in names}
    stacked = np.stack([np.asarray(samples[m], dtype=np.float64).reshape(-1) for m in names], axis=1)
    point = np.array([np.nan if to_float(points[m]) is None else float(points[m]) for m in names])
    jstack = None
    if jack is not None:
        jstack = np.stack([np.asarray(jack[m], dtype=np.float64).reshape(-1) for m in names], axis=1)
    lo, hi, defined = bca_interval(point, stacked, jstack, jack_weights, confidence)
    total = stacked.shape[0]
    method = BCA if jstack is not None else "bc-bootstrap"
    return {
        m: estimate(
            points[m], None, confidence, reason=reasons.get(m),
            interval=(float(lo[i]), float(hi[i]), int(defined[i]), total), method=method,
        )
        for i, m in enumerate(names)
    }


def closed_form(value: Any, lo: float, hi: float, method: str, confidence: float,
                reason: str | None = None) -> dict[str, Any]:
    """:func:`estimate` for an interval from a formula (no replicates)."""
    return estimate(value, None, confidence, reason=reason, interval=(float(lo), float(hi), 1, 1), method=method)


def bootstrap_info(n_boot: int, confidence: float, seed: Any, method: str) -> dict[str, Any]:
    return {
        "replicates": int(n_boot),
        "confidence": float(confidence),
        "seed": seed if isinstance(seed, (int, type(None))) else repr(seed),
        "interval": "per statistic (see each estimate's method)",
        "method": method,
    }
