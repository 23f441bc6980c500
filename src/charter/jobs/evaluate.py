"""Runner ``evaluate``: the task's metrics overall and per slice, with bootstrap intervals.

Predictions come from a training job's artifact or from columns of a data
source (auditing a system that cannot be retrained). Metrics are computed by
:mod:`charter.metrics` (classification: accuracy, balanced accuracy, precision,
recall, F1, ROC AUC, log loss, Brier, confusion matrix; regression: MAE, RMSE,
R²). Besides the metrics it records what an auditor plots: ROC, precision-recall
and calibration curves (binary, from scores; :mod:`charter.metrics.curves`), residual
bins (regression), confusion matrices overall and per slice, and the cut-off behind
precision and recall. A champion's predictions are evaluated on the same rows. The
job passes when the metrics were computed; thresholds are judged by gates.
"""

from __future__ import annotations

from typing import Any

from ..evidence.records import Estimate
from ..kinds.runners.evaluate import Decision, EvaluateResult, SliceBlock
from .base import JobContext, JobError, JobOutput
from .predictions import Predictions, load_predictions, positive_label


def estimate(d: dict[str, Any]) -> Estimate:
    ci = d.get("ci")
    return Estimate(value=d.get("value"), low=ci[0] if ci else None, high=ci[1] if ci else None,
                    reason=d.get("reason"), method=d.get("method") if ci else None)


def report_estimates(report: dict[str, Any]) -> tuple[dict[str, Estimate], dict[str, dict[str, SliceBlock]]]:
    """A metrics report's overall estimates (with the metrics it skipped and why) and its slice blocks.

    One reading of the report for every evaluation path: in memory, and partition by partition.
    """
    metrics = {m: estimate(v) for m, v in report["overall"]["metrics"].items()}
    for m, why in report.get("skipped", {}).items():
        metrics.setdefault(m, Estimate(value=None, reason=why))
    slices: dict[str, dict[str, SliceBlock]] = {}
    for s in report["slices"]:
        scm = s.get("confusion_matrix")
        slices.setdefault(s["column"] or s["name"], {})[str(s["value"])] = SliceBlock(
            n=s["n"], metrics={m: estimate(v) for m, v in s["metrics"].items()},
            confusion_matrix=scm["matrix"] if scm else None)
    return metrics, slices


def _kind(uc: Any, preds: Predictions) -> str:
    t = uc.task.type.value
    if t == "regression":
        return "regression"
    if t == "binary-classification":
        return "binary"
    if preds.labels is not None:
        return "binary" if len(preds.labels) == 2 else "multiclass"
    import pandas as pd

    return "binary" if pd.Series(preds.y_true).nunique() <= 2 and preds.scores is not None and \
        getattr(preds.scores, "ndim", 1) == 1 else "multiclass"


def _explicit_threshold(ref: Any) -> bool:
    return "threshold" in ref.model_fields_set


def _binary_scores(uc: Any, preds: Predictions) -> tuple[Any, Any]:
    """The positive label (None: let the metrics engine decide) and the positive class's scores."""
    scores, labels = preds.scores, preds.labels
    if labels is not None:
        pos = positive_label(labels, uc.task.positive_label)
        if scores is not None and scores.ndim == 2:
            scores = scores[:, labels.index(pos)]
        return pos, scores
    seen = sorted({v for v in preds.y_true.tolist()}, key=str)
    pos = positive_label(seen, uc.task.positive_label) if uc.task.positive_label is not None or \
        set(seen) <= {0, 1} or set(seen) <= {-1, 1} else None
    return pos, scores


