"""Gate decisions as data: what reporters, the site and CI read."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

RequirementStatus = Literal["pass", "fail", "inconclusive", "waived", "error"]
# error = the evidence needed is missing, stale or errored: the gate fails closed.
# inconclusive = the data cannot tell (an interval straddles the limit, too few large groups): fails closed.
BLOCKING_STATUSES = ("fail", "error", "inconclusive")


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
    file: str | None = None
    """Spec file the requirement is answered in (the use case's usecase.yaml), for annotations."""
    line: int | None = None
    """1-based line of the spec element the verdict points at (see ``path``)."""
    rule: dict[str, Any] | None = None
    """The rule that decided the verdict: ``source`` ('policy', 'risk-tier:<id>', 'use-case', "fairness check
    '<id>'", 'evaluation.threshold', "waiver '<ticket>'", 'fail-closed'), ``basis`` ('point estimate', 'upper bound
    of the 95 % interval', ...), ``comparator`` and ``limit`` when a value was compared, ``value``, and ``text``, the
    sentence reporters print beside the verdict."""
    column: int | None = None
    """1-based column of that element."""
    path: str | None = None
    """Key path of that element in the use case's spec (`fairness[id='age-dp']`, `card.limitations`); the failing
    element itself, or `stage` for a requirement with no element of its own in the spec."""

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "RequirementResult":
        known = {f for f in cls.__dataclass_fields__}
        kwargs = {k: v for k, v in data.items() if k in known}
        kwargs["evidence"] = tuple(kwargs.get("evidence") or ())
        return cls(**kwargs)


@dataclass(frozen=True)
class GateDecision:
    use_case: str
    stage: str
    passed: bool
    requirements: tuple[RequirementResult, ...]
    evidence_hash: str
    """Hash of the evidence set the decision read (sorted job and evidence ids)."""
    decided_on: str
    """ISO date the decision was made (expiries are judged against it)."""
    declared_stage: str | None = None
    """The stage the use case declares (the decision may ask about another, e.g. the next one)."""
    risk_tier: str | None = None
    notes: tuple[str, ...] = ()
    """Things worth knowing that do not decide anything (unreadable records, unused waivers)."""
    applied_waivers: tuple[dict[str, Any], ...] = ()
    """Every waiver the judges applied (on a whole requirement or on one of its parts, such as a
    fairness check), as ``waiver_dict`` gives it, each once: what a waiver's status is read from."""
    expired_waivers: tuple[dict[str, Any], ...] = ()
    """The use case's waivers that had expired on ``decided_on`` (reported, never applied)."""
    review_digest: str = ""
    """What an approval for this stage must have approved now (``charter.approvals.review_digest``: the
    results, data and judging spec sections): approvals whose ``evidence`` differs are stale."""
    refused_waivers: tuple[dict[str, Any], ...] = ()
    """Waivers for this stage the gate refused because they exceed the authority the policy grants
    (``waiver_dict`` plus ``problems``), never applied."""
    ledger_head: str | None = None
    """The evidence ledger's repository head when the decision was made (None without a ledger)."""

    @property
    def blocking(self) -> int:
        """Requirements that stop the gate: failed, errored or inconclusive."""
        return sum(1 for r in self.requirements if r.status in BLOCKING_STATUSES)

    @property
    def counts(self) -> dict[str, int]:
        out = {"pass": 0, "fail": 0, "inconclusive": 0, "waived": 0, "error": 0}
        for r in self.requirements:
            out[r.status] += 1
        return out

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["counts"] = self.counts
        return d

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "GateDecision":
        """The inverse of :meth:`to_dict` (JSON round-trip)."""
        known = {f for f in cls.__dataclass_fields__}
        kwargs = {k: v for k, v in data.items() if k in known}
        kwargs["requirements"] = tuple(RequirementResult.from_dict(r) for r in data.get("requirements", ()))
        kwargs["notes"] = tuple(kwargs.get("notes") or ())
        kwargs["applied_waivers"] = tuple(kwargs.get("applied_waivers") or ())
        kwargs["expired_waivers"] = tuple(kwargs.get("expired_waivers") or ())
        kwargs["refused_waivers"] = tuple(kwargs.get("refused_waivers") or ())
        return cls(**kwargs)
