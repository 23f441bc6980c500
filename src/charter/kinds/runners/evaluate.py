"""Runner kind ``evaluate``: the task's metrics overall and per slice, with bootstrap intervals.

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


class EvaluateResult(ResultModel):
    task: str
    source: str
    """'job:<id>' or 'data:<id>' — where the predictions came from."""
    n: int
    labels: list[Any] = []
    metrics: dict[str, Estimate]
    confusion_matrix: list[list[int]] | None = None
    slices: dict[str, dict[str, MetricsBlock]] = {}
    """Slice column → value → metrics."""
    champion: dict[str, Estimate] | None = None
    """The champion's metrics on the same rows (relative gates)."""
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
    result_version = "2"
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
        if result.confusion_matrix:
            out.append(f"  confusion matrix (rows: true {result.labels}): {result.confusion_matrix}")
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

