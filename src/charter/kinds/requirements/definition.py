"""Requirement kind `definition`: the five definition questions are answered."""

from __future__ import annotations

from typing import Any, Literal

from .base import Checker, Context, Loc, Outcome, RequirementBase, RequirementKind, Rule, Where, origin_text


class DefinitionRequirement(RequirementBase):
    """The five definition questions are answered (the entry ticket to experimentation)."""

    kind: Literal["definition"]
    need_for_ai: bool = False
    """Also require the "do we even need AI?" answer (`needForAi`: the simpler alternative considered)."""


def judge(ctx: Context, r: DefinitionRequirement) -> Outcome:
    gaps = ctx.uc.definition_gaps()
    if r.need_for_ai and ctx.uc.need_for_ai is None:
        gaps = [*gaps, "needForAi"]
    asked = "the five definition questions" + (" and needForAi" if r.need_for_ai else "")
    rule = Rule(ctx.origin, "definition questions", f"{origin_text(ctx.origin)} requires {asked} answered",
                ">=", 5 + r.need_for_ai, 5 + r.need_for_ai - len(gaps))
    if not gaps:
        return Outcome("pass", "the five definition questions are answered"
                       + (", and why AI rather than something simpler" if r.need_for_ai else ""), rule=rule)
    return Outcome("fail", f"unanswered definition questions: {', '.join(gaps)}; add them to the spec",
                   details={"missing": gaps}, rule=rule)


def crossref(c: Checker, loc: Loc, r: DefinitionRequirement, uc: Any) -> None:
    return None  # nothing it names lives elsewhere


def loosening(base: DefinitionRequirement, override: DefinitionRequirement) -> str | None:
    return None  # the questions are fixed; there is no bound to loosen


def describe(r: DefinitionRequirement) -> str:
    return "definition answered" + (" with needForAi" if r.need_for_ai else "")


def locate(where: Where, r: DefinitionRequirement, outcome: Outcome) -> list[Loc]:
    # the questions are top-level keys: a missing one points at its parent, the document
    return [[]]


KIND = RequirementKind("definition", DefinitionRequirement, judge, crossref, loosening, describe, locate)
