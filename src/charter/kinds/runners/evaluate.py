"""Runner kind ``evaluate``: the task's metrics overall and per slice, with bootstrap intervals.

Result version 3 adds the evidence behind the charts: confusion matrices per slice,
ROC and precision-recall points, the calibration curve, residual bins, and the
decision rule (cut-off) behind precision and recall.

Execution: :mod:`charter.jobs.evaluate`. Its predictions come from a training
job (an upstream edge) or from columns of a data source; a champion's
predictions on the same rows are evaluated alongside for relative gates.
"""

from __future__ import annotations

from typing import Any

from ...evidence.records import Estimate
from ...spec.usecase import EvaluateJob, UseCase
from ._shared import ResultModel, check_predictions, est, num, refs_data, refs_upstream, table, warnings_text
from .base import Checker, Loc, Reads, RunnerKind, task_spec


class MetricsBlock(ResultModel):
    n: int
    metrics: dict[str, Estimate]


class SliceBlock(MetricsBlock):
    """One slice of an evaluation: its metrics and (classification) its confusion matrix."""

    confusion_matrix: list[list[int]] | None = None
    """Rows: true label, columns: predicted label, in the result's ``labels`` order."""


class Decision(ResultModel):
    """How predicted labels were obtained: what precision, recall and the confusion matrix count."""

    threshold: float | None = None
    """The cut-off on the positive-class score (score ≥ threshold is positive); None when labels were given."""
    positive_label: Any = None
    rule: str
    """The rule in words, e.g. "predicted 1 when the score is at least 0.3"."""


class RocCurve(ResultModel):
    """ROC points (scikit-learn's roc_curve, at most 101 of them); the first threshold None is +inf."""

    fpr: list[float]
    tpr: list[float]
    thresholds: list[float | None]
    auc: float
    points: int
    """Points of the full curve before thinning."""


class PrCurve(ResultModel):
    """Precision-recall points by decreasing threshold (scikit-learn's precision_recall_curve, at most 101)."""

    recall: list[float]
    precision: list[float]
    thresholds: list[float | None]
    average_precision: float
    prevalence: float
    """Share of positive labels: the precision of a random ranking."""
    points: int


class CalibrationBin(ResultModel):
    low: float
    high: float
    n: int
    mean_predicted: float | None
    fraction_positive: float | None


class Calibration(ResultModel):
    """Reliability diagram (scikit-learn's calibration_curve, uniform bins, empty bins kept)."""

    strategy: str
    bins: list[CalibrationBin]
    brier: float
    ece: float
    """Expected calibration error: the row-weighted mean |observed rate − mean prediction| over the bins."""
    n: int


class ResidualBin(ResultModel):
    n: int
    pred_low: float
    pred_high: float
    pred_mean: float
    mean: float
    q10: float
    q25: float
    median: float
    q75: float
    q90: float


class Residuals(ResultModel):
    """Residuals (y_true − y_pred) in equal-count bins of the prediction: a residual plot of bounded size."""

    definition: str
    n: int
    mean: float
    sd: float
    min: float
    max: float
    bins: list[ResidualBin]


class EvaluateResult(ResultModel):
    task: str
    source: str
    """'job:<id>' or 'data:<id>' — where the predictions came from."""
    n: int
    labels: list[Any] = []
    metrics: dict[str, Estimate]
    confusion_matrix: list[list[int]] | None = None
    slices: dict[str, dict[str, SliceBlock]] = {}
    """Slice column → value → metrics."""
    champion: dict[str, Estimate] | None = None
    """The champion's metrics on the same rows (relative gates)."""
    decision: Decision | None = None
    """Binary classification: the cut-off or rule behind the predicted labels."""
    roc: RocCurve | None = None
    pr: PrCurve | None = None
    calibration: Calibration | None = None
    residuals: Residuals | None = None
    curves_skipped: dict[str, str] = {}
    """Curve → why it is not recorded (no scores, one class only, scores that are not probabilities)."""
    bootstrap: dict[str, Any] = {}
    warnings: list[str] = []
    """Small slices, metrics that could not be computed, and similar notes."""


def _refs(job: Any) -> list[Any]:
    return [job.predictions] + ([job.champion] if job.champion is not None else [])


class Evaluate(RunnerKind[EvaluateResult]):
    name = "evaluate"
    description = "Metrics overall and per slice with bootstrap intervals."
    spec_model = EvaluateJob
    result_model = EvaluateResult
    result_version = "3"
    backend = "charter.jobs.evaluate"
    packages = ("numpy", "pandas", "scipy")
    section = "evaluation"

    def reads(self, repo: Any, uc: UseCase, job: Any) -> Reads:
        return Reads(spec={"task": task_spec(uc)}, data=refs_data(_refs(job)), seed=job.bootstrap.seed)

    def upstream(self, uc: UseCase, job: Any) -> list[str]:
        return refs_upstream(_refs(job))

    def crossref(self, check: Checker, uc: UseCase, job: Any, loc: Loc) -> None:
        check_predictions(check, uc, job.predictions, loc + ["predictions"])
        if job.champion is not None:
            check_predictions(check, uc, job.champion, loc + ["champion"])
        if uc.task is None:
            check.err("CH034", loc, "evaluation needs the use case's 'task'")

    def format(self, result: EvaluateResult) -> list[str]:
        boot = result.bootstrap
        ci = f"{int(boot.get('confidence', 0.95) * 100)}% interval" if boot.get("replicates") else "no intervals"
        out = [f"  {result.task} on {result.n} rows from {result.source} ({ci})"]
        champion = result.champion
        rows = [[m, est(e)] + ([est(champion.get(m))] if champion else []) for m, e in result.metrics.items()]
        if champion:
            rows.insert(0, ["metric", "candidate", "champion"])
        out.extend(table(rows))
        if result.decision is not None:
            out.append(f"  predicted labels: {result.decision.rule}")
        if result.confusion_matrix:
            out.append(f"  confusion matrix (rows: true {result.labels}): {result.confusion_matrix}")
        curves = []
        if result.roc is not None:
            curves.append(f"ROC {len(result.roc.fpr)} points (AUC {num(result.roc.auc)})")
        if result.pr is not None:
            curves.append(f"precision-recall {len(result.pr.recall)} points (AP {num(result.pr.average_precision)})")
        if result.calibration is not None:
            curves.append(f"calibration {len(result.calibration.bins)} bins (Brier {num(result.calibration.brier)})")
        if result.residuals is not None:
            curves.append(f"residuals in {len(result.residuals.bins)} bins (mean {num(result.residuals.mean)})")
        if curves:
            out.append("  curves: " + "; ".join(curves))
        for col, values in result.slices.items():
            out.append(f"  slices by {col}:")
            names = list(next(iter(values.values())).metrics) if values else []
            srows = [["value", "n"] + names]
            for val, block in values.items():
                srows.append([val, str(block.n)] + [num(block.metrics[m].value) for m in names])
            out.extend(table(srows, "    "))
        out.extend(warnings_text(result.warnings))
        return out


KIND = Evaluate()

