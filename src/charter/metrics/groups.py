"""Groups, slices and fairness: per-group metrics and disparities between groups.

Every value here equals what fairlearn computes with ``MetricFrame`` and the
fairlearn / scikit-learn metric functions (tests use fairlearn as the oracle),
including their conventions:

* a rate whose denominator is zero in a group is 0 (for example the TPR of a
  group without positive labels, the precision of a group without predicted
  positives) – scikit-learn's ``zero_division`` default and fairlearn's
  ``confusion_matrix(normalize="true")``. Such groups are listed under
  ``undefined`` so a reader is not misled by the 0;
* ``<metric>_difference`` is ``max - min`` over the groups present;
* ``<metric>_ratio`` is ``min / max``; when every group has 0 the ratio is 0/0,
  reported as ``None`` with the reason (fairlearn gives NaN);
* ``equalized_odds_difference`` is the larger of the TPR and FPR differences;
  ``equalized_odds_ratio`` the smaller of the two ratios, with fairlearn's
  handling of an undefined component (``min()`` over ``[tpr_ratio, fpr_ratio]``):
  undefined when the TPR ratio is, the TPR ratio when only the FPR ratio is.

Missing sensitive values: fairlearn refuses them. Here ``missing="group"`` (the
default) puts them in their own group labelled ``"<missing>"`` – people who did not
disclose an attribute are a group whose treatment should be visible, not dropped –
and adds a warning; ``missing="error"`` raises instead.

Speed: groups are factorised once to integer codes; all attributes (single columns
and intersections) are coarsenings of the finest partition (the intersection of
every column used), so one ``np.bincount`` over ``code*4 + 2*y_true + y_pred``
gives every confusion matrix. Rate disparities get closed-form intervals from those
counts (pairwise Newcombe / Katz, :mod:`charter.metrics.intervals`); regression gaps a
BCa bootstrap of the per-group sums.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .bootstrap import (
    DEFAULT_CONFIDENCE,
    DEFAULT_REPLICATES,
    DEFAULT_SEED,
    bootstrap_info,
    check_bootstrap_args,
    closed_form,
    estimate,
    estimates,
    make_rng,
    multinomial_cells,
    row_count_chunks,
    to_float,
)
from .catalog import FAIRNESS_METRICS, MISSING_LABEL, TaskType
from .intervals import KATZ, NEWCOMBE, WILSON, block_weights, disparity_interval, katz, newcombe, wilson

DEFAULT_MIN_GROUP_SIZE = 30

CLASSIFICATION_GROUP_METRICS = ("selection_rate", "tpr", "fpr", "fnr", "precision", "accuracy")
REGRESSION_GROUP_METRICS = ("mae", "rmse")
# With more than two classes there is no "positive" class: per-group accuracy is
# the rate that stays well defined (and comparable across groups).
MULTICLASS_GROUP_METRICS = ("accuracy",)

ERR_MISSING = (
    "sensitive feature {name!r} has {count} missing value(s); "
    "pass missing='group' to treat them as the group '<missing>'"
)
ERR_MISSING_MODE = "missing must be 'group' or 'error', got {!r}"
ERR_POS_LABEL = (
    "labels {values} are not a subset of {{0, 1}} or {{-1, 1}}: pass pos_label to say which label is positive"
)
ERR_LENGTH = "{what} has {got} rows, expected {expected}"
ERR_EMPTY = "no rows to evaluate"
ERR_UNKNOWN_DISPARITY = "unknown disparity metric {name!r} for task {task!r}{hint}"
ERR_UNKNOWN_COLUMN = "intersection refers to unknown sensitive feature {name!r}{hint}"
ERR_TASK = "task must be one of {choices}, got {task!r}"
ERR_FAIRNESS_TASK = "fairness metrics support classification and regression, got task {task!r}"
ERR_NAN_TARGET = "{what} contains missing values"
ERR_NO_FEATURES = "no sensitive features given"


# --------------------------------------------------------------------------- helpers


def did_you_mean(name: str, choices: Sequence[str]) -> str:
    close = difflib.get_close_matches(name, list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def normalize_task(task: str | TaskType | None) -> str | None:
    """``'binary' | 'multiclass' | 'regression' | 'classification'`` (kind unknown) or None."""
    if task is None:
        return None
    if isinstance(task, TaskType):
        task = task.value
    aliases = {
        "binary": "binary",
        "binary-classification": "binary",
        "multiclass": "multiclass",
        "multiclass-classification": "multiclass",
        "text-classification": "classification",
        "classification": "classification",
        "regression": "regression",
    }
    if task not in aliases:
        raise ValueError(ERR_TASK.format(choices=sorted(aliases), task=task))
    return aliases[task]


def jsonable(value: Any) -> Any:
    """A JSON-native scalar for a group / class label."""
    if value is None:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool) or isinstance(value, (int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    return str(value)


def as_1d(values: Any, what: str, n: int | None = None) -> np.ndarray:
    if isinstance(values, (pd.Series, pd.Index)):
        arr = values.to_numpy()
    else:
        arr = np.asarray(values)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise ValueError(f"{what} must be one-dimensional, got shape {arr.shape}")
    if n is not None and len(arr) != n:
        raise ValueError(ERR_LENGTH.format(what=what, got=len(arr), expected=n))
    return arr


def _has_missing(arr: np.ndarray) -> bool:
    if arr.dtype.kind in "fc":
        return bool(np.isnan(arr).any())
    if arr.dtype.kind == "O":
        return bool(pd.isna(arr).any())
    return False


def distinct(values: np.ndarray) -> np.ndarray:
    """Distinct values; a counting pass for small-range integer / bool labels (the common case)."""
    arr = np.asarray(values)
    if arr.dtype.kind in "biu" and arr.size:
        lo, hi = int(arr.min()), int(arr.max())
        if hi - lo <= 64:
            present = np.flatnonzero(np.bincount((arr.astype(np.int64) - lo), minlength=hi - lo + 1)) + lo
            return present.astype(bool) if arr.dtype.kind == "b" else present.astype(arr.dtype)
    return pd.unique(arr)


def resolve_pos_label(values: np.ndarray, pos_label: Any = None) -> Any:
    """The positive label: given, or 1 when the labels are within {0, 1} or {-1, 1}."""
    if pos_label is not None:
        return pos_label
    uniq = pd.unique(values)
    try:
        as_set = {v.item() if isinstance(v, np.generic) else v for v in uniq}
        if as_set <= {0, 1} or as_set <= {-1, 1}:
            return 1
    except TypeError:
        pass
    shown = sorted(map(repr, uniq))[:5]
    raise ValueError(ERR_POS_LABEL.format(values="{" + ", ".join(shown) + "}"))


def factorize(values: Any, *, name: str = "column", missing: str = "group") -> tuple[np.ndarray, list[Any]]:
    """Integer codes ``0..k-1`` and the sorted observed labels.

    Categorical input keeps its category order (unused categories dropped);
    other input is sorted. Missing values become the last group ``"<missing>"``
    or raise, depending on ``missing``.
    """
    if missing not in ("group", "error"):
        raise ValueError(ERR_MISSING_MODE.format(missing))
    if isinstance(values, pd.Series) and isinstance(values.dtype, pd.CategoricalDtype):
        cat = values.array
    elif isinstance(values, pd.Categorical):
        cat = values
    else:
        cat = None
    if cat is not None:
        codes = np.asarray(cat.codes, dtype=np.int64)
        cats = list(cat.categories)
        used = np.bincount(codes[codes >= 0], minlength=len(cats)) > 0 if len(codes) else np.zeros(len(cats), bool)
        if not used.all():
            remap = np.full(len(cats), -1, dtype=np.int64)
            remap[used] = np.arange(int(used.sum()))
            codes = np.where(codes >= 0, remap[np.maximum(codes, 0)], -1)
            cats = [c for c, u in zip(cats, used, strict=True) if u]
        labels = cats
    else:
        arr = values.to_numpy() if isinstance(values, (pd.Series, pd.Index)) else np.asarray(values)
        if arr.ndim != 1:
            raise ValueError(f"sensitive feature {name!r} must be one-dimensional")
        try:
            codes, uniques = pd.factorize(arr, sort=True, use_na_sentinel=True)
            labels = list(uniques)
        except TypeError:  # labels of mixed, unorderable types: order by their text
            codes, uniques = pd.factorize(arr, sort=False, use_na_sentinel=True)
            order = sorted(range(len(uniques)), key=lambda i: str(uniques[i]))
            remap = np.empty(len(uniques), dtype=np.int64)
            remap[order] = np.arange(len(uniques))
            codes = np.where(codes >= 0, remap[np.maximum(codes, 0)], -1)
            labels = [uniques[i] for i in order]
        codes = np.asarray(codes, dtype=np.int64)
    n_missing = int((codes < 0).sum())
    if n_missing:
        if missing == "error":
            raise ValueError(ERR_MISSING.format(name=name, count=n_missing))
        codes = np.where(codes < 0, len(labels), codes)
        labels = labels + [MISSING_LABEL]
    return codes, [jsonable(v) for v in labels]


def resolve_slices(slices: Mapping[str, Any] | None, n: int, *, missing: str = "group") -> list[dict[str, Any]]:
    """Turn ``{name: boolean mask | group column}`` into a list of slices.

    A boolean mask is one slice named by its key; any other column yields one
    slice per value, named ``"<key>=<value>"``.
    """
    out: list[dict[str, Any]] = []
    for key, spec in (slices or {}).items():
        arr = as_1d(spec, f"slice {key!r}", n)
        if arr.dtype == bool:
            out.append({"name": str(key), "column": None, "value": None, "mask": arr})
            continue
        codes, labels = factorize(spec if isinstance(spec, pd.Series) else arr, name=str(key), missing=missing)
        for i, label in enumerate(labels):
            out.append({"name": f"{key}={label}", "column": str(key), "value": label, "mask": codes == i})
    return out


# --------------------------------------------------------------------------- partitions


@dataclass
class _Attribute:
    name: str
    columns: list[str]
    fine_to_group: np.ndarray  # (F,) group index of each fine group
    values: list[dict[str, Any]]  # per group: {column: label}

    @property
    def n_groups(self) -> int:
        return len(self.values)

    def label(self, g: int) -> str:
        vals = self.values[g]
        if len(self.columns) == 1:
            return str(vals[self.columns[0]])
        return ", ".join(f"{c}={vals[c]}" for c in self.columns)

    def membership(self) -> np.ndarray:
        m = np.zeros((len(self.fine_to_group), self.n_groups))
        m[np.arange(len(self.fine_to_group)), self.fine_to_group] = 1.0
        return m


def _sensitive_columns(sensitive_features: Any, n: int) -> dict[str, Any]:
    if isinstance(sensitive_features, pd.DataFrame):
        cols = {str(c): sensitive_features[c] for c in sensitive_features.columns}
    elif isinstance(sensitive_features, Mapping):
        cols = {str(k): v for k, v in sensitive_features.items()}
    elif isinstance(sensitive_features, pd.Series):
        cols = {str(sensitive_features.name or "sensitive_feature"): sensitive_features}
    else:
        cols = {"sensitive_feature": sensitive_features}
    if not cols:
        raise ValueError(ERR_NO_FEATURES)
    for name, col in cols.items():
        length = len(col)
        if length != n:
            raise ValueError(ERR_LENGTH.format(what=f"sensitive feature {name!r}", got=length, expected=n))
    return cols


def _fine_partition(code_list: list[np.ndarray], cards: list[int], n: int) -> tuple[np.ndarray, np.ndarray]:
    """Codes of the intersection of all columns, and each fine group's per-column codes."""
    if len(code_list) == 1:
        return code_list[0], np.arange(cards[0], dtype=np.int64)[:, None]
    total = 1
    for c in cards:
        total *= c
    if total < 2**62:
        combined = code_list[0].copy()
        for codes, card in zip(code_list[1:], cards[1:], strict=True):
            combined *= card
            combined += codes
        if total <= 4 * n + (1 << 20):
            present = np.flatnonzero(np.bincount(combined, minlength=total))
            lookup = np.full(total, -1, dtype=np.int64)
            lookup[present] = np.arange(len(present))
            fine = lookup[combined]
        else:
            present, fine = np.unique(combined, return_inverse=True)
        per_col = np.stack(np.unravel_index(present, cards), axis=1)
        return fine.astype(np.int64), per_col.astype(np.int64)
    stacked = np.stack(code_list, axis=1)
    per_col, fine = np.unique(stacked, axis=0, return_inverse=True)
    return fine.reshape(-1).astype(np.int64), per_col.astype(np.int64)


