"""Curves an auditor reads beside the metrics: ROC, precision-recall, calibration, residuals.

Every function returns a small JSON-ready dict (bounded in size whatever the number
of rows) or ``None`` with nothing to draw. Values equal scikit-learn's (tests use it
as the oracle):

* :func:`roc_points` — ``sklearn.metrics.roc_curve`` (with its ``drop_intermediate``
  thinning of collinear points), then at most ``max_points`` of those points, spread
  evenly along the curve's length. The first point's threshold is ``None`` (above every
  score; scikit-learn writes ``inf``);
* :func:`pr_points` — ``sklearn.metrics.precision_recall_curve`` in order of
  decreasing threshold (recall rising), thinned the same way; ``average_precision`` is
  ``average_precision_score`` on the full curve;
* :func:`calibration_bins` — ``sklearn.calibration.calibration_curve`` with uniform bins,
  keeping the empty bins and every bin's row count; ``brier`` is ``brier_score_loss``;
* :func:`residual_bins` — residuals (``y_true − y_pred``) in equal-count bins of the
  predicted value, with their quantiles: a residual plot of bounded size.
"""

from __future__ import annotations

from typing import Any

import numpy as np

MAX_POINTS = 101
CALIBRATION_BINS = 10
RESIDUAL_BINS = 20


def thin(length: np.ndarray, max_points: int = MAX_POINTS) -> np.ndarray:
    """Indices of at most ``max_points`` points spread evenly along a curve's cumulative length.

    ``length`` is non-decreasing (the distance travelled along the curve at each
    point); the first and last points are always kept.
    """
    n = len(length)
    if n <= max_points:
        return np.arange(n)
    targets = np.linspace(0.0, float(length[-1]), max_points)
    idx = np.unique(np.searchsorted(length, targets, side="left"))  # starts at 0: length[0] is 0
    # The last target lands on the first point at the full length; any later point sits at the same place.
    idx[-1] = n - 1
    return idx


