"""Requirement kind `maturity`: an MLOps process has reached at least a level."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from ...spec.common import PROCESS_IDS, Id
from .base import Checker, Context, Loc, Outcome, RequirementBase, RequirementKind, Rule, Where, origin_text


class MaturityRequirement(RequirementBase):
    """An MLOps process has reached at least a level."""

    kind: Literal["maturity"]
    process: Id
    """One of the seven MLOps processes."""
    min_level: int = Field(ge=0)
    """Lowest acceptable maturity level."""


def judge(ctx: Context, r: MaturityRequirement) -> Outcome:
    if ctx.uc.maturity is None:
        rule = Rule(ctx.origin, f"{r.process} maturity level", f"{origin_text(ctx.origin)} requires {r.process} at "
                    f"level {r.min_level} or more; the use case declares no maturity levels", ">=", r.min_level)
        return Outcome("fail", f"the use case declares no maturity levels; add `maturity:` with '{r.process}' "
                       f"at level {r.min_level} or more", rule=rule,
                       threshold=r.min_level, comparator=">=")
    level = ctx.uc.maturity.by_process().get(r.process)
    if level is None:
        return Outcome("error", f"unknown process '{r.process}'")
    ok = level >= r.min_level
    rule = Rule(ctx.origin, f"{r.process} maturity level", f"{r.process} level {level} {'≥' if ok else '<'} "
                f"{r.min_level} (minLevel of {origin_text(ctx.origin)})", ">=", r.min_level, level)
    if ok:
        return Outcome("pass", f"{r.process} is at level {level} ≥ {r.min_level}", candidate=level, rule=rule,
                       threshold=r.min_level, comparator=">=")
    return Outcome("fail", f"{r.process} is at level {level}; level {r.min_level} is required", candidate=level,
                   rule=rule, threshold=r.min_level, comparator=">=")


def crossref(c: Checker, loc: Loc, r: MaturityRequirement, uc: Any) -> None:
    from ...diagnostics import did_you_mean

    if r.process not in PROCESS_IDS:
        c.err("CH013", loc + ["process"], f"unknown process '{r.process}'",
              did_you_mean(r.process, PROCESS_IDS) or f"processes: {', '.join(PROCESS_IDS)}")
    elif r.process in c.max_level and r.min_level > c.max_level[r.process]:
        c.err("CH031", loc + ["minLevel"],
              f"level {r.min_level} does not exist for '{r.process}' (highest: {c.max_level[r.process]})")


def loosening(base: MaturityRequirement, override: MaturityRequirement) -> str | None:
    if override.process != base.process:
        return f"it checks process '{override.process}' instead of '{base.process}'"
    if override.min_level < base.min_level:
        return f"minLevel {override.min_level} is below the policy's {base.min_level}"
    return None


def describe(r: MaturityRequirement) -> str:
    return f"{r.process} ≥ level {r.min_level}"


def locate(where: Where, r: MaturityRequirement, outcome: Outcome) -> list[Loc]:
    """The process's level under `maturity:`; without `maturity:`, its parent (the document)."""
    return [["maturity", r.process], ["maturity"], []]


KIND = RequirementKind("maturity", MaturityRequirement, judge, crossref, loosening, describe, locate)