def _build_partition(
    sensitive_features: Any,
    n: int,
    intersections: bool | Sequence[Sequence[str]],
    missing: str,
) -> tuple[np.ndarray, list[_Attribute], list[str]]:
    cols = _sensitive_columns(sensitive_features, n)
    names = list(cols)
    combos: list[list[str]] = [[c] for c in names]
    if intersections is True:
        if len(names) > 1:
            combos.append(names)
    elif intersections:
        for combo in intersections:
            combo = [str(c) for c in combo]
            for c in combo:
                if c not in cols:
                    raise ValueError(ERR_UNKNOWN_COLUMN.format(name=c, hint=did_you_mean(c, names)))
            if len(combo) > 1 and combo not in combos:
                combos.append(combo)
    warnings: list[str] = []
    codes_by_col: dict[str, np.ndarray] = {}
    labels_by_col: dict[str, list[Any]] = {}
    for name in names:
        codes, labels = factorize(cols[name], name=name, missing=missing)
        codes_by_col[name], labels_by_col[name] = codes, labels
        if labels and labels[-1] == MISSING_LABEL:
            k = int((codes == len(labels) - 1).sum())
            warnings.append(f"sensitive feature {name!r}: {k} missing value(s) grouped as {MISSING_LABEL!r}")
    fine, per_col = _fine_partition([codes_by_col[c] for c in names], [len(labels_by_col[c]) for c in names], n)
    attributes = []
    for combo in combos:
        idx = [names.index(c) for c in combo]
        sub = per_col[:, idx]
        uniq, inverse = np.unique(sub, axis=0, return_inverse=True)
        values = [{c: labels_by_col[c][int(code)] for c, code in zip(combo, row, strict=True)} for row in uniq]
        attributes.append(_Attribute(" & ".join(combo), combo, inverse.reshape(-1), values))
    return fine, attributes, warnings


