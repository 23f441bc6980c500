"""A gate decision as persisted: in ``ledger.jsonl`` decision entries (``charter gate --record``).

The decision itself is :class:`charter.gates.model.GateDecision`; this model
validates what its ``to_dict()`` gives before it is written, versions it, and
turns a stored one back into a ``GateDecision``. Keys the gate adds later are
carried through (``extra="allow"``); list them here to publish them in the schema.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict

from .versioning import Versioned, read_json

if TYPE_CHECKING:
    from ..gates.model import GateDecision

SCHEMA_VERSION = 1


class RequirementRecord(BaseModel):
    """One requirement's verdict, as the gate decided it."""

    model_config = ConfigDict(extra="allow", frozen=True, defer_build=True)

    id: str
    kind: str
    origin: str
    """'policy', 'risk-tier:<id>' or 'use-case'."""
    status: Literal["pass", "fail", "inconclusive", "waived", "error"]
    reason: str
    description: str | None = None
    metric: str | None = None
    candidate: float | None = None
    threshold: float | None = None
    comparator: str | None = None
    baseline: float | None = None
    evidence: list[str] = []
    """Evidence record ids the verdict read."""
    command: str | None = None
    waiver: dict[str, Any] | None = None
    details: dict[str, Any] = {}
    file: str | None = None
    line: int | None = None


class DecisionRecord(Versioned):
    """May a use case be in (or enter) a stage, on which evidence, decided on which day."""

    model_config = ConfigDict(extra="allow", frozen=True, defer_build=True)

    SCHEMA_VERSION: ClassVar[int] = SCHEMA_VERSION
    MIN_SCHEMA_VERSION: ClassVar[int] = 1
    ARTIFACT: ClassVar[str] = "gate decision"
    UPGRADE_HINT: ClassVar[str] = "decide it again with `charter gate --record`"
    UNVERSIONED: ClassVar[int | None] = 1
    """Decisions recorded before versioning had the same keys."""

    schema_version: int = SCHEMA_VERSION
    use_case: str
    stage: str
    passed: bool
    requirements: list[RequirementRecord]
    evidence_hash: str
    decided_on: str
    declared_stage: str | None = None
    risk_tier: str | None = None
    notes: list[str] = []
    counts: dict[str, int] = {}
    ledger_head: str | None = None
    """The evidence ledger's repository head when the decision was made."""

    @classmethod
    def from_decision(cls, decision: GateDecision | dict[str, Any]) -> DecisionRecord:
        """The persisted form of a decision (a ``GateDecision`` or its ``to_dict()``)."""
        data = decision if isinstance(decision, dict) else decision.to_dict()
        return cls.model_validate({**data, "schema_version": SCHEMA_VERSION})

    @classmethod
    def read(cls, data: dict[str, Any], where: str = "") -> DecisionRecord:
        return read_json(cls, data, where)

    def to_decision(self) -> GateDecision:
        from ..gates.model import GateDecision

        return GateDecision.from_dict(self.model_dump(mode="json"))


__all__ = ["DecisionRecord", "RequirementRecord"]
