"""Runner kind ``fairness``: per-group metrics and disparities for each sensitive attribute and their intersection.

Execution: :mod:`charter.jobs.fairness`. The sensitive attributes it examines
(:func:`fairness_attributes`) and the policy's minimum group size enter its
evidence id; fairness checks are judged by gates, not here.
"""

from __future__ import annotations

from typing import Any

from ...evidence.records import Estimate
from ...spec.usecase import FairnessJob, UseCase
from ._shared import (
    ResultModel,
    check_predictions,
    est,
    num,
    prediction_source,
    refs_data,
    refs_upstream,
    table,
    warnings_text,
)
from .base import Checker, Loc, Reads, RunnerKind, task_spec

class GroupRow(ResultModel):
    group: dict[str, Any]
    label: str
    n: int
    small: bool
    metrics: dict[str, float | None]
    undefined: dict[str, str] = {}
    """Metric → why its value (0 by fairlearn's convention) is really 0/0 in this group."""


class AttributeFairness(ResultModel):
    attributes: list[str]
    groups: list[GroupRow]
    disparities: dict[str, Estimate]
    extremes: dict[str, dict[str, Any]] = {}
    """Disparity → the group metric it compares and the groups with its lowest and highest value."""


class FairnessResult(ResultModel):
    task: str
    source: str
    min_group_size: int
    results: list[AttributeFairness]
    bootstrap: dict[str, Any] = {}
    warnings: list[str] = []


def fairness_attributes(uc: UseCase, job: Any) -> list[str]:
    """The sensitive attributes a fairness job examines: its own list, or its data's."""
    if job.sensitive_attributes:
        return list(job.sensitive_attributes)
    data_id = prediction_source(uc, job.predictions)
    src = uc.source(data_id) if data_id else None
    return list(src.sensitive_attributes) if src else []


def min_group_size(policy: Any) -> int:
    from ...spec.governance import fairness_settings

    return int(fairness_settings(policy).min_group_size)


class Fairness(RunnerKind[FairnessResult]):
    name = "fairness"
    description = "Per-group metrics and disparities with bootstrap intervals."
    spec_model = FairnessJob
    result_model = FairnessResult
    result_version = "2"
    backend = "charter.jobs.fairness"
    packages = ("numpy", "pandas", "scipy")
    section = "fairness"

    def reads(self, repo: Any, uc: UseCase, job: Any) -> Reads:
        spec = {"task": task_spec(uc), "sensitiveAttributes": fairness_attributes(uc, job),
                "minGroupSize": min_group_size(getattr(repo, "policy", None))}
        return Reads(spec=spec, data=refs_data([job.predictions]), seed=job.bootstrap.seed)

    def upstream(self, uc: UseCase, job: Any) -> list[str]:
        return refs_upstream([job.predictions])

    def crossref(self, check: Checker, uc: UseCase, job: Any, loc: Loc) -> None:
        check_predictions(check, uc, job.predictions, loc + ["predictions"])

    def format(self, result: FairnessResult) -> list[str]:
        out = [f"  {result.task} from {result.source}; groups under {result.min_group_size} rows are flagged (*)"]
        for a in result.results:
            out.append(f"  {' & '.join(a.attributes)}:")
            names = list(a.groups[0].metrics) if a.groups else []
            rows = [["group", "n"] + names]
            for g in a.groups:
                rows.append([g.label + (" *" if g.small else ""), str(g.n)] + [num(g.metrics.get(m)) for m in names])
            out.extend(table(rows, "    "))
            out.extend(table([[d, est(e)] for d, e in a.disparities.items()], "      "))
        out.extend(warnings_text(result.warnings))
        return out


KIND = Fairness()