def compute(uc: Any, preds: Predictions, ref: Any, slices: dict[str, Any], bootstrap: Any) -> dict[str, Any]:
    """The metrics engine's report for one set of predictions."""
    import numpy as np

    from ..metrics import evaluate_classification, evaluate_regression

    kind = _kind(uc, preds)
    common = {"slices": slices or None, "n_boot": bootstrap.replicates, "confidence": bootstrap.confidence,
              "seed": bootstrap.seed}
    if kind == "regression":
        y_pred = preds.y_pred if preds.y_pred is not None else preds.scores
        if y_pred is None:
            raise JobError(f"{preds.source} gives no predictions")
        return evaluate_regression(np.asarray(preds.y_true, dtype=np.float64),
                                   np.asarray(y_pred, dtype=np.float64), **common)
    y_pred = preds.y_pred
    scores = preds.scores
    labels = preds.labels
    if kind == "binary":
        pos, scores = _binary_scores(uc, preds)
        if scores is not None and _explicit_threshold(ref) and ref.job is not None:
            y_pred = None  # the spec sets its own decision threshold on the scores
        return evaluate_classification(preds.y_true, y_pred, scores, task="binary", pos_label=pos,
                                       threshold=ref.threshold, **common)
    return evaluate_classification(preds.y_true, y_pred, scores, task="multiclass", labels=labels, **common)


def _align(cand: Predictions, champ: Predictions) -> tuple[Predictions, Predictions]:
    """Both on the same rows: matched by source row when they come from the same data, else by position."""
    import numpy as np

    if cand.data_id is not None and cand.data_id == champ.data_id:
        pos = {int(r): i for i, r in enumerate(champ.row_ids)}
        missing = [int(r) for r in cand.row_ids if int(r) not in pos]
        if missing:
            raise JobError(f"the champion ({champ.source}) has no predictions for {len(missing)} of the "
                           f"candidate's rows (for example row {missing[0]})")
        idx = np.array([pos[int(r)] for r in cand.row_ids], dtype=np.int64)
        mask = np.zeros(len(champ), dtype=bool)
        mask[idx] = True
        sub = champ.subset(mask)
        order = {int(r): i for i, r in enumerate(sub.row_ids)}
        reorder = np.array([order[int(r)] for r in cand.row_ids], dtype=np.int64)
        sub = Predictions(sub.source, sub.data_id, sub.row_ids[reorder], sub.y_true[reorder],
                          None if sub.y_pred is None else sub.y_pred[reorder],
                          None if sub.scores is None else sub.scores[reorder], sub.labels,
                          sub.frame.iloc[reorder].reset_index(drop=True))
        return cand, sub
    if len(cand) != len(champ):
        raise JobError(f"the champion ({champ.source}, {len(champ)} rows) and the candidate ({cand.source}, "
                       f"{len(cand)} rows) do not cover the same rows")
    return cand, champ


def _decision(report: dict[str, Any], preds: Predictions, ref: Any) -> Decision:
    pos = report.get("pos_label")
    threshold = report.get("threshold")
    if threshold is not None:
        return Decision(threshold=threshold, positive_label=pos,
                        rule=f"predicted {pos} when the score of {pos} is at least {threshold:g}")
    if ref.job is not None:
        rule = (f"the labels predicted by {preds.source} (the estimator's own decision rule; "
                f"set predictions.threshold to evaluate a cut-off on the scores)")
    else:
        rule = f"the labels in column '{ref.prediction}' of {preds.source}"
    return Decision(threshold=None, positive_label=pos, rule=rule)


