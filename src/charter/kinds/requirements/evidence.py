"""Requirement kind `evidence`: a job ran and succeeded on the current inputs."""

from __future__ import annotations

from typing import Any, Literal

from ...spec.common import NonEmpty
from .base import (
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
    origin_text,
    unusable,
)


class EvidenceRequirement(RequirementBase):
    """A job ran and succeeded on the current inputs (for jobs no other requirement reads)."""

    kind: Literal["evidence"]
    runner: NonEmpty
    """Runner whose successful, fresh evidence is required (for example `sklearn-train`)."""


def judge(ctx: Context, r: EvidenceRequirement) -> Outcome:
    from ..runners.base import standing_for

    runners_ = standing_for(r.runner)
    jobs = ctx.view.by_runner(*runners_)
    if not jobs:
        return Outcome("error", f"no job uses the runner '{r.runner}': add one to the use case's `jobs`",
                       rule=Rule("fail-closed", "evidence", f"{origin_text(ctx.origin)} requires evidence of a "
                                 f"'{r.runner}' job: the gate fails closed without one"))
    parts: list[Part] = []
    for ev in jobs:
        if not ev.usable:
            parts.append(unusable(ev, f"job '{ev.job}'"))
            continue
        rec = ev.record
        assert rec is not None
        rule = Rule(ctx.origin, "job status", f"job '{ev.job}' must pass on the current inputs "
                    f"({origin_text(ctx.origin)} requires '{r.runner}' evidence)")
        if rec.status == "pass":
            parts.append(Part(f"job '{ev.job}'", "pass", f"job '{ev.job}' passed on the current inputs "
                              f"({rec.finished_at[:10]})", evidence=(rec.id,), rule=rule, subject=ev.job))
        else:
            parts.append(Part(f"job '{ev.job}'", "fail", f"job '{ev.job}' failed: {rec.reason or 'no reason recorded'}",
                              evidence=(rec.id,), rule=rule, subject=ev.job))
    return combine(parts, what="jobs")


def crossref(c: Checker, loc: Loc, r: EvidenceRequirement, uc: Any) -> None:
    from ...diagnostics import did_you_mean
    from ...spec import known

    if r.runner not in known.RUNNERS:
        c.err("CH028", loc + ["runner"], f"'{r.runner}' is not a runner", did_you_mean(r.runner, known.RUNNERS))


def loosening(base: EvidenceRequirement, override: EvidenceRequirement) -> str | None:
    return None  # an override naming another runner asks for other evidence, not less of it


def describe(r: EvidenceRequirement) -> str:
    return f"fresh passing {r.runner} evidence"


def locate(where: Where, r: EvidenceRequirement, outcome: Outcome) -> list[Loc]:
    """The job whose evidence decided; with none of that runner, the `jobs:` list where it is missing."""
    return job_locs(where, r.runner, outcome.subject)


KIND = RequirementKind("evidence", EvidenceRequirement, judge, crossref, loosening, describe, locate)