# --------------------------------------------------------------------------- group metrics


def _safe_div(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """num / den with 0 where den == 0 (scikit-learn's zero_division default)."""
    num = np.asarray(num, dtype=np.float64)
    den = np.asarray(den, dtype=np.float64)
    out = np.zeros(np.broadcast(num, den).shape)
    np.divide(num, den, out=out, where=den != 0)
    return out


def confusion_rates(cells: np.ndarray) -> dict[str, np.ndarray]:
    """Group rates from cells ``[..., y_true, y_pred]`` (last two axes 2 x 2)."""
    cells = np.asarray(cells, dtype=np.float64)
    tn, fp = cells[..., 0, 0], cells[..., 0, 1]
    fn, tp = cells[..., 1, 0], cells[..., 1, 1]
    count = tn + fp + fn + tp
    pos, neg = tp + fn, tn + fp
    return {
        "count": count,
        "selection_rate": _safe_div(tp + fp, count),
        "tpr": _safe_div(tp, pos),
        "fpr": _safe_div(fp, neg),
        "fnr": _safe_div(fn, pos),
        "precision": _safe_div(tp, tp + fp),
        "accuracy": _safe_div(tp + tn, count),
    }


def _classification_undefined(cell: np.ndarray) -> dict[str, str]:
    (tn, fp), (fn, tp) = cell
    out = {}
    if tp + fn == 0:
        out["tpr"] = out["fnr"] = "no positive labels in the group (0 by convention)"
    if tn + fp == 0:
        out["fpr"] = "no negative labels in the group (0 by convention)"
    if tp + fp == 0:
        out["precision"] = "no predicted positives in the group (0 by convention)"
    return out


def regression_rates(sums: np.ndarray) -> dict[str, np.ndarray]:
    """Group errors from sums ``[..., (count, sum |e|, sum e^2)]``."""
    sums = np.asarray(sums, dtype=np.float64)
    count = sums[..., 0]
    with np.errstate(invalid="ignore", divide="ignore"):
        mae = sums[..., 1] / count
        rmse = np.sqrt(sums[..., 2] / count)
    return {"count": count, "mae": mae, "rmse": rmse}


def multiclass_rates(cells: np.ndarray) -> dict[str, np.ndarray]:
    """Rates from (..., 2) cells of (wrong, right) counts."""
    count = cells[..., 0] + cells[..., 1]
    return {"count": count, "accuracy": _safe_div(cells[..., 1], count)}


def _difference_ratio(values: np.ndarray, present: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """max - min and min / max over the last axis, over present groups only."""
    v = np.where(present, values, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        hi = np.nanmax(v, axis=-1)
        lo = np.nanmin(v, axis=-1)
        diff = hi - lo
        ratio = np.where(hi == 0, np.nan, lo / np.where(hi == 0, 1.0, hi))
    return diff, ratio


def _disparity_table(task: str) -> dict[str, tuple[str, ...]]:
    """Disparity name -> (kind, group metric(s))."""
    metrics = {"binary": CLASSIFICATION_GROUP_METRICS, "multiclass": MULTICLASS_GROUP_METRICS}.get(
        task, REGRESSION_GROUP_METRICS)
    table: dict[str, tuple[str, ...]] = {}
    if task == "binary":
        table.update(
            {
                "demographic_parity_difference": ("difference", "selection_rate"),
                "demographic_parity_ratio": ("ratio", "selection_rate"),
                "equalized_odds_difference": ("eo_difference",),
                "equalized_odds_ratio": ("eo_ratio",),
                "equal_opportunity_difference": ("difference", "tpr"),
                "equal_opportunity_ratio": ("ratio", "tpr"),
            }
        )
    for m in metrics:
        table[f"{m}_difference"] = ("difference", m)
        table[f"{m}_ratio"] = ("ratio", m)
    assert set(table) <= set(FAIRNESS_METRICS), set(table) - set(FAIRNESS_METRICS)
    return table


def available_disparities(task: str | TaskType) -> list[str]:
    """Disparity metric names computed for a task ('binary' or 'regression')."""
    return list(_disparity_table(_fairness_task(task)))


def _fairness_task(task: str | TaskType | None, n_labels: int | None = None) -> str:
    kind = normalize_task(task) or "binary"
    if kind == "classification":  # text classification: binary or multiclass by its labels
        kind = "multiclass" if n_labels is not None and n_labels > 2 else "binary"
    if kind not in ("binary", "multiclass", "regression"):
        raise ValueError(ERR_FAIRNESS_TASK.format(task=task))
    return kind


def _disparities(
    rates: dict[str, np.ndarray], present: np.ndarray, wanted: list[str], table: dict[str, tuple[str, ...]]
) -> dict[str, np.ndarray]:
    cache: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def dr(metric: str) -> tuple[np.ndarray, np.ndarray]:
        if metric not in cache:
            cache[metric] = _difference_ratio(rates[metric], present)
        return cache[metric]

    out = {}
    for name in wanted:
        kind = table[name]
        if kind[0] == "difference":
            out[name] = dr(kind[1])[0]
        elif kind[0] == "ratio":
            out[name] = dr(kind[1])[1]
        elif kind[0] == "eo_difference":
            out[name] = np.maximum(dr("tpr")[0], dr("fpr")[0])
        else:  # eo_ratio, as fairlearn's builtin min([tpr_ratio, fpr_ratio])
            tr, fr = dr("tpr")[1], dr("fpr")[1]
            out[name] = np.where(np.isnan(tr), np.nan, np.where(fr < tr, fr, tr))
    return out


def _disparity_reason(name: str, kind: tuple[str, ...], point: dict[str, np.ndarray], labels: list[str]) -> str | None:
    def zero_reason(metric: str) -> str:
        return f"{metric} is 0 in every group, so the ratio min/max is 0/0"

    if kind[0] == "ratio":
        values = point[kind[1]]
        if np.nanmax(values) == 0:
            return zero_reason(kind[1])
    elif kind[0] == "eo_ratio":
        if np.nanmax(point["tpr"]) == 0:
            return zero_reason("tpr")
        if np.nanmax(point["fpr"]) == 0:
            return "fpr is 0 in every group (ratio 0/0); the value is the tpr ratio"
    if len(labels) == 1:
        return "only one group observed"
    return None


def _extremes(kind: tuple[str, ...], point: dict[str, np.ndarray], labels: list[str]) -> dict[str, Any]:
    if kind[0] in ("difference", "ratio"):
        v = point[kind[1]]
        return {"metric": kind[1], "min_group": labels[int(np.argmin(v))], "max_group": labels[int(np.argmax(v))]}
    tpr = _difference_ratio(point["tpr"], np.ones_like(point["tpr"], bool))
    fpr = _difference_ratio(point["fpr"], np.ones_like(point["fpr"], bool))
    if kind[0] == "eo_difference":
        metric = "fpr" if fpr[0] > tpr[0] else "tpr"
    else:
        metric = "fpr" if fpr[1] < tpr[1] else "tpr"
    v = point[metric]
    return {"metric": metric, "min_group": labels[int(np.argmin(v))], "max_group": labels[int(np.argmax(v))]}


# --------------------------------------------------------------------------- report


def fairness_report(
    y_true: Any,
    y_pred: Any,
    sensitive_features: Any,
    *,
    task: str | TaskType = "binary",
    pos_label: Any = None,
    disparities: Sequence[str] | None = None,
    intersections: bool | Sequence[Sequence[str]] = True,
    min_group_size: int = DEFAULT_MIN_GROUP_SIZE,
    missing: str = "group",
    n_boot: int = DEFAULT_REPLICATES,
    confidence: float = DEFAULT_CONFIDENCE,
    seed: int | None = DEFAULT_SEED,
    views: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
) -> dict[str, Any]:
    """Per-group metrics and disparities for each sensitive attribute and intersection.

    ``views`` (attribute name, ``" & ".join(columns)`` → view specs ``{"min_group_size",
    "include_small_groups", "reference_group"}``): the disparities a gate judges. Each
    view excludes the groups below its minimum size (unless it includes small groups),
    records which it excluded and why, and, with a reference group, each other group's
    rates, difference and ratio to the reference and the pairwise disparities, all with
    intervals. Every attribute gets the default view (``min_group_size``, small groups
    excluded, no reference) in ``"views"``.

    ``sensitive_features``: a DataFrame, a mapping ``{name: column}``, a Series or
    one array. Each column is an attribute; ``intersections=True`` adds the
    combination of all columns (when there are several), or pass a list of column
    lists. ``task`` is ``"binary"`` (labels; group metrics selection_rate, tpr,
    fpr, fnr, precision, accuracy) or ``"regression"`` (mae, rmse).
    ``disparities`` selects names from ``catalog.FAIRNESS_METRICS`` (default: all
    that apply to the task).

    Returns a JSON-ready dict::

        {"task", "n", "pos_label", "min_group_size",
         "overall": {"count": n, <metric>: value, ...},
         "attributes": {<name>: {"columns": [...],
                                 "groups": [{"label", "values", "count", "small",
                                             "metrics": {...}, "undefined": {...}}],
                                 "small_groups": [label, ...],
                                 "disparities": {<disparity>: {"value", "ci", "reason",
                                                               "metric", "min_group", "max_group"}}}},
         "warnings": [...], "bootstrap": {...}}
    """
    check_bootstrap_args(n_boot, confidence)
    yt = as_1d(y_true, "y_true")
    n = len(yt)
    if n == 0:
        raise ValueError(ERR_EMPTY)
    yp = as_1d(y_pred, "y_pred", n)
    kind = _fairness_task(task)
    if kind != "regression":
        n_labels = len(np.unique(np.concatenate([distinct(yt), distinct(yp)]).astype(str)))
        kind = _fairness_task(task, n_labels)
    table = _disparity_table(kind)
    wanted = list(table) if disparities is None else list(disparities)
    for name in wanted:
        if name not in table:
            raise ValueError(ERR_UNKNOWN_DISPARITY.format(name=name, task=kind, hint=did_you_mean(name, list(table))))

    fine, attributes, warnings = _build_partition(sensitive_features, n, intersections, missing)
    n_fine = int(fine.max()) + 1
    rng = make_rng(seed)

    fine_stats: np.ndarray
    jack_fine: np.ndarray | None = None
    group_metrics: tuple[str, ...]
    rates_of: Callable[[np.ndarray], dict[str, np.ndarray]]
    if kind == "binary":
        for what, arr in (("y_true", yt), ("y_pred", yp)):
            if _has_missing(arr):
                raise ValueError(ERR_NAN_TARGET.format(what=what))
        pos = resolve_pos_label(np.concatenate([distinct(yt), distinct(yp)]), pos_label)
        t = yt == pos
        p = yp == pos
        cell = fine * 4
        cell += 2 * t
        cell += p
        fine_stats = np.bincount(cell, minlength=n_fine * 4).reshape(n_fine, 2, 2)
        group_metrics = CLASSIFICATION_GROUP_METRICS
        boot_fine = None  # rate disparities have closed-form intervals
        method = "closed form from the (group, label, prediction) cells"
        rates_of = confusion_rates
    elif kind == "multiclass":
        for what, arr in (("y_true", yt), ("y_pred", yp)):
            if _has_missing(arr):
                raise ValueError(ERR_NAN_TARGET.format(what=what))
        pos = None
        right = (yt.astype(str) == yp.astype(str)) if yt.dtype != yp.dtype else (yt == yp)
        fine_stats = np.bincount(fine * 2 + right, minlength=n_fine * 2).reshape(n_fine, 2)
        group_metrics = MULTICLASS_GROUP_METRICS
        boot_fine = None  # rate disparities have closed-form intervals
        method = "closed form from the (group, correct) cells"
        rates_of = multiclass_rates
    else:
        yt_f = np.asarray(yt, dtype=np.float64)
        yp_f = np.asarray(yp, dtype=np.float64)
        if np.isnan(yt_f).any() or np.isnan(yp_f).any():
            raise ValueError(ERR_NAN_TARGET.format(what="y_true" if np.isnan(yt_f).any() else "y_pred"))
        pos = None
        err = yp_f - yt_f
        x = np.stack([np.ones(n), np.abs(err), err * err], axis=1)
        fine_stats = np.stack(
            [np.bincount(fine, minlength=n_fine).astype(np.float64)]
            + [np.bincount(fine, weights=x[:, j], minlength=n_fine) for j in (1, 2)],
            axis=1,
        )
        group_metrics = REGRESSION_GROUP_METRICS
        boot_fine = _regression_boot(fine, n_fine, x, n_boot, rng) if n_boot else None
        # delete-a-block jackknife of the per-group sums, for the BCa acceleration
        jw = block_weights(n)
        jack_fine = np.stack(
            [np.stack([np.bincount(fine, weights=w * x[:, j], minlength=n_fine) for j in range(3)], axis=1)
             for w in jw], axis=0)  # (K, F, 3)
        method = "row resampling (per-group sums of |e| and e^2), BCa"
        rates_of = regression_rates

    overall_stats = fine_stats.sum(axis=0)
    overall_rates = rates_of(overall_stats)
    overall: dict[str, Any] = {"count": int(n)}
    overall.update({m: to_float(overall_rates[m]) for m in group_metrics})

    out_attrs: dict[str, Any] = {}
    for attr in attributes:
        memb = attr.membership()
        stats = np.tensordot(memb.T, fine_stats.astype(np.float64), axes=(1, 0))  # (G, ...)
        point = rates_of(stats)
        labels = [attr.label(g) for g in range(attr.n_groups)]
        groups = []
        small = []
        for g in range(attr.n_groups):
            count = int(round(point["count"][g]))
            is_small = count < min_group_size
            if is_small:
                small.append(labels[g])
            entry = {
                "label": labels[g],
                "values": attr.values[g],
                "count": count,
                "small": is_small,
                "metrics": {m: to_float(point[m][g]) for m in group_metrics},
                "undefined": _classification_undefined(stats[g]) if kind == "binary" else {},
            }
            groups.append(entry)
        if kind != "regression":
            for entry, extra in zip(groups, group_extras(stats, kind, confidence), strict=True):
                entry.update(extra)
        present = np.ones(attr.n_groups, dtype=bool)
        point_disp = _disparities(point, present, wanted, table)
        boot_disp = None
        brates: Any = None
        if boot_fine is not None:
            shape = boot_fine.shape
            flat = boot_fine.reshape(shape[0], shape[1], -1).astype(np.float64).transpose(0, 2, 1)  # (B, k, F)
            bstats = (flat @ memb).transpose(0, 2, 1).reshape((shape[0], attr.n_groups) + shape[2:])
            brates = rates_of(bstats)
            boot_disp = _disparities(brates, brates["count"] > 0, wanted, table)
        brates_all = brates if boot_fine is not None else None
        jstats_all = None
        if kind == "regression" and boot_fine is not None and jack_fine is not None:
            jstats_all = np.tensordot(jack_fine, memb.astype(np.float64), axes=(1, 0)).transpose(0, 2, 1)

        def regression_subset(idx: np.ndarray, point: dict[str, np.ndarray] = point,
                              labels: list[str] = labels, brates: Any = brates_all, jstats: Any = jstats_all
                              ) -> dict[str, dict[str, Any]]:
            """The disparities over the groups ``idx`` only, with their intervals and extremes."""
            sub_point = {m: v[idx] for m, v in point.items()}
            sub_labels = [labels[i] for i in idx]
            sub_disp = _disparities(sub_point, np.ones(len(idx), dtype=bool), wanted, table)
            sub_reasons = {name: _disparity_reason(name, table[name], sub_point, sub_labels) for name in wanted}
            boot_sub = None
            if brates is not None:
                bsub = {m: v[:, idx] for m, v in brates.items()}
                boot_sub = _disparities(bsub, bsub["count"] > 0, wanted, table)
            jack_sub = None
            if brates is not None and jstats is not None:
                jsub = jstats[:, idx]
                jack_sub = _disparities(rates_of(jsub), jsub[..., 0] > 0, wanted, table)
            out = estimates(sub_disp, boot_sub, confidence, sub_reasons, jack_sub)
            for name in wanted:
                out[name].update(_extremes(table[name], sub_point, sub_labels))
            return out

        subset = regression_subset if kind == "regression" else rate_subset(
            stats, point, labels, kind, wanted, table, confidence, n_boot)

        reasons = {name: _disparity_reason(name, table[name], point, labels) for name in wanted}
        if kind == "regression":
            jack = None
            if jstats_all is not None:
                jack = _disparities(rates_of(jstats_all), jstats_all[..., 0] > 0, wanted, table)
            disp_out = estimates(point_disp, boot_disp, confidence, reasons, jack)
        else:
            disp_out = _rate_disparities(point_disp, _rate_counts(stats, kind), wanted, table, confidence,
                                         reasons, bool(n_boot))
        for name in wanted:
            disp_out[name].update(_extremes(table[name], point, labels))
        view_out = attribute_views(attr.name, labels, point, subset, stats, kind, confidence, min_group_size, views)
        if small:
            warnings.append(
                f"{attr.name}: {len(small)} group(s) below the minimum size {min_group_size}: "
                + ", ".join(small)
            )
        out_attrs[attr.name] = {
            "columns": list(attr.columns),
            "groups": groups,
            "small_groups": small,
            "disparities": disp_out,
            "views": view_out,
        }

    return fairness_envelope(kind, n, pos, min_group_size, overall, out_attrs, warnings,
                             bootstrap_info(n_boot, confidence, seed, method))


def fairness_envelope(kind: str, n: int, pos: Any, min_group_size: int, overall: dict[str, Any],
                      attributes: dict[str, Any], warnings: list[str], bootstrap: dict[str, Any]) -> dict[str, Any]:
    """The fairness report's outer shape, one for the in-memory report and the one from partition counts."""
    return {
        "task": {"binary": "binary-classification", "multiclass": "multiclass-classification"}.get(kind, "regression"),
        "n": int(n),
        "pos_label": jsonable(pos),
        "min_group_size": int(min_group_size),
        "overall": overall,
        "attributes": attributes,
        "warnings": warnings,
        "bootstrap": bootstrap,
    }


def rate_subset(stats: np.ndarray, point: dict[str, np.ndarray], labels: list[str], kind: str, wanted: list[str],
                table: Any, confidence: float, n_boot: int) -> Callable[[np.ndarray], dict[str, dict[str, Any]]]:
    """For classification: the disparities over a subset of the groups, with their closed-form intervals
    and extremes (the in-memory and the partitioned reports share it)."""

    def subset(idx: np.ndarray) -> dict[str, dict[str, Any]]:
        sub_point = {m: v[idx] for m, v in point.items()}
        sub_labels = [labels[i] for i in idx]
        sub_disp = _disparities(sub_point, np.ones(len(idx), dtype=bool), wanted, table)
        sub_reasons = {name: _disparity_reason(name, table[name], sub_point, sub_labels) for name in wanted}
        out = _rate_disparities(sub_disp, _rate_counts(stats[idx], kind), wanted, table, confidence,
                                sub_reasons, bool(n_boot))
        for name in wanted:
            out[name].update(_extremes(table[name], sub_point, sub_labels))
        return out

    return subset


def attribute_views(attr: str, labels: list[str], point: dict[str, np.ndarray], subset: Any, stats: np.ndarray,
                 kind: str, confidence: float, min_group_size: int,
                 views: Mapping[str, Sequence[Mapping[str, Any]]] | None) -> list[dict[str, Any]]:
    """The attribute's judged views: the default one, then each distinct (minimum size, small-group rule,
    reference group) a check asks for."""
    counts_g = [int(round(point["count"][g])) for g in range(len(labels))]
    specs = [{"min_group_size": min_group_size, "include_small_groups": False, "reference_group": None}]
    for spec in (views or {}).get(attr, ()):
        norm = {"min_group_size": int(spec.get("min_group_size", min_group_size)),
                "include_small_groups": bool(spec.get("include_small_groups", False)),
                "reference_group": spec.get("reference_group")}
        if norm not in specs:
            specs.append(norm)
    return [_view(spec, labels, counts_g, subset, stats, kind, confidence) for spec in specs]


def group_extras(stats: np.ndarray, kind: str, confidence: float) -> list[dict[str, Any]]:
    """Per group (classification): each rate's Wilson interval and, binary, the confusion matrix."""
    counts = _rate_counts(stats, kind)
    out = []
    for g in range(stats.shape[0]):
        entry: dict[str, Any] = {"intervals": {m: _wilson_pair(k[g], n_[g], confidence) for m, (k, n_) in counts.items()}}
        if kind == "binary":  # cells [y_true, y_pred]: [[TN, FP], [FN, TP]]
            entry["confusion"] = [[int(round(float(x))) for x in row] for row in stats[g]]
        out.append(entry)
    return out


def _wilson_pair(k: float, n: float, confidence: float) -> list[float] | None:
    if n <= 0:
        return None
    lo, hi = wilson(np.asarray([k]), np.asarray([n]), confidence)
    return [float(lo[0]), float(hi[0])]


def _view(spec: Mapping[str, Any], labels: list[str], counts: list[int],
          subset: Callable[[np.ndarray], dict[str, dict[str, Any]]], stats: np.ndarray, kind: str,
          confidence: float) -> dict[str, Any]:
    """One judged view of an attribute: the groups it compares, the ones it excludes and why, its disparities,
    and (with a reference group) each group against the reference."""
    min_size = int(spec["min_group_size"])
    include_small = bool(spec["include_small_groups"])
    keep = [g for g in range(len(labels)) if include_small or counts[g] >= min_size]
    excluded = [{"group": labels[g], "n": counts[g],
                 "reason": f"{counts[g]:,} rows, below the minimum group size {min_size:,}"}
                for g in range(len(labels)) if g not in keep]
    out: dict[str, Any] = {"min_group_size": min_size, "include_small_groups": include_small,
                           "reference_group": spec.get("reference_group"),
                           "included": [labels[g] for g in keep], "excluded": excluded,
                           "disparities": subset(np.asarray(keep, dtype=np.int64)) if len(keep) >= 1 else {}}
    ref_label = spec.get("reference_group")
    if ref_label is None:
        return out
    ref: dict[str, Any] = {"group": ref_label, "n": None, "problem": None, "comparisons": []}
    out["reference"] = ref
    if ref_label not in labels:
        shown = ", ".join(labels[:12]) + (", …" if len(labels) > 12 else "")
        ref["problem"] = f"no group '{ref_label}' in the data (groups: {shown})"
        return out
    r = labels.index(ref_label)
    ref["n"] = counts[r]
    if r not in keep:
        ref["problem"] = (f"the reference group '{ref_label}' has {counts[r]:,} rows, below the minimum group size "
                          f"{min_size:,}")
        return out
    rate_counts = _rate_counts(stats, kind) if kind != "regression" else {}
    for g in keep:
        if g == r:
            continue
        row: dict[str, Any] = {"group": labels[g], "n": counts[g],
                               "disparities": subset(np.asarray([g, r], dtype=np.int64))}
        rates: dict[str, dict[str, Any]] = {}
        diffs: dict[str, dict[str, Any]] = {}
        ratios: dict[str, dict[str, Any]] = {}
        for m, (k, n) in rate_counts.items():
            kg, ng, kr, nr = (np.asarray([x]) for x in (k[g], n[g], k[r], n[r]))
            pg = float(k[g] / n[g]) if n[g] > 0 else None
            pr = float(k[r] / n[r]) if n[r] > 0 else None
            rates[m] = {"value": pg, "reference": pr, "ci": _wilson_pair(k[g], n[g], confidence),
                        "method": WILSON}
            if pg is None or pr is None:
                diffs[m] = {"value": None, "ci": None, "reason": "no rows for the rate in a group", "method": None}
                ratios[m] = dict(diffs[m])
                continue
            lo, hi = newcombe(kg, ng, kr, nr, confidence)
            diffs[m] = {"value": pg - pr, "ci": [float(lo[0]), float(hi[0])], "reason": None, "method": NEWCOMBE}
            klo, khi = katz(kg, ng, kr, nr, confidence)
            ci = [float(klo[0]), float(khi[0])] if np.isfinite(klo[0]) and np.isfinite(khi[0]) else None
            ratios[m] = {"value": pg / pr if pr > 0 else None, "ci": ci,
                         "reason": None if pr > 0 else "the reference group's rate is 0",
                         "method": KATZ if ci is not None else None}
        if rate_counts:
            row.update({"rates": rates, "difference": diffs, "ratio": ratios})
        ref["comparisons"].append(row)
    return out


def _rate_counts(stats: np.ndarray, kind: str) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Group rate -> (numerators, denominators) per group, for closed-form intervals."""
    stats = np.asarray(stats, dtype=np.float64)
    if kind == "multiclass":
        return {"accuracy": (stats[:, 1], stats[:, 0] + stats[:, 1])}
    tn, fp, fn, tp = stats[:, 0, 0], stats[:, 0, 1], stats[:, 1, 0], stats[:, 1, 1]
    count = tn + fp + fn + tp
    return {
        "selection_rate": (tp + fp, count), "tpr": (tp, tp + fn), "fpr": (fp, tn + fp),
        "fnr": (fn, tp + fn), "precision": (tp, tp + fp), "accuracy": (tp + tn, count),
    }


def _rate_disparities(point: dict[str, np.ndarray], counts: dict[str, tuple[np.ndarray, np.ndarray]],
                      wanted: list[str], table: dict[str, tuple[str, ...]], confidence: float,
                      reasons: dict[str, str | None], intervals: bool) -> dict[str, dict[str, Any]]:
    out = {}
    for name in wanted:
        if not intervals or len(counts["accuracy"][0]) < 2:
            out[name] = estimate(float(point[name]), None, confidence, reason=reasons.get(name))
            continue
        lo, hi, how = disparity_interval(table[name], counts, confidence)
        out[name] = closed_form(float(point[name]), lo, hi, how, confidence, reasons.get(name))
    return out


def _regression_boot(
    fine: np.ndarray, n_fine: int, x: np.ndarray, n_boot: int, rng: np.random.Generator
) -> np.ndarray:
    """Replicates of per-group (count, sum |e|, sum e^2): shape (B, F, 3).

    Rows are sorted by group once; a uniform resample of the sorted rows is a
    uniform resample of the rows, and each group becomes a contiguous block, so the
    group sums of a replicate are block-wise ``W @ x`` products.
    """
    order = np.argsort(fine, kind="stable")
    xs = x[order]
    bounds = np.concatenate([[0], np.cumsum(np.bincount(fine, minlength=n_fine))])
    n = len(fine)
    out = np.empty((n_boot, n_fine, 3))
    done = 0
    for w in row_count_chunks(n, n_boot, rng):
        c = w.shape[0]
        for g in range(n_fine):
            s, e = bounds[g], bounds[g + 1]
            out[done : done + c, g, :] = w[:, s:e] @ xs[s:e]
        done += c
    return out
