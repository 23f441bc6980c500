"""Requirement kind `drift`: the latest drift report stays within limits."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from ...spec.common import Number
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
    fmt,
    job_locs,
    origin_text,
    results_of,
    unusable,
)

if TYPE_CHECKING:  # result models live with their runner kinds, which import the spec
    from ..runners.drift import DriftResult


class DriftRequirement(RequirementBase):
    """The latest drift report stays within limits."""

    kind: Literal["drift"]
    max_drift_share: Number = 0.5
    """Highest acceptable share of drifted features."""


SECTION = "drift"
"""The runner section whose jobs' evidence this kind judges (how it finds them, and what the site shows its
verdicts beside)."""


def judge(ctx: Context, r: DriftRequirement) -> Outcome:
    from ..runners import in_section  # lazily: the runner table imports the spec, which imports this
    jobs = in_section(ctx.view.jobs.values(), SECTION)
    if not jobs:
        return Outcome("error", "no drift job is declared: add a job with `runner: drift` comparing current data "
                       "with the training reference",
                       rule=Rule("fail-closed", "evidence", "a drift requirement needs a drift job's evidence: "
                                 "the gate fails closed without it"))
    by = origin_text(ctx.origin)
    parts: list[Part] = []
    for ev in jobs:
        label = f"job '{ev.job}'" if len(jobs) > 1 else ""
        if not ev.usable:
            parts.append(unusable(ev, label))
            continue
        evidence = (ev.record.id,)  # type: ignore[union-attr]
        try:
            from ..runners.drift import DriftResult

            res: DriftResult = results_of(ev, DriftResult)
        except BadRecord as exc:
            parts.append(Part(label, "error", str(exc), evidence=evidence, subject=ev.job))
            continue
        drifted = [f.name for f in res.features if f.drifted]
        schema = {k: v for k, v in res.schema_changes.items() if v}
        breaking = {k: v for k, v in schema.items() if k in ("removed", "retyped")}
        extra = {"driftShare": res.drift_share, "drifted": drifted, "schemaChanges": schema,
                 "reference": res.reference, "current": res.current}
        share = f"drift share {fmt(res.drift_share)} ({len(drifted)} of {len(res.features)} features drifted" + \
                (f": {', '.join(drifted[:5])}{'…' if len(drifted) > 5 else ''})" if drifted else ")")

        def part(status: str, reason: str, rule: Rule) -> Part:
            return Part(label, status, reason, candidate=res.drift_share, threshold=r.max_drift_share,
                        comparator="<=", evidence=evidence, extra=extra, rule=rule, subject=ev.job)

        within = res.drift_share <= r.max_drift_share
        share_rule = Rule(ctx.origin, "drift share",
                          f"drift share {fmt(res.drift_share)} {'≤' if within else '>'} {fmt(r.max_drift_share)} "
                          f"(maxDriftShare of {by}; {len(drifted)} of {len(res.features)} features drifted)",
                          "<=", r.max_drift_share, res.drift_share)
        if breaking:
            desc = "; ".join(f"{k}: {', '.join(str(c) for c in v)}" for k, v in breaking.items())
            rule = Rule(ctx.origin, "schema", f"a removed or retyped column fails the drift requirement whatever "
                        f"the drift share ({desc})")
            parts.append(part("fail", f"the schema changed between reference and current data ({desc})", rule))
        elif not within:
            parts.append(part("fail", f"{share} is above the maximum {fmt(r.max_drift_share)}", share_rule))
        else:
            parts.append(part("pass", f"{share} ≤ {fmt(r.max_drift_share)}", share_rule))
    return combine(parts, what="drift reports")


def crossref(c: Checker, loc: Loc, r: DriftRequirement, uc: Any) -> None:
    return None  # nothing it names lives elsewhere


def loosening(base: DriftRequirement, override: DriftRequirement) -> str | None:
    if override.max_drift_share > base.max_drift_share:
        return f"maxDriftShare {override.max_drift_share} is above the policy's {base.max_drift_share}"
    return None


def describe(r: DriftRequirement) -> str:
    return f"drift share ≤ {r.max_drift_share:g}"


def locate(where: Where, r: DriftRequirement, outcome: Outcome) -> list[Loc]:
    """The drift job that decided; with none declared, the `jobs:` list where it is missing."""
    return ([where.gate_entry] if where.gate_entry and outcome.status != "error" else []) + \
        job_locs(where, "drift", outcome.subject)


KIND = RequirementKind("drift", DriftRequirement, judge, crossref, loosening, describe, locate)
