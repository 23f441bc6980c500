"""Requirement kind `documentation`: the system card narrative is complete."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from ...spec.common import NonEmpty
from .base import Checker, Context, Loc, Outcome, RequirementBase, RequirementKind, Rule, Where, origin_text


class DocumentationRequirement(RequirementBase):
    """The system card narrative is complete."""

    kind: Literal["documentation"]
    fields: list[NonEmpty] | None = None
    """Card fields that must be filled in (camelCase, as in the spec); default: all of them."""
    min_words: int = Field(default=10, ge=0)
    """A field counts as written only with at least this many words."""


def card_attributes() -> dict[str, str]:
    """Card field as written in the spec (camelCase) → model attribute."""
    from ...spec.usecase import CARD_FIELDS, Card

    return {(Card.model_fields[f].alias or f): f for f in CARD_FIELDS}


def judge(ctx: Context, r: DocumentationRequirement) -> Outcome:
    attrs = card_attributes()
    fields = list(r.fields) if r.fields else list(attrs)
    counts: dict[str, int] = {}
    for name in fields:
        attr = attrs.get(name, name)
        text = getattr(ctx.uc.card, attr, None) if attr in attrs.values() else None
        counts[name] = len(text.split()) if text else 0
    short = [f for f in fields if counts[f] < max(r.min_words, 1)]
    details = {"words": counts, "minWords": r.min_words}
    fewest = min(counts.values(), default=0)
    rule = Rule(ctx.origin, "words per card field",
                f"each of {len(fields)} card field{'s' * (len(fields) != 1)} needs at least {r.min_words} words "
                f"(minWords of {origin_text(ctx.origin)}); the shortest has {fewest}", ">=", r.min_words, fewest)
    if not short:
        return Outcome("pass", f"{len(fields)} system card field{'s' * (len(fields) != 1)} written "
                       f"(at least {r.min_words} words each)", details=details, rule=rule)
    listed = ", ".join(f"{f} ({counts[f]} words)" for f in short)
    return Outcome("fail", f"system card fields missing or shorter than {r.min_words} words: {listed}; "
                   "write them under `card:`", details={**details, "missing": short}, rule=rule, subject=short[0])


def crossref(c: Checker, loc: Loc, r: DocumentationRequirement, uc: Any) -> None:
    from ...diagnostics import did_you_mean

    if r.fields:
        names = list(card_attributes())
        for k, f in enumerate(r.fields):
            if f not in names:
                c.err("CH013", loc + ["fields", k], f"'{f}' is not a system card field",
                      did_you_mean(f, names) or f"fields: {', '.join(names)}")


def loosening(base: DocumentationRequirement, override: DocumentationRequirement) -> str | None:
    return None  # an override's fields and minWords replace the policy's as written


def describe(r: DocumentationRequirement) -> str:
    return f"card {', '.join(r.fields) if r.fields else 'complete'} (≥ {r.min_words} words)"


def locate(where: Where, r: DocumentationRequirement, outcome: Outcome) -> list[Loc]:
    """The first short `card:` field; a missing one points at `card:`, a missing `card:` at the document."""
    out: list[Loc] = [["card", outcome.subject]] if outcome.subject else []
    return out + [["card"], []]


KIND = RequirementKind("documentation", DocumentationRequirement, judge, crossref, loosening, describe, locate)
