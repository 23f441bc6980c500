"""Regression metrics from per-partition sums that merge: the partitioned counterpart of :mod:`.regression`.

Every regression metric of the catalog (``mae``, ``rmse``, ``r2``) depends on the
rows only through, per slice key: the row count, the mean and centred sum of
squares of ``y`` (merged with Chan et al.'s pairwise formula, so no
``sum y^2 - (sum y)^2 / n`` cancellation), ``sum |e|`` and ``sum e^2`` with
``e = y_pred - y_true``, and the smallest and largest ``y`` (a constant target is
recognised exactly). The point values equal the in-memory ones up to
floating-point rounding (the sums are added in another order). The in-memory
intervals resample rows, which sums cannot reproduce: partitioned regression
metrics carry no bootstrap interval.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .bootstrap import bootstrap_info, check_bootstrap_args, estimate
from .catalog import TaskType
from .groups import DEFAULT_MIN_GROUP_SIZE, MISSING_LABEL, jsonable
from .regression import REASON_CONSTANT, REGRESSION_METRICS
from .sufficient import _uniques, is_missing, sorted_labels

N, MEAN, M2, ABS, SQ, LOW, HIGH = range(7)
"""Positions in a key's sums vector."""

NO_INTERVAL = ("regression metrics of a partitioned data set come from per-partition sums; the in-memory "
               "intervals resample rows, so none is given")


