"""Regression metrics (mae, rmse, r2) with bootstrap intervals, overall and on slices.

All three depend on the rows only through five sums – ``n``, ``sum |e|``,
``sum e^2``, ``sum y`` and ``sum y^2`` (with ``y`` centred on its mean for
numerical stability) – so a bootstrap replicate is ``W @ X`` for the matrix ``W``
of how often each row is drawn. ``r2`` is ``None`` when ``y_true`` is constant
(scikit-learn returns 1.0 or 0.0 there by convention).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .bootstrap import (
    DEFAULT_CONFIDENCE,
    DEFAULT_REPLICATES,
    DEFAULT_SEED,
    bootstrap_info,
    check_bootstrap_args,
    estimate,
    estimates,
    row_count_chunks,
    spawn_rngs,
)
from .catalog import TaskType
from .groups import DEFAULT_MIN_GROUP_SIZE, ERR_EMPTY, as_1d, did_you_mean, resolve_slices
from .intervals import block_weights

REGRESSION_METRICS = ("mae", "rmse", "r2")

ERR_UNKNOWN_METRIC = "unknown regression metric {name!r}{hint}"
ERR_NOT_FINITE = "{what} contains missing or infinite values"
REASON_CONSTANT = "y_true is constant (r2 is undefined)"


def _moments(x: np.ndarray, w: np.ndarray) -> dict[str, np.ndarray]:
    """Metrics from the weighted sums ``w @ x`` with x = [1, |e|, e^2, y_c, y_c^2]."""
    s = w @ x  # (c, 5)
    n = s[:, 0]
    with np.errstate(invalid="ignore", divide="ignore"):
        mae = s[:, 1] / n
        mse = s[:, 2] / n
        ss_tot = s[:, 4] - s[:, 3] ** 2 / n
        # Relative tolerance: a resample of identical targets has ss_tot ~ rounding noise.
        const = ss_tot <= 1e-12 * np.maximum(s[:, 4], np.finfo(float).tiny)
        r2 = np.where(const, np.nan, 1.0 - s[:, 2] / np.where(const, 1.0, ss_tot))
    return {"mae": mae, "rmse": np.sqrt(mse), "r2": r2}


def _evaluate_block(
    yt: np.ndarray, yp: np.ndarray, wanted: list[str], n_boot: int, confidence: float, rng: np.random.Generator
) -> dict[str, Any]:
    n = len(yt)
    e = yp - yt
    abs_e = np.abs(e)
    sq = e * e
    point: dict[str, float] = {"mae": float(np.mean(abs_e)), "rmse": float(np.sqrt(np.mean(sq)))}
    yc = yt - yt.mean()
    ss_tot = float(np.sum(yc * yc))
    reasons: dict[str, str] = {}
    if ss_tot == 0.0:
        point["r2"] = float("nan")
        reasons["r2"] = REASON_CONSTANT
    else:
        point["r2"] = 1.0 - float(np.sum(sq)) / ss_tot
    boot = None
    jack = None
    if n_boot:
        x = np.stack([np.ones(n), abs_e, sq, yc, yc * yc], axis=1)
        parts = [_moments(x, w) for w in row_count_chunks(n, n_boot, rng)]
        boot = {m: np.concatenate([p[m] for p in parts]) for m in REGRESSION_METRICS}
        jack = _moments(x, block_weights(n))
    return {
        "n": int(n),
        "metrics": estimates({m: point[m] for m in wanted}, boot, confidence, reasons, jack),
    }


def _float_array(values: Any, what: str, n: int | None = None) -> np.ndarray:
    arr = as_1d(values, what, n)
    try:
        arr = np.asarray(arr, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{what} must be numeric") from exc
    if not np.isfinite(arr).all():
        raise ValueError(ERR_NOT_FINITE.format(what=what))
    return arr


def evaluate_regression(
    y_true: Any,
    y_pred: Any,
    *,
    metrics: Sequence[str] | None = None,
    slices: Mapping[str, Any] | None = None,
    min_slice_size: int = DEFAULT_MIN_GROUP_SIZE,
    missing: str = "group",
    n_boot: int = DEFAULT_REPLICATES,
    confidence: float = DEFAULT_CONFIDENCE,
    seed: int | None = DEFAULT_SEED,
) -> dict[str, Any]:
    """mae, rmse and r2 overall and per slice, with BCa bootstrap intervals.

    Returns a JSON-ready dict::

        {"task": "regression", "n",
         "overall": {"n", "metrics": {<name>: {"value", "ci", "reason"}}},
         "slices": [{"name", "column", "value", "n", "small", "metrics"}],
         "warnings": [...], "bootstrap": {...}}
    """
    check_bootstrap_args(n_boot, confidence)
    yt = _float_array(y_true, "y_true")
    n = len(yt)
    if n == 0:
        raise ValueError(ERR_EMPTY)
    yp = _float_array(y_pred, "y_pred", n)
    wanted = list(REGRESSION_METRICS) if metrics is None else list(metrics)
    for m in wanted:
        if m not in REGRESSION_METRICS:
            raise ValueError(ERR_UNKNOWN_METRIC.format(name=m, hint=did_you_mean(m, REGRESSION_METRICS)))
    slice_specs = resolve_slices(slices, n, missing=missing)
    rngs = spawn_rngs(seed, 1 + len(slice_specs))
    overall = _evaluate_block(yt, yp, wanted, n_boot, confidence, rngs[0])
    warnings: list[str] = []
    out_slices = []
    for spec, rng in zip(slice_specs, rngs[1:], strict=True):
        mask = spec["mask"]
        size = int(mask.sum())
        entry: dict[str, Any] = {"name": spec["name"], "column": spec["column"], "value": spec["value"], "n": size}
        entry["small"] = size < min_slice_size
        if size == 0:
            entry["metrics"] = {m: estimate(None, None, confidence, reason="empty slice") for m in wanted}
        else:
            entry["metrics"] = _evaluate_block(yt[mask], yp[mask], wanted, n_boot, confidence, rng)["metrics"]
        if entry["small"]:
            warnings.append(f"slice {spec['name']!r} has {size} rows, below the minimum {min_slice_size}")
        out_slices.append(entry)
    return {
        "task": TaskType.REGRESSION.value,
        "n": int(n),
        "overall": overall,
        "slices": out_slices,
        "warnings": warnings,
        "bootstrap": bootstrap_info(n_boot, confidence, seed, "row resampling"),
    }

