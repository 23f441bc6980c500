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
    intervals: dict[str, list[float] | None] = {}
    """Rate → its Wilson interval ``[low, high]`` in this group (classification)."""
    confusion: list[list[int]] | None = None
    """Binary classification: the group's confusion matrix ``[[TN, FP], [FN, TP]]`` (rows: true label)."""


class RateEstimate(ResultModel):
    """A group's rate beside the reference group's, with the group's Wilson interval."""

    value: float | None
    reference: float | None
    low: float | None = None
    high: float | None = None
    method: str | None = None


class ReferenceComparison(ResultModel):
    """One group against the reference group."""

    group: str
    n: int
    disparities: dict[str, Estimate]
    """Each disparity metric computed over this group and the reference only (what the gate judges)."""
    rates: dict[str, RateEstimate] = {}
    difference: dict[str, Estimate] = {}
    """Rate → the group's rate minus the reference's (Newcombe interval)."""
    ratio: dict[str, Estimate] = {}
    """Rate → the group's rate over the reference's (Katz log interval)."""


class ReferenceBlock(ResultModel):
    group: str
    n: int | None = None
    problem: str | None = None
    """Why no group is compared with it (the reference is absent, or below the minimum size)."""
    comparisons: list[ReferenceComparison] = []


class ExcludedGroup(ResultModel):
    group: str
    n: int
    reason: str


class JudgedView(ResultModel):
    """The disparities a gate judges for a minimum group size, small-group rule and reference group."""

    min_group_size: int
    include_small_groups: bool = False
    reference_group: str | None = None
    included: list[str]
    excluded: list[ExcludedGroup] = []
    """Groups left out of the disparities, and why."""
    disparities: dict[str, Estimate]
    extremes: dict[str, dict[str, Any]] = {}
    reference: ReferenceBlock | None = None


class AttributeFairness(ResultModel):
    attributes: list[str]
    groups: list[GroupRow]
    disparities: dict[str, Estimate]
    """Over every group, small ones included (what the page shows beside the judged views)."""
    extremes: dict[str, dict[str, Any]] = {}
    """Disparity → the group metric it compares and the groups with its lowest and highest value."""
    views: list[JudgedView] = []
    """What gates judge: the policy's view (small groups excluded) first, then those fairness checks ask for."""

    def view(self, min_group_size: int, include_small_groups: bool, reference_group: str | None) -> JudgedView | None:
        return next((v for v in self.views if (v.min_group_size, v.include_small_groups, v.reference_group)
                     == (min_group_size, include_small_groups, reference_group)), None)


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


def check_view(policy: Any, check: Any) -> dict[str, Any]:
    """The judged view a fairness check reads: its minimum group size, small-group rule and reference group."""
    own = getattr(check, "min_group_size", None)
    return {"min_group_size": int(own) if own is not None else min_group_size(policy),
            "include_small_groups": bool(getattr(check, "include_small_groups", False)),
            "reference_group": getattr(check, "reference_group", None)}


def judged_views(policy: Any, uc: UseCase, attributes: list[str]) -> list[dict[str, Any]]:
    """The views the fairness checks on the examined attributes need beyond the policy's default, sorted.

    A check's attributes that the job does not examine get no view (the gate says the job lacks them).
    """
    if policy is None:
        return []
    from ...resolve import effective_fairness_checks

    default = {"min_group_size": min_group_size(policy), "include_small_groups": False, "reference_group": None}
    out: list[dict[str, Any]] = []
    for check in effective_fairness_checks(policy, uc):
        if not set(check.sensitive_attributes) <= set(attributes):
            continue
        view = check_view(policy, check)
        entry = {"attributes": sorted(check.sensitive_attributes), **view}
        if view != default and entry not in out:
            out.append(entry)
    return sorted(out, key=lambda v: (v["attributes"], v["min_group_size"], v["include_small_groups"],
                                      v["reference_group"] or ""))


_SHOWN_AGAINST_REFERENCE = ("demographic_parity_difference", "demographic_parity_ratio", "equalized_odds_difference",
                            "mae_difference", "accuracy_difference")
"""The pairwise disparities `charter show` prints per group against the reference (all are in the record)."""


class Fairness(RunnerKind[FairnessResult]):
    name = "fairness"
    description = "Per-group metrics and disparities with bootstrap intervals."
    spec_model = FairnessJob
    result_model = FairnessResult
    result_version = "4"
    backend = "charter.jobs.fairness"
    packages = ("numpy", "pandas", "scipy")
    section = "fairness"

    def reads(self, repo: Any, uc: UseCase, job: Any) -> Reads:
        attrs = fairness_attributes(uc, job)
        policy = getattr(repo, "policy", None)
        spec: dict[str, Any] = {"task": task_spec(uc), "sensitiveAttributes": attrs,
                                "minGroupSize": min_group_size(policy)}
        views = judged_views(policy, uc, attrs)
        if views:  # what the fairness checks judge: their minimum sizes and reference groups
            spec["views"] = views
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
            for v in a.views:
                if v.excluded:
                    out.append("      excluded from the judged disparities: "
                               + "; ".join(f"{x.group} ({x.reason})" for x in v.excluded))
                if v.reference is not None:
                    out.append(f"      against the reference group {v.reference.group}:"
                               + (f" {v.reference.problem}" if v.reference.problem else ""))
                    names = [d for d in _SHOWN_AGAINST_REFERENCE
                             if v.reference.comparisons and d in v.reference.comparisons[0].disparities]
                    rows = [["group", "n"] + names] if v.reference.comparisons else []
                    for c in v.reference.comparisons:
                        rows.append([c.group, str(c.n)] + [est(c.disparities[d]) for d in names])
                    out.extend(table(rows, "        "))
        out.extend(warnings_text(result.warnings))
        return out


KIND = Fairness()
