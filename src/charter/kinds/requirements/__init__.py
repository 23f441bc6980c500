"""The registry of requirement kinds: one module per kind, one table everything dispatches through.

The spec union (:data:`charter.spec.requirements.Requirement`), the validator's
cross-reference checks, the loosening rule, ``diff``'s descriptions and the
gate's judges all read :data:`KINDS`. Adding a kind is one module exporting a
``KIND`` plus one line here.
"""

from __future__ import annotations

from typing import Any

from . import approval, data_contract, definition, documentation, drift, evidence, exposure, fairness, maturity, metric
from . import generative_metric, generative_regression
from .base import Checker, Context, Loc, Outcome, RequirementKind, Where

KINDS: dict[str, RequirementKind] = {k.name: k for k in (
    definition.KIND,
    metric.KIND,
    fairness.KIND,
    data_contract.KIND,
    drift.KIND,
    maturity.KIND,
    documentation.KIND,
    approval.KIND,
    evidence.KIND,
    exposure.KIND,
    generative_metric.KIND,
    generative_regression.KIND,
)}
"""Kind name → its entry, in the order the JSON Schema lists them."""


def kind_of(requirement: Any) -> RequirementKind:
    return KINDS[requirement.kind]


def judge(ctx: Context, requirement: Any) -> Outcome:
    return kind_of(requirement).judge(ctx, requirement)


def crossref(checker: Checker, loc: Loc, requirement: Any, uc: Any) -> None:
    kind_of(requirement).crossref(checker, loc, requirement, uc)


def loosening(base: Any, override: Any) -> str | None:
    """Why override is looser than base (None when it is as strict or stricter)."""
    if base.kind != override.kind:
        return f"it changes the requirement's kind from '{base.kind}' to '{override.kind}'"
    return kind_of(base).loosening(base, override)


def describe(requirement: Any) -> str:
    return kind_of(requirement).describe(requirement)


def locate(where: Where, requirement: Any, outcome: Outcome) -> list[Loc]:
    return kind_of(requirement).locate(where, requirement, outcome)


__all__ = ["KINDS", "RequirementKind", "crossref", "describe", "judge", "kind_of", "locate", "loosening"]