def _combine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Sums of two disjoint sets of rows (Chan et al.: means and centred squares merge without cancellation)."""
    na, nb = a[N], b[N]
    if na == 0:
        return b.copy()
    if nb == 0:
        return a.copy()
    n = na + nb
    delta = b[MEAN] - a[MEAN]
    out = np.empty(7)
    out[N] = n
    out[MEAN] = a[MEAN] + delta * (nb / n)
    out[M2] = a[M2] + b[M2] + delta * delta * (na * nb / n)
    out[ABS] = a[ABS] + b[ABS]
    out[SQ] = a[SQ] + b[SQ]
    out[LOW] = min(a[LOW], b[LOW])
    out[HIGH] = max(a[HIGH], b[HIGH])
    return out


@dataclass
class RegressionSums:
    """Per distinct tuple of slice values: ``[n, mean y, centred Σy², Σ|e|, Σe², min y, max y]``; merges."""

    columns: tuple[str, ...]
    sums: dict[tuple[Any, ...], np.ndarray] = field(default_factory=dict)

    @classmethod
    def of(cls, columns: Sequence[str], values: Sequence[Any], y_true: np.ndarray, y_pred: np.ndarray) -> RegressionSums:
        """The sums of one batch; ``values`` are its slice arrays in ``columns`` order (none: one key ``()``)."""
        out = cls(tuple(columns))
        n = len(y_true)
        if n == 0:
            return out
        if values:
            coded = [_uniques(v) for v in values]
            cards = [len(u) for _, u in coded]
            combined = np.ravel_multi_index([c for c, _ in coded], cards) if len(coded) > 1 else coded[0][0]
            found, code = np.unique(combined, return_inverse=True)
            idx = np.unravel_index(found, cards) if len(coded) > 1 else (found,)
            keys = [tuple(coded[j][1][int(idx[j][i])] for j in range(len(coded))) for i in range(len(found))]
        else:
            code = np.zeros(n, dtype=np.int64)
            keys = [()]
        k = len(keys)
        e = y_pred - y_true
        count = np.bincount(code, minlength=k).astype(np.float64)
        mean = np.bincount(code, weights=y_true, minlength=k) / count
        dev = y_true - mean[code]
        # corrected two-pass: the mean's rounding is taken out of both the mean and the squares
        shift = np.bincount(code, weights=dev, minlength=k)
        mean = mean + shift / count
        m2 = np.bincount(code, weights=dev * dev, minlength=k) - shift * shift / count
        sabs = np.bincount(code, weights=np.abs(e), minlength=k)
        ssq = np.bincount(code, weights=e * e, minlength=k)
        low = np.full(k, np.inf)
        high = np.full(k, -np.inf)
        np.minimum.at(low, code, y_true)
        np.maximum.at(high, code, y_true)
        for i, key in enumerate(keys):
            out.sums[key] = np.array([count[i], mean[i], m2[i], sabs[i], ssq[i], low[i], high[i]])
        return out

    def merge(self, other: RegressionSums) -> RegressionSums:
        if other.columns != self.columns:
            raise ValueError(f"cannot merge sums of {other.columns} into sums of {self.columns}")
        out = dict(self.sums)
        for key, s in other.sums.items():
            out[key] = _combine(out[key], s) if key in out else s
        return RegressionSums(self.columns, out)

    def total(self, where: dict[str, Any] | None = None) -> np.ndarray:
        """The sums over the keys whose values match ``where`` (all keys when empty), merged in key order."""
        acc = np.zeros(7)
        acc[LOW], acc[HIGH] = np.inf, -np.inf
        for key, s in self.sums.items():
            if all(_same(key[self.columns.index(c)], v) for c, v in (where or {}).items()):
                acc = _combine(acc, s)
        return acc

    def values_of(self, column: str) -> list[Any]:
        j = self.columns.index(column)
        return list(dict.fromkeys(key[j] for key in self.sums))


def _same(a: Any, b: Any) -> bool:
    if is_missing(a) or is_missing(b):
        return is_missing(a) and is_missing(b)
    return bool(a == b)


def metrics_from_sums(s: np.ndarray, wanted: Sequence[str], confidence: float) -> dict[str, dict[str, Any]]:
    """The estimates of :func:`charter.metrics.regression.evaluate_regression` for one block, without intervals."""
    n = s[N]
    point: dict[str, float] = {"mae": float(s[ABS] / n), "rmse": float(np.sqrt(s[SQ] / n))}
    reasons: dict[str, str] = {}
    if s[LOW] == s[HIGH] or s[M2] == 0.0:  # a constant target, recognised exactly from its extremes
        point["r2"] = float("nan")
        reasons["r2"] = REASON_CONSTANT
    else:
        point["r2"] = 1.0 - float(s[SQ]) / float(s[M2])
    return {m: estimate(point[m], None, confidence, reason=reasons.get(m)) for m in wanted}


def regression_from_sums(
    sums: RegressionSums,
    slice_columns: Sequence[str],
    *,
    n_boot: int,
    confidence: float,
    seed: int | None,
    min_slice_size: int = DEFAULT_MIN_GROUP_SIZE,
) -> dict[str, Any]:
    """The report of :func:`charter.metrics.evaluate_regression` (same shape and slices) from merged sums.

    Point values equal the in-memory ones to floating-point rounding; no metric
    carries an interval (``bootstrap.regression_metrics`` says why).
    """
    check_bootstrap_args(n_boot, confidence)
    wanted = list(REGRESSION_METRICS)
    whole = sums.total()
    n = int(whole[N])
    if n == 0:
        raise ValueError("no rows")
    overall = {"n": n, "metrics": metrics_from_sums(whole, wanted, confidence)}
    warnings: list[str] = []
    out_slices = []
    for col in slice_columns:
        for v in sorted_labels(sums.values_of(col)):
            s = sums.total({col: v})
            size = int(s[N])
            label = MISSING_LABEL if is_missing(v) else jsonable(v)
            entry: dict[str, Any] = {"name": f"{col}={label}", "column": col, "value": label, "n": size,
                                     "small": size < min_slice_size,
                                     "metrics": metrics_from_sums(s, wanted, confidence)}
            if entry["small"]:
                warnings.append(f"slice {entry['name']!r} has {size} rows, below the minimum {min_slice_size}")
            out_slices.append(entry)
    info = bootstrap_info(n_boot, confidence, seed, "row resampling")
    info["regression_metrics"] = NO_INTERVAL
    return {"task": TaskType.REGRESSION.value, "n": n, "overall": overall, "slices": out_slices,
            "warnings": warnings, "bootstrap": info}
