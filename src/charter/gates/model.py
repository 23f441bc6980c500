"""Gate decisions as data: what reporters, the site and CI read."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

RequirementStatus = Literal["pass", "fail", "waived", "error"]
# error = the evidence needed is missing, stale or errored: the gate fails closed.


@dataclass(frozen=True)
class RequirementResult:
    id: str
    kind: str
    origin: str
    """'policy', 'risk-tier:<id>' or 'use-case'."""
    status: RequirementStatus
    reason: str
    """One sentence a team can act on: what was found, what was needed."""
    description: str | None = None
    metric: str | None = None
    candidate: float | None = None
    threshold: float | None = None
    comparator: str | None = None
    """'>=' or '<=' (how candidate is compared with threshold)."""
    baseline: float | None = None
    """The champion's value, for relative requirements."""
    evidence: tuple[str, ...] = ()
    """Evidence record ids the decision read."""
    command: str | None = None
    """The command that produces the missing or stale evidence."""
    waiver: dict[str, Any] | None = None
    """The waiver applied (requirement, owner, reason, ticket, expires)."""
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class GateDecision:
    use_case: str
    stage: str
    passed: bool
    requirements: tuple[RequirementResult, ...]
    evidence_hash: str
    """Hash of the evidence set the decision read; approvals sign this hash."""
    decided_on: str
    """ISO date the decision was made (expiries are judged against it)."""

    @property
    def counts(self) -> dict[str, int]:
        out = {"pass": 0, "fail": 0, "waived": 0, "error": 0}
        for r in self.requirements:
            out[r.status] += 1
        return out

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["counts"] = self.counts
        return d
