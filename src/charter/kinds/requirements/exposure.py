"""Requirement kind `exposure`: a ranking's fairness of exposure stays within a bound.

Judges the disparities a ``ranking-evaluate`` job records for a group attribute:
``exposure_ratio`` (smallest / largest exposure-to-relevance ratio of the
compared groups, higher is better) or ``exposure_difference`` (largest gap
between a group's share of attention and its share of relevant items, lower
is better), on the point estimate or the pessimistic bound of its interval.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import model_validator

from ...spec.common import NonEmpty, Number
from .base import (
    Basis,
    BadRecord,
    Checker,
    Constraint,
    Context,
    Loc,
    Outcome,
    Part,
    RequirementBase,
    RequirementKind,
    Rule,
    Where,
    combine,
    job_locs,
    judge_value,
    VerdictOptions,
    control_fdr,
    verdict_loosening,
    verdict_settings,
    results_of,
    unusable,
)

RUNNER = "ranking-evaluate"
GREATER_IS_BETTER = {"exposure_ratio": True, "exposure_difference": False}


class ExposureRequirement(VerdictOptions, RequirementBase):
    """A ranking's fairness of exposure by a group attribute must stay within a bound."""

    kind: Literal["exposure"]
    attribute: NonEmpty | None = None
    """Group attribute (an `exposure` entry of a ranking-evaluate job); default: every one recorded."""
    metric: Literal["exposure_ratio", "exposure_difference"] = "exposure_ratio"
    min: Number | None = None
    max: Number | None = None
    use_interval: bool = False
    """Judge the pessimistic bound of the interval over resampled queries rather than the point estimate."""

    @model_validator(mode="after")
    def _bound(self) -> "ExposureRequirement":
        if self.min is None and self.max is None:
            raise ValueError("an exposure requirement needs 'min' or 'max'")
        for key in ("min", "max"):
            v = getattr(self, key)
            if v is not None and not 0 <= v <= 1:
                raise ValueError(f"'{key}' must lie in [0, 1] for {self.metric}")
        return self


def judge(ctx: Context, r: ExposureRequirement) -> Outcome:
    jobs = ctx.view.by_runner(RUNNER)
    if not jobs:
        return Outcome("error", f"no {RUNNER} job is declared: add one with an `exposure` entry so exposure is "
                       "measured", rule=Rule("fail-closed", "evidence", "an exposure requirement needs a ranking "
                                             "evaluation's evidence: the gate fails closed without it"))
    constraints: list[Constraint] = []
    if r.min is not None:
        constraints.append((">=", r.min, "min"))
    if r.max is not None:
        constraints.append(("<=", r.max, "max"))
    gib = GREATER_IS_BETTER[r.metric]
    settings = verdict_settings(ctx, r)
    parts: list[Part] = []
    basis: Basis | None = None
    for ev in jobs:
        if not ev.usable:
            parts.append(unusable(ev, f"job '{ev.job}'"))
            continue
        evidence = (ev.record.id,)  # type: ignore[union-attr]
        try:
            from ..runners.ranking import RankingResult

            res: RankingResult = results_of(ev, RankingResult)
        except BadRecord as exc:
            parts.append(Part(f"job '{ev.job}'", "error", str(exc), evidence=evidence, subject=ev.job))
            continue
        blocks = [b for a, b in sorted(res.exposure.items()) if r.attribute is None or a == r.attribute]
        if not blocks:
            recorded = ", ".join(sorted(res.exposure)) or "none"
            parts.append(Part(f"job '{ev.job}'", "error",
                              f"job '{ev.job}' records no exposure by {r.attribute or 'any attribute'} "
                              f"(recorded: {recorded}); add it under the job's `exposure`", evidence=evidence,
                              subject=ev.job))
            continue
        basis = Basis(r.use_interval, ctx.origin, confidence=res.bootstrap.get("confidence"),
                      inconclusive=settings.inconclusive, inconclusive_from=settings.inconclusive_from)
        for b in blocks:
            part = judge_value(f"exposure by {b.attribute}", r.metric, b.disparities.get(r.metric), constraints,
                               basis, gib, evidence, list(b.disparities), subject=ev.job)
            part.extra.update({"attribute": b.attribute, "smallGroups": list(b.small_groups),
                               "groups": [{"group": g.group, "items": g.items, "ratio": g.ratio.value}
                                          for g in b.groups]})
            if b.small_groups:
                part.reason += f"; groups under {b.min_group_size} items not compared: {', '.join(b.small_groups)}"
            parts.append(part)
    fdr = control_fdr(parts, settings, basis)
    out = combine(parts, what="attributes", metric=r.metric)
    if fdr is not None:
        out.details["multipleComparisons"] = fdr
    return out


def crossref(c: Checker, loc: Loc, r: ExposureRequirement, uc: Any) -> None:
    if uc is None or r.attribute is None:
        return
    declared = [e.attribute for j in uc.jobs if j.runner == RUNNER for e in j.exposure]
    c.ref(loc + ["attribute"], r.attribute, declared, "exposure attribute")


def loosening(base: ExposureRequirement, override: ExposureRequirement) -> str | None:
    if (why := verdict_loosening(base, override)) is not None:
        return why
    if base.metric != override.metric:
        return f"it judges {override.metric} where the policy judges {base.metric}"
    if base.min is not None and (override.min is None or override.min < base.min):
        return f"min {override.min} is below the policy's {base.min}"
    if base.max is not None and (override.max is None or override.max > base.max):
        return f"max {override.max} is above the policy's {base.max}"
    if base.use_interval and not override.use_interval:
        return "it judges the point estimate where the policy judges the interval bound"
    if base.attribute is None and override.attribute is not None:
        return f"it judges only {override.attribute} where the policy judges every attribute"
    return None


def describe(r: ExposureRequirement) -> str:
    bounds = " ".join(b for b in (f"≥ {r.min:g}" if r.min is not None else "",
                                  f"≤ {r.max:g}" if r.max is not None else "") if b)
    return (f"{r.metric} {bounds}" + (f" by {r.attribute}" if r.attribute else "")
            + (" (interval bound)" if r.use_interval else ""))


def locate(where: Where, r: ExposureRequirement, outcome: Outcome) -> list[Loc]:
    out: list[Loc] = [where.gate_entry] if where.gate_entry else []
    return out + job_locs(where, RUNNER, outcome.subject)


KIND = RequirementKind("exposure", ExposureRequirement, judge, crossref, loosening, describe, locate)
