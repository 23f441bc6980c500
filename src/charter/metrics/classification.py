"""Classification metrics with bootstrap intervals, overall and on slices.

Metric names and meanings follow ``catalog.MODEL_METRICS``; values equal
scikit-learn's (tests use it as the oracle):

* binary: ``precision`` / ``recall`` / ``f1`` of the positive label. Where
  scikit-learn would warn and return 0 (no predicted positives, no positive
  labels) the value here is ``None`` with the reason, so a gate never passes or
  fails on a placeholder;
* multiclass: macro averages over the labels present in ``y_true`` or ``y_pred``
  (scikit-learn's default label set); a per-class 0/0 counts as 0, as in
  scikit-learn; ``roc_auc`` is one-vs-rest macro and needs every class among the
  labels;
* ``balanced_accuracy`` is the mean recall over the classes present in ``y_true``;
* ``log_loss`` clips probabilities to ``[eps, 1 - eps]`` (float64 eps) like
  scikit-learn and does not renormalise rows; ``brier`` is binary only.

Metrics that need scores are absent (listed under ``skipped``) when no scores
are given. Binary predictions derived from scores use ``score >= threshold``;
multiclass ones the arg-max column.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

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
    multinomial_cells,
    row_count_chunks,
    spawn_rngs,
)
from .catalog import MODEL_METRICS, TaskType
from .intervals import WILSON, block_weights, cell_jackknife, wilson
from .groups import (
    DEFAULT_MIN_GROUP_SIZE,
    ERR_EMPTY,
    as_1d,
    did_you_mean,
    jsonable,
    normalize_task,
    resolve_pos_label,
    resolve_slices,
)

BINARY_METRICS = ("accuracy", "balanced_accuracy", "precision", "recall", "f1", "roc_auc", "log_loss", "brier")
MULTICLASS_METRICS = ("accuracy", "balanced_accuracy", "precision", "recall", "f1", "roc_auc", "log_loss")
SCORE_METRICS = frozenset(m for m, info in MODEL_METRICS.items() if info.needs_scores)
_EPS = np.finfo(np.float64).eps

ERR_NEED_PRED = "give y_pred, y_score, or both"
ERR_UNKNOWN_METRIC = "unknown metric {name!r} for {task}{hint}"
ERR_NOT_BINARY = "a binary task needs at most two labels, got {labels}"
ERR_UNKNOWN_LABEL = "{what} contains label(s) {labels} that are not among labels={classes}"
ERR_SCORE_SHAPE = "y_score has {got} columns but there are {k} classes {classes}; pass labels= in column order"
ERR_SCORE_NAN = "y_score contains missing or infinite values"
ERR_LABEL_NAN = "{what} contains missing values"

REASON_NO_SCORES = "no scores given"
REASON_NOT_PROBA = "scores are not probabilities in [0, 1]"
REASON_NO_BINARY_BRIER = "brier is defined for binary tasks only"


@dataclass
class _Data:
    kind: str  # "binary" | "multiclass"
    classes: list[Any]
    t: np.ndarray  # true class codes 0..k-1
    p: np.ndarray  # predicted class codes
    score: np.ndarray | None  # (n,) positive-class score, or (n, k)
    proba: bool  # scores are probabilities

    @property
    def k(self) -> int:
        return len(self.classes)

    def subset(self, mask: np.ndarray) -> _Data:
        score = None if self.score is None else self.score[mask]
        return _Data(self.kind, self.classes, self.t[mask], self.p[mask], score, self.proba)


def _encode(values: np.ndarray, classes: list[Any], what: str) -> np.ndarray:
    cat = pd.Categorical(values, categories=classes)
    codes = np.asarray(cat.codes, dtype=np.int64)
    if (codes < 0).any():
        bad = sorted({repr(v) for v in pd.unique(values[codes < 0])})[:5]
        raise ValueError(ERR_UNKNOWN_LABEL.format(what=what, labels=", ".join(bad), classes=classes))
    return codes


def _sorted_unique(*arrays: np.ndarray) -> list[Any]:
    uniq = pd.unique(np.concatenate([pd.unique(a) for a in arrays]))
    try:
        return sorted(uniq)
    except TypeError:
        return sorted(uniq, key=str)


def _prepare(
    y_true: Any,
    y_pred: Any,
    y_score: Any,
    task: Any,
    labels: Sequence[Any] | None,
    pos_label: Any,
    threshold: float,
) -> _Data:
    yt = as_1d(y_true, "y_true")
    n = len(yt)
    if n == 0:
        raise ValueError(ERR_EMPTY)
    if y_pred is None and y_score is None:
        raise ValueError(ERR_NEED_PRED)
    yp = None if y_pred is None else as_1d(y_pred, "y_pred", n)
    for what, arr in (("y_true", yt), ("y_pred", yp)):
        if arr is not None and pd.isna(arr).any():
            raise ValueError(ERR_LABEL_NAN.format(what=what))
    score = None
    if y_score is not None:
        raw = y_score.to_numpy() if isinstance(y_score, (pd.Series, pd.DataFrame)) else y_score
        score = np.asarray(raw, dtype=np.float64)
        if score.shape[0] != n or score.ndim not in (1, 2):
            raise ValueError(f"y_score must have shape (n,) or (n, k) with n={n}, got {score.shape}")
        if not np.isfinite(score).all():
            raise ValueError(ERR_SCORE_NAN)

    kind = normalize_task(task)
    if kind == "regression":
        raise ValueError("use evaluate_regression for regression tasks")
    if kind in (None, "classification"):
        seen = _sorted_unique(yt, *([] if yp is None else [yp]))
        n_labels = len(labels) if labels is not None else len(seen)
        if score is not None and score.ndim == 2 and score.shape[1] > 2:
            kind = "multiclass"
        else:
            kind = "multiclass" if n_labels > 2 else "binary"

    if kind == "binary":
        if score is not None and score.ndim == 2:
            if score.shape[1] == 1:
                score = score[:, 0]
            elif score.shape[1] == 2:
                score = score[:, 1]
            else:
                raise ValueError(ERR_SCORE_SHAPE.format(got=score.shape[1], k=2, classes="(binary)"))
        observed = _sorted_unique(yt, *([] if yp is None else [yp]))
        if labels is not None:
            observed = _sorted_unique(np.asarray(list(labels), dtype=object), np.asarray(observed, dtype=object))
        pos = resolve_pos_label(np.asarray(observed, dtype=object), pos_label)
        others = [v for v in observed if not v == pos]
        if len(others) > 1:
            raise ValueError(ERR_NOT_BINARY.format(labels=observed))
        neg = others[0] if others else (0 if pos == 1 else None)
        t = (yt == pos).astype(np.int64)
        if yp is not None:
            p = (yp == pos).astype(np.int64)
        else:
            p = (cast(np.ndarray, score) >= threshold).astype(np.int64)  # no y_pred: y_score was given
        proba = score is not None and bool(score.min() >= 0.0 and score.max() <= 1.0)
        return _Data("binary", [jsonable(neg), jsonable(pos)], t, p, score, proba)

    # multiclass
    if labels is not None:
        classes = list(labels)
    elif yp is not None:
        classes = _sorted_unique(yt, yp)
    else:
        classes = _sorted_unique(yt)
    t = _encode(yt, classes, "y_true")
    if score is not None:
        if score.ndim != 2 or score.shape[1] != len(classes):
            got = 1 if score.ndim == 1 else score.shape[1]
            raise ValueError(ERR_SCORE_SHAPE.format(got=got, k=len(classes), classes=classes))
    if yp is not None:
        p = _encode(yp, classes, "y_pred")
    else:
        p = np.argmax(cast(np.ndarray, score), axis=1).astype(np.int64)  # no y_pred: y_score was given
    proba = score is not None and bool(score.min() >= 0.0 and score.max() <= 1.0)
    return _Data("multiclass", [jsonable(c) for c in classes], t, p, score, proba)


# --------------------------------------------------------------------------- kernels (vectorised over replicates)


def _div(num: np.ndarray, den: np.ndarray, fill: float) -> np.ndarray:
    num = np.asarray(num, dtype=np.float64)
    den = np.asarray(den, dtype=np.float64)
    out = np.full(np.broadcast(num, den).shape, fill)
    np.divide(num, den, out=out, where=den != 0)
    return out


def confusion_metrics(cm: np.ndarray, kind: str) -> dict[str, np.ndarray]:
    """Label metrics from confusion matrices ``[..., true, pred]``; NaN = undefined."""
    cm = np.asarray(cm, dtype=np.float64)
    diag = np.diagonal(cm, axis1=-2, axis2=-1)
    rows = cm.sum(axis=-1)
    cols = cm.sum(axis=-2)
    total = rows.sum(axis=-1)
    out = {"accuracy": _div(diag.sum(axis=-1), total, np.nan)}
    in_true = rows > 0
    recall_k = _div(diag, rows, 0.0)
    out["balanced_accuracy"] = _div((recall_k * in_true).sum(axis=-1), in_true.sum(axis=-1), np.nan)
    if kind == "binary":
        tp, fp, fn = cm[..., 1, 1], cm[..., 0, 1], cm[..., 1, 0]
        out["precision"] = _div(tp, tp + fp, np.nan)
        out["recall"] = _div(tp, tp + fn, np.nan)
        out["f1"] = _div(2 * tp, 2 * tp + fp + fn, np.nan)
    else:
        present = (rows + cols) > 0
        n_present = present.sum(axis=-1)
        out["precision"] = _div((_div(diag, cols, 0.0) * present).sum(axis=-1), n_present, np.nan)
        out["recall"] = _div((recall_k * present).sum(axis=-1), n_present, np.nan)
        out["f1"] = _div((_div(2 * diag, rows + cols, 0.0) * present).sum(axis=-1), n_present, np.nan)
    return out


def _rate_counts(cm: np.ndarray, kind: str) -> dict[str, tuple[float, float]]:
    """Metrics that are one proportion ``k / n``: name -> (k, n), for Wilson intervals."""
    diag = float(np.trace(cm))
    out = {"accuracy": (diag, float(cm.sum()))}
    if kind == "binary":
        (_tn, fp), (fn, tp) = cm
        out["precision"] = (float(tp), float(tp + fp))
        out["recall"] = (float(tp), float(tp + fn))
    return out


def _confusion_reasons(cm: np.ndarray, kind: str) -> dict[str, str]:
    if kind != "binary":
        return {}
    (tn, fp), (fn, tp) = cm
    out = {}
    if tp + fp == 0:
        out["precision"] = "no predicted positives (precision is 0/0)"
    if tp + fn == 0:
        out["recall"] = "no positive labels (recall is 0/0)"
    if 2 * tp + fp + fn == 0:
        out["f1"] = "no positive labels and no predicted positives (f1 is 0/0)"
    return out


class _AucPlan:
    """Rows sorted by score with tie blocks, for weighted (bootstrap) ROC AUC."""

    def __init__(self, score: np.ndarray, positive: np.ndarray):
        order = np.argsort(score, kind="mergesort")
        # Rows already in score order (see _evaluate_block) need no gather per replicate.
        self.order = None if np.array_equal(order, np.arange(len(order))) else order
        s = score if self.order is None else score[order]
        self.starts = np.flatnonzero(np.r_[True, s[1:] != s[:-1]])
        self.pos = (positive if self.order is None else positive[order]).astype(np.float64)

    def auc(self, w: np.ndarray) -> np.ndarray:
        """AUC for weight rows ``w`` (c, n) in original row order; NaN if one class only."""
        ws = w if self.order is None else w[:, self.order]
        p = np.add.reduceat(ws * self.pos, self.starts, axis=1)
        a = np.add.reduceat(ws, self.starts, axis=1)
        neg = a - p
        below = np.cumsum(neg, axis=1) - neg
        num = (p * (below + 0.5 * neg)).sum(axis=1)
        den = p.sum(axis=1) * neg.sum(axis=1)
        return _div(num, den, np.nan)


class _ScorePlan:
    """Everything needed to compute score metrics for any row weighting."""

    def __init__(self, d: _Data, wanted: list[str]):
        self.wanted = wanted
        self.k = d.k
        self.kind = d.kind
        self.row_loss: dict[str, np.ndarray] = {}
        score = cast(np.ndarray, d.score)  # score metrics are only planned when there are scores
        if "log_loss" in wanted:
            if d.kind == "binary":
                pr = np.clip(np.stack([1.0 - score, score], axis=1), _EPS, 1 - _EPS)
            else:
                pr = np.clip(score, _EPS, 1 - _EPS)
            self.row_loss["log_loss"] = -np.log(pr[np.arange(len(d.t)), d.t])
        if "brier" in wanted:
            self.row_loss["brier"] = (d.t - score) ** 2
        self.auc_plans: list[_AucPlan] = []
        if "roc_auc" in wanted:
            if d.kind == "binary":
                self.auc_plans = [_AucPlan(score, d.t == 1)]
            else:
                self.auc_plans = [_AucPlan(score[:, j], d.t == j) for j in range(d.k)]
        cell = d.t * d.k + d.p
        # Few cells: one matrix product with the one-hot cell indicator; many cells:
        # rows grouped by cell and summed block-wise.
        self.onehot = None
        if d.k * d.k <= 16:
            self.onehot = np.zeros((len(cell), d.k * d.k))
            self.onehot[np.arange(len(cell)), cell] = 1.0
        self.cell_order = np.argsort(cell, kind="stable")
        counts = np.bincount(cell, minlength=d.k * d.k)
        self.cell_present = np.flatnonzero(counts)
        self.cell_starts = np.concatenate([[0], np.cumsum(counts)])[self.cell_present]

    def confusion(self, w: np.ndarray) -> np.ndarray:
        if self.onehot is not None:
            return (w @ self.onehot).reshape(w.shape[0], self.k, self.k)
        out = np.zeros((w.shape[0], self.k * self.k))
        out[:, self.cell_present] = np.add.reduceat(w[:, self.cell_order], self.cell_starts, axis=1)
        return out.reshape(w.shape[0], self.k, self.k)

    def scores(self, w: np.ndarray) -> dict[str, np.ndarray]:
        total = w.sum(axis=1)
        out = {name: _div(w @ loss, total, np.nan) for name, loss in self.row_loss.items()}
        if self.auc_plans:
            aucs = np.stack([plan.auc(w) for plan in self.auc_plans], axis=0)  # (classes, c)
            out["roc_auc"] = aucs[0] if self.kind == "binary" else aucs.mean(axis=0)
        return out


def _auc_reason(d: _Data) -> str | None:
    if d.kind == "binary":
        if d.t.min() == d.t.max():
            return "only one class present in y_true (roc_auc is undefined)"
        return None
    counts = np.bincount(d.t, minlength=d.k)
    missing = [d.classes[j] for j in range(d.k) if counts[j] == 0]
    if missing:
        return f"class(es) {missing} absent from y_true (one-vs-rest roc_auc is undefined)"
    return None


def _evaluate_block(
    d: _Data, wanted: list[str], n_boot: int, confidence: float, rng: np.random.Generator
) -> dict[str, Any]:
    n = len(d.t)
    cm = np.bincount(d.t * d.k + d.p, minlength=d.k * d.k).reshape(d.k, d.k)
    label_wanted = [m for m in wanted if m not in SCORE_METRICS]
    score_wanted = [m for m in wanted if m in SCORE_METRICS]
    point: dict[str, Any] = {m: v for m, v in confusion_metrics(cm, d.kind).items() if m in label_wanted}
    reasons = _confusion_reasons(cm, d.kind)
    plan = None
    if score_wanted:
        if d.kind == "binary" and n_boot:
            # Resampling rows uniformly does not depend on their order, so put them in
            # score order once: the AUC of every replicate then needs no gather.
            d = d.subset(np.argsort(cast(np.ndarray, d.score), kind="mergesort"))
        plan = _ScorePlan(d, score_wanted)
        point.update(plan.scores(np.ones((1, n))))
        point = {m: (v[0] if np.ndim(v) else v) for m, v in point.items()}
        if "roc_auc" in score_wanted and (r := _auc_reason(d)):
            reasons["roc_auc"] = r
            point["roc_auc"] = np.nan
    rates = _rate_counts(cm, d.kind)
    bca_wanted = [m for m in wanted if m not in rates]
    boot: dict[str, np.ndarray] | None = None
    jack: dict[str, np.ndarray] | None = None
    jack_w: np.ndarray | None = None
    if n_boot and bca_wanted:
        if plan is None:
            # label metrics depend on the confusion matrix only: multinomial over its cells,
            # and the exact jackknife removes one row of each cell
            bcm = multinomial_cells(cm, n_boot, rng)
            boot = {m: v for m, v in confusion_metrics(bcm, d.kind).items() if m in bca_wanted}
            tables, jack_w = cell_jackknife(cm)
            jack = {m: v for m, v in confusion_metrics(tables, d.kind).items() if m in bca_wanted}
        else:
            def replicate(w: np.ndarray) -> dict[str, np.ndarray]:
                part = {m: v for m, v in confusion_metrics(plan.confusion(w), d.kind).items() if m in bca_wanted}
                part.update({m: v for m, v in plan.scores(w).items() if m in bca_wanted})
                return part

            parts = [replicate(w) for w in row_count_chunks(n, n_boot, rng)]
            boot = {m: np.concatenate([p[m] for p in parts]) for m in parts[0]}
            jack = replicate(block_weights(n))
    metrics = estimates({m: point.get(m) for m in bca_wanted}, boot, confidence, reasons, jack, jack_w)
    rate_estimates(metrics, wanted, rates, point, n_boot, confidence, reasons)
    metrics = {m: metrics[m] for m in wanted}
    return {
        "n": int(n),
        "metrics": metrics,
        "confusion_matrix": {"labels": list(d.classes), "matrix": cm.astype(int).tolist()},
    }


def evaluate_classification(
    y_true: Any,
    y_pred: Any = None,
    y_score: Any = None,
    *,
    task: str | TaskType | None = None,
    labels: Sequence[Any] | None = None,
    pos_label: Any = None,
    threshold: float = 0.5,
    metrics: Sequence[str] | None = None,
    slices: Mapping[str, Any] | None = None,
    min_slice_size: int = DEFAULT_MIN_GROUP_SIZE,
    missing: str = "group",
    n_boot: int = DEFAULT_REPLICATES,
    confidence: float = DEFAULT_CONFIDENCE,
    seed: int | None = DEFAULT_SEED,
) -> dict[str, Any]:
    """Classification metrics overall and per slice, with confidence intervals.

    Rates (accuracy; binary precision and recall) get Wilson intervals on their own
    denominators; the other metrics BCa bootstrap intervals (``n_boot`` replicates).

    ``y_score``: probability of the positive class (binary, shape (n,) or (n, 2))
    or an (n, k) probability matrix with columns in ``labels`` order (default:
    sorted labels). ``slices``: ``{name: boolean mask}`` or ``{name: group
    column}`` (one slice per value). ``n_boot=0`` skips the intervals.

    Returns a JSON-ready dict::

        {"task", "n", "labels", "pos_label", "threshold",
         "overall": {"n", "metrics": {<name>: {"value", "ci", "reason"}},
                     "confusion_matrix": {"labels", "matrix"}},
         "slices": [{"name", "column", "value", "n", "small", "metrics", "confusion_matrix"}],
         "skipped": {<name>: reason}, "warnings": [...], "bootstrap": {...}}
    """
    check_bootstrap_args(n_boot, confidence)
    d = _prepare(y_true, y_pred, y_score, task, labels, pos_label, threshold)
    available = BINARY_METRICS if d.kind == "binary" else MULTICLASS_METRICS
    requested = list(available) if metrics is None else list(metrics)
    skipped: dict[str, str] = {}
    wanted: list[str] = []
    for m in requested:
        if m not in available:
            if m == "brier" and d.kind == "multiclass":
                skipped[m] = REASON_NO_BINARY_BRIER
                continue
            raise ValueError(ERR_UNKNOWN_METRIC.format(name=m, task=d.kind, hint=did_you_mean(m, available)))
        if m in SCORE_METRICS and d.score is None:
            skipped[m] = REASON_NO_SCORES
        elif m in ("log_loss", "brier") and not d.proba:
            skipped[m] = REASON_NOT_PROBA
        else:
            wanted.append(m)
    warnings: list[str] = []
    if d.kind == "multiclass" and d.score is not None and d.proba:
        sums = d.score.sum(axis=1)
        if not np.allclose(sums, 1.0, rtol=np.sqrt(_EPS)):
            warnings.append("rows of y_score do not sum to 1")

    n = len(d.t)
    slice_specs = resolve_slices(slices, n, missing=missing)
    rngs = spawn_rngs(seed, 1 + len(slice_specs))
    overall = _evaluate_block(d, wanted, n_boot, confidence, rngs[0])
    out_slices = []
    for spec, rng in zip(slice_specs, rngs[1:], strict=True):
        mask = spec["mask"]
        size = int(mask.sum())
        entry = {"name": spec["name"], "column": spec["column"], "value": spec["value"], "n": size}
        entry["small"] = size < min_slice_size
        if size == 0:
            entry.update({"metrics": {m: estimate(None, None, confidence, reason="empty slice") for m in wanted},
                          "confusion_matrix": None})
        else:
            block = _evaluate_block(d.subset(mask), wanted, n_boot, confidence, rng)
            entry.update({"metrics": block["metrics"], "confusion_matrix": block["confusion_matrix"]})
        if entry["small"]:
            warnings.append(f"slice {spec['name']!r} has {size} rows, below the minimum {min_slice_size}")
        out_slices.append(entry)

    method = "multinomial over confusion-matrix cells" if d.score is None or not any(
        m in SCORE_METRICS for m in wanted
    ) else "row resampling"
    return {
        "task": TaskType.BINARY.value if d.kind == "binary" else TaskType.MULTICLASS.value,
        "n": int(n),
        "labels": list(d.classes),
        "pos_label": d.classes[1] if d.kind == "binary" else None,
        "threshold": float(threshold) if d.kind == "binary" and y_pred is None else None,
        "overall": overall,
        "slices": out_slices,
        "skipped": skipped,
        "warnings": warnings,
        "bootstrap": bootstrap_info(n_boot, confidence, seed, method),
    }


def rate_estimates(metrics: dict[str, Any], wanted: Iterable[str], rates: dict[str, tuple[Any, Any]],
                   point: dict[str, Any], n_boot: int, confidence: float, reasons: dict[str, str]) -> None:
    """Fill ``metrics`` with the rates among ``wanted``: a Wilson interval from their counts (none without
    a bootstrap, as for every other metric). Shared by the in-memory and the partitioned evaluation."""
    for m in wanted:
        if m in rates:
            k, total = rates[m]
            if n_boot:
                lo, hi = wilson(np.array(k), np.array(total), confidence)
                metrics[m] = closed_form(point.get(m), float(lo), float(hi), WILSON, confidence, reasons.get(m))
            else:
                metrics[m] = estimate(point.get(m), None, confidence, reason=reasons.get(m))
