"""Effective policy per use case: what a stage requires of this use case.

Requirements combine, in order: the policy's stage requirements, the risk tier's
extras for that stage, and the use case's own ``gates`` for that stage. A use case
requirement with the id of a policy requirement replaces it (it may only tighten:
``crossref`` rejects loosening); new ids add to the list.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .metrics.catalog import FAIRNESS_METRICS, MODEL_METRICS
from .spec.governance import Policy, RiskTier, Stage
from .spec.requirements import (
    ApprovalRequirement,
    DriftRequirement,
    MaturityRequirement,
    MetricRequirement,
)
from .spec.usecase import FairnessCheck, UseCase


@dataclass(frozen=True)
class EffectiveRequirement:
    requirement: Any  # one of the Requirement models
    origin: str  # "policy", "risk-tier:<id>", "use-case"
    replaced: Any | None = None  # the policy requirement a use-case override replaced


def stage_index(policy: Policy, stage_id: str) -> int:
    for i, s in enumerate(policy.stages):
        if s.id == stage_id:
            return i
    return -1


def get_stage(policy: Policy, stage_id: str) -> Stage | None:
    return next((s for s in policy.stages if s.id == stage_id), None)


def get_tier(policy: Policy, tier_id: str) -> RiskTier | None:
    return next((t for t in policy.risk_tiers if t.id == tier_id), None)


def effective_requirements(policy: Policy, uc: UseCase, stage_id: str) -> list[EffectiveRequirement]:
    stage = get_stage(policy, stage_id)
    out: dict[str, EffectiveRequirement] = {}
    if stage is not None:
        for r in stage.requires:
            out[r.id] = EffectiveRequirement(r, "policy")
    tier = get_tier(policy, uc.risk_tier)
    if tier is not None:
        for r in tier.requires.get(stage_id, []):
            out[r.id] = EffectiveRequirement(r, f"risk-tier:{tier.id}", out[r.id].requirement if r.id in out else None)
    for r in uc.gates.get(stage_id, []):
        prior = out.get(r.id)
        out[r.id] = EffectiveRequirement(r, "use-case", prior.requirement if prior else None)
    return list(out.values())


def primary_metric_name(uc: UseCase, metric: str) -> str:
    if metric == "primary" and uc.evaluation is not None:
        return uc.evaluation.primary_metric
    return metric


def greater_is_better(metric: str) -> bool:
    info = MODEL_METRICS.get(metric) or FAIRNESS_METRICS.get(metric)
    return True if info is None else info.greater_is_better


def loosening(base: Any, override: Any) -> str | None:
    """Why override is looser than base (None when it is as strict or stricter)."""
    if type(base) is not type(override):
        return f"it changes the requirement's kind from '{base.kind}' to '{override.kind}'"
    if isinstance(base, MetricRequirement):
        if base.min is not None and (override.min is None or override.min < base.min):
            return f"min {override.min} is below the policy's {base.min}"
        if base.max is not None and (override.max is None or override.max > base.max):
            return f"max {override.max} is above the policy's {base.max}"
        if base.use_interval and not override.use_interval:
            return "it judges the point estimate where the policy judges the interval bound"
        for attr in ("min_absolute_change", "min_relative_change"):
            b, o = getattr(base, attr), getattr(override, attr)
            if b is not None and (o is None or o < b):
                return f"{attr} {o} is below the policy's {b}"
    if isinstance(base, MaturityRequirement):
        if override.process != base.process:
            return f"it checks process '{override.process}' instead of '{base.process}'"
        if override.min_level < base.min_level:
            return f"minLevel {override.min_level} is below the policy's {base.min_level}"
    if isinstance(base, ApprovalRequirement):
        if override.role != base.role:
            return f"it asks role '{override.role}' instead of '{base.role}'"
        if override.count < base.count:
            return f"count {override.count} is below the policy's {base.count}"
    if isinstance(base, DriftRequirement) and override.max_drift_share > base.max_drift_share:
        return f"maxDriftShare {override.max_drift_share} is above the policy's {base.max_drift_share}"
    if getattr(base, "use_interval", None) is True and getattr(override, "use_interval", None) is False:
        return "it judges the point estimate where the policy judges the interval bound"
    return None


def fairness_check_loosening(default_metric: str, default_min: float | None, default_max: float | None,
                             check: FairnessCheck) -> str | None:
    if check.metric != default_metric:
        return None
    if default_min is not None and (check.min is None or check.min < default_min):
        return f"min {check.min} is below the policy default {default_min}"
    if default_max is not None and (check.max is None or check.max > default_max):
        return f"max {check.max} is above the policy default {default_max}"
    return None


def effective_fairness_checks(policy: Policy, uc: UseCase) -> list[FairnessCheck]:
    """The use case's checks, plus the policy defaults for each sensitive attribute it lacks."""
    checks = list(uc.fairness)
    if uc.task is None or not uc.task.type.is_classification and uc.task.type.value != "regression":
        return checks
    attrs: list[str] = []
    for d in uc.data:
        for a in d.sensitive_attributes:
            if a not in attrs:
                attrs.append(a)
    for default in policy.fairness.defaults:
        info = FAIRNESS_METRICS.get(default.metric)
        if info is None or uc.task.type not in info.tasks:
            continue
        for attr in attrs:
            # only a check on this attribute alone replaces the default: an intersection
            # check must not switch off the single-attribute check it contains
            if any(c.metric == default.metric and c.sensitive_attributes == [attr] for c in uc.fairness):
                continue
            checks.append(FairnessCheck(
                id=f"policy-{default.metric.replace('_', '-')}-{attr.replace('_', '-')}".lower()[:63],
                sensitive_attributes=[attr], metric=default.metric, min=default.min, max=default.max,
                use_interval=default.use_interval,
                affected_groups=f"Groups defined by '{attr}'.",
                rationale="Organisation policy default.",
            ))
    return checks
