"""Requirement kind `generative-regression`: a champion/challenger comparison found no significant regression."""

from __future__ import annotations

from typing import Any, Literal

from ...spec.common import Id, NonEmpty
from .base import (
    BadRecord,
    Checker,
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
    results_of,
    unusable,
)
from .generative_metric import COMPARE_RUNNER, check_metric


class GenerativeRegressionRequirement(RequirementBase):
    """A champion/challenger comparison found no significant regression."""

    kind: Literal["generative-regression"]
    metrics: list[NonEmpty] | None = None
    """Metrics that must not regress significantly (default: every compared metric)."""
    job: Id | None = None
    """The generative-compare job judged (default: every one)."""

SECTION = "generative"
"""Judges the evidence shown in the generative section of the card (read by the site)."""


def judge(ctx: Context, r: GenerativeRegressionRequirement) -> Outcome:
    from ..runners.generative_compare import GenerativeCompareResult

    jobs = [e for e in ctx.view.by_runner(COMPARE_RUNNER) if r.job is None or e.job == r.job]
    if not jobs:
        return Outcome("error", f"no {COMPARE_RUNNER} job is declared: add one comparing the champion's and the "
                       "challenger's outputs")
    parts: list[Part] = []
    for ev in jobs:
        label = f"job '{ev.job}'"
        if not ev.usable:
            parts.append(unusable(ev, label))
            continue
        evidence = (ev.record.id,)  # type: ignore[union-attr]
        try:
            res: GenerativeCompareResult = results_of(ev, GenerativeCompareResult)
        except BadRecord as exc:
            parts.append(Part(label, "error", str(exc), evidence=evidence, subject=ev.job))
            continue
        watched = r.metrics if r.metrics is not None else list(res.comparisons)
        missing = [m for m in watched if m not in res.comparisons]
        rule = Rule(ctx.origin, "paired test", f"no significant regression (alpha {res.alpha:g}) of "
                    f"{', '.join(watched)}")
        if missing:
            parts.append(Part(label, "error", f"not compared: {', '.join(missing)} (compared: "
                              f"{', '.join(res.comparisons) or 'none'})", evidence=evidence, subject=ev.job,
                              rule=rule))
            continue
        bad = [m for m in watched if res.comparisons[m].verdict == "regressed"]
        if bad:
            detail = "; ".join(f"{m} {res.comparisons[m].champion.value:.4g} → {res.comparisons[m].challenger.value:.4g} "
                               f"(p {res.comparisons[m].p_value:.3g})" for m in bad)
            parts.append(Part(label, "fail", f"the challenger regressed significantly: {detail}", evidence=evidence,
                              subject=ev.job, rule=rule))
        else:
            better = ", ".join(m for m in watched if res.comparisons[m].verdict == "improved") or "none"
            parts.append(Part(label, "pass", f"no significant regression of {len(watched)} metric(s); improved: "
                              f"{better}", evidence=evidence, subject=ev.job, rule=rule))
    return combine(parts, what="comparisons")


def crossref(c: Checker, loc: Loc, r: GenerativeRegressionRequirement, uc: Any) -> None:
    for i, m in enumerate(r.metrics or []):
        check_metric(c, loc + ["metrics", i], m)


def loosening(base: GenerativeRegressionRequirement,
                         override: GenerativeRegressionRequirement) -> str | None:
    if base.metrics is None and override.metrics is not None:
        return "it watches only some metrics where the policy watches every one"
    if base.metrics is not None and override.metrics is not None:
        dropped = sorted(set(base.metrics) - set(override.metrics))
        if dropped:
            return f"it stops watching {', '.join(dropped)}"
    return None


def describe(r: GenerativeRegressionRequirement) -> str:
    return "no significant regression of " + (", ".join(r.metrics) if r.metrics else "any metric")


def locate(where: Where, r: GenerativeRegressionRequirement, outcome: Outcome) -> list[Loc]:
    return ([where.gate_entry] if where.gate_entry else []) + job_locs(where, COMPARE_RUNNER, outcome.subject)


KIND = RequirementKind("generative-regression", GenerativeRegressionRequirement, judge, crossref, loosening, describe,
                       locate)