def _arc(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return np.concatenate([[0.0], np.cumsum(np.abs(np.diff(x)) + np.abs(np.diff(y)))])


def clf_counts(positive: Any, score: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """False and true positives at each distinct score, in decreasing order (scikit-learn's _binary_clf_curve)."""
    score = np.asarray(score, dtype=np.float64)
    order = np.argsort(-score, kind="mergesort")
    s = score[order]
    y = np.asarray(positive, dtype=bool)[order].astype(np.float64)
    last = np.r_[np.flatnonzero(np.diff(s)), len(s) - 1]
    tps = np.cumsum(y)[last]
    fps = 1.0 + last - tps
    return fps, tps, s[last]


def _floats(a: np.ndarray) -> list[float]:
    return [float(v) for v in a]


def _thresholds(t: np.ndarray) -> list[float | None]:
    return [None if not np.isfinite(v) else float(v) for v in t]


Counts = tuple[np.ndarray, np.ndarray, np.ndarray]


def roc_points(positive: Any, score: Any, max_points: int = MAX_POINTS,
               counts: Counts | None = None) -> dict[str, Any] | None:
    """ROC curve points (``fpr``, ``tpr``, ``thresholds``) and its AUC; None with one class only.

    ``counts``: the rows' :func:`clf_counts`, when the caller draws more than one curve (one sort).
    """
    pos = np.asarray(positive, dtype=bool)
    if pos.all() or not pos.any():
        return None
    fps, tps, thr = counts if counts is not None else clf_counts(pos, score)
    if len(fps) > 2:  # scikit-learn's drop_intermediate: collinear points add nothing to the curve
        keep = np.flatnonzero(np.r_[True, np.logical_or(np.diff(fps, 2), np.diff(tps, 2)), True])
        fps, tps, thr = fps[keep], tps[keep], thr[keep]
    fps, tps, thr = np.r_[0.0, fps], np.r_[0.0, tps], np.r_[np.inf, thr]
    fpr, tpr = fps / fps[-1], tps / tps[-1]
    auc = float(np.trapezoid(tpr, fpr))
    idx = thin(_arc(fpr, tpr), max_points)
    return {"fpr": _floats(fpr[idx]), "tpr": _floats(tpr[idx]), "thresholds": _thresholds(thr[idx]),
            "auc": auc, "points": int(len(fpr))}


def pr_points(positive: Any, score: Any, max_points: int = MAX_POINTS,
              counts: Counts | None = None) -> dict[str, Any] | None:
    """Precision-recall points in order of decreasing threshold; None without positive labels."""
    pos = np.asarray(positive, dtype=bool)
    if not pos.any():
        return None
    fps, tps, thr = counts if counts is not None else clf_counts(pos, score)
    precision = tps / (tps + fps)  # tps + fps >= 1 at every distinct score
    recall = tps / tps[-1]
    precision, recall, thr = np.r_[1.0, precision], np.r_[0.0, recall], np.r_[np.inf, thr]
    ap = float(np.sum(np.diff(recall) * precision[1:]))
    idx = thin(_arc(recall, precision), max_points)
    return {"recall": _floats(recall[idx]), "precision": _floats(precision[idx]), "thresholds": _thresholds(thr[idx]),
            "average_precision": ap, "prevalence": float(pos.mean()), "points": int(len(recall))}


def calibration_bins(positive: Any, prob: Any, n_bins: int = CALIBRATION_BINS) -> dict[str, Any] | None:
    """Reliability diagram: per uniform bin of predicted probability, rows, mean prediction, observed rate."""
    pos = np.asarray(positive, dtype=np.float64)
    p = np.asarray(prob, dtype=np.float64)
    if len(p) == 0 or p.min() < 0 or p.max() > 1:
        return None
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    ids = np.searchsorted(edges[1:-1], p)  # as scikit-learn: a bin holds its upper edge
    total = np.bincount(ids, minlength=n_bins)
    sums = np.bincount(ids, weights=p, minlength=n_bins)
    hits = np.bincount(ids, weights=pos, minlength=n_bins)
    bins = [{"low": float(edges[i]), "high": float(edges[i + 1]), "n": int(total[i]),
             "mean_predicted": float(sums[i] / total[i]) if total[i] else None,
             "fraction_positive": float(hits[i] / total[i]) if total[i] else None} for i in range(n_bins)]
    weights = total[total > 0]
    gaps = np.abs(sums[total > 0] - hits[total > 0]) / weights
    return {"strategy": "uniform", "bins": bins, "brier": float(np.mean((pos - p) ** 2)),
            "ece": float(np.sum(gaps * weights) / len(p)), "n": int(len(p))}


def residual_bins(y_true: Any, y_pred: Any, n_bins: int = RESIDUAL_BINS) -> dict[str, Any] | None:
    """Residuals ``y_true − y_pred`` by equal-count bins of the prediction, with their quantiles."""
    yt = np.asarray(y_true, dtype=np.float64)
    yp = np.asarray(y_pred, dtype=np.float64)
    if len(yt) == 0:
        return None
    order = np.argsort(yp, kind="mergesort")
    r = (yt - yp)[order]
    ps = yp[order]
    bins = []
    for chunk in np.array_split(np.arange(len(r)), min(n_bins, len(r))):
        rc, pc = r[chunk], ps[chunk]
        q = np.quantile(rc, [0.1, 0.25, 0.5, 0.75, 0.9])
        bins.append({"n": int(len(chunk)), "pred_low": float(pc[0]), "pred_high": float(pc[-1]),
                     "pred_mean": float(pc.mean()), "mean": float(rc.mean()), "q10": float(q[0]),
                     "q25": float(q[1]), "median": float(q[2]), "q75": float(q[3]), "q90": float(q[4])})
    return {"definition": "y_true - y_pred", "n": int(len(r)), "mean": float(r.mean()),
            "sd": float(r.std(ddof=1)) if len(r) > 1 else 0.0, "min": float(r.min()), "max": float(r.max()),
            "bins": bins}
