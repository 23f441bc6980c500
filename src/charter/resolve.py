"""Effective policy per use case: what a stage requires of this use case.

Requirements combine, in order: the policy's stage requirements, the risk tier's
extras for that stage, and the use case's own ``gates`` for that stage. A use case
requirement with the id of a policy requirement replaces it (it may only tighten:
``crossref`` rejects loosening); new ids add to the list. What counts as
loosening is each requirement kind's own rule (``charter.kinds.requirements.loosening``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .metrics.catalog import FAIRNESS_METRICS, MODEL_METRICS
from .spec.governance import Policy, RiskTier, Stage
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


__all__ = ["EffectiveRequirement", "effective_fairness_checks", "effective_requirements", "fairness_check_loosening",
           "get_stage", "get_tier", "greater_is_better", "primary_metric_name", "stage_index"]