def curves(uc: Any, preds: Predictions, report: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """ROC, precision-recall and calibration curves (binary) or residual bins (regression), with skip reasons."""
    import numpy as np

    from ..metrics import curves as cv

    out: dict[str, Any] = {}
    skipped: dict[str, str] = {}
    task = report.get("task")
    if task == "regression":
        y_pred = preds.y_pred if preds.y_pred is not None else preds.scores
        out["residuals"] = cv.residual_bins(np.asarray(preds.y_true, dtype=np.float64),
                                            np.asarray(y_pred, dtype=np.float64))
        return out, skipped
    if task != "binary-classification":
        for name in ("roc", "pr", "calibration"):
            skipped[name] = "recorded for binary tasks only (a multiclass task records its confusion matrix)"
        return out, skipped
    _, scores = _binary_scores(uc, preds)
    if scores is None or getattr(scores, "ndim", 1) != 1:
        for name in ("roc", "pr", "calibration"):
            skipped[name] = "no scores given"
        return out, skipped
    score = np.asarray(scores, dtype=np.float64)
    # object dtype: an element-wise comparison whatever the labels' type (never numpy's scalar False)
    positive = np.asarray(np.asarray(preds.y_true, dtype=object) == report.get("pos_label"), dtype=bool)
    cm = report["overall"].get("confusion_matrix") or {}
    matrix = cm.get("matrix")
    if positive.shape != score.shape or (matrix is not None and int(positive.sum()) != sum(matrix[1])):
        for name in ("roc", "pr", "calibration"):
            skipped[name] = "the labels could not be matched to the positive label"
        return out, skipped
    counts = cv.clf_counts(positive, score)  # one sort for both curves
    out["roc"] = cv.roc_points(positive, score, counts=counts)
    if out["roc"] is None:
        skipped["roc"] = "only one class present in the labels"
    out["pr"] = cv.pr_points(positive, score, counts=counts)
    if out["pr"] is None:
        skipped["pr"] = "no positive labels"
    out["calibration"] = cv.calibration_bins(positive, score)
    if out["calibration"] is None:
        skipped["calibration"] = "scores are not probabilities in [0, 1]"
    return out, skipped


def run(ctx: JobContext) -> JobOutput:
    import numpy as np

    from . import partitioned
    if partitioned.is_partitioned(ctx, ctx.job.predictions.data):  # a folder of Parquet partitions
        return partitioned.evaluate(ctx)

    job, uc = ctx.job, ctx.use_case
    if uc.task is None:
        raise JobError("evaluation needs the use case's task")
    preds = load_predictions(ctx, job.predictions)
    if len(preds) == 0:
        raise JobError(f"{preds.source} holds no rows to evaluate")
    slices = {c: preds.column(c).to_numpy() for c in job.slices}
    try:
        report = compute(uc, preds, job.predictions, slices, job.bootstrap)
    except ValueError as exc:
        raise JobError(f"cannot evaluate {preds.source}: {exc}") from None
    metrics, out_slices = report_estimates(report)
    champion = None
    warnings = list(report.get("warnings", []))
    if job.champion is not None:
        champ = load_predictions(ctx, job.champion)
        cand, champ = _align(preds, champ)
        if not np.array_equal(np.asarray(cand.y_true).astype(str), np.asarray(champ.y_true).astype(str)):
            warnings.append("the champion's labels differ from the candidate's on the same rows")
        try:
            champ_report = compute(uc, Predictions(champ.source, champ.data_id, champ.row_ids, cand.y_true,
                                                   champ.y_pred, champ.scores, champ.labels, champ.frame),
                                   job.champion, {}, job.bootstrap)
        except ValueError as exc:
            raise JobError(f"cannot evaluate the champion {champ.source}: {exc}") from None
        champion = {m: estimate(v) for m, v in champ_report["overall"]["metrics"].items()}
    cm = report["overall"].get("confusion_matrix")
    drawn, curves_skipped = curves(uc, preds, report)
    binary = report.get("task") == "binary-classification"
    result = EvaluateResult(
        task=uc.task.type.value,
        source=preds.source,
        n=report["n"],
        labels=report.get("labels", []),
        metrics=metrics,
        confusion_matrix=cm["matrix"] if cm else None,
        slices=out_slices,
        champion=champion,
        decision=_decision(report, preds, job.predictions) if binary else None,
        roc=drawn.get("roc"),
        pr=drawn.get("pr"),
        calibration=drawn.get("calibration"),
        residuals=drawn.get("residuals"),
        curves_skipped=curves_skipped,
        bootstrap=report.get("bootstrap", {}),
        warnings=warnings,
    )
    return JobOutput("pass", None, result)
