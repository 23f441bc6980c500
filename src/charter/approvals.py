"""Signing off the current evidence of a use case (``charter approve``), as a function.

An approval is ``{stage, by, role, date, evidence}`` appended to the use case's
``approvals``, where ``evidence`` is the hash of the evidence bundle the gate
reads now. Refused (UsageError) when the person does not hold the role, the
stage is unknown or the expiry is not in the future; returned as ``refused``
when the evidence is missing, stale or errored: nobody can approve evidence
that does not exist.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Literal

from .errors import UsageError


@dataclass(frozen=True)
class ApprovalOutcome:
    status: Literal["recorded", "unchanged", "refused"]
    """recorded: written to the spec; unchanged: the same approval is already there; refused: evidence not current."""
    use_case: str
    stage: str
    by: str
    role: str
    evidence: str
    """The evidence bundle hash signed (or that would have been)."""
    file: str
    """The spec file (repository-relative)."""
    problems: list[str] = field(default_factory=list)
    """Why the evidence is not current (refused)."""
    required: bool = True
    """Whether the stage requires an approval in this role (it is recorded either way)."""
    approved_on: dt.date | None = None
    """unchanged: the date of the existing approval."""


def check_person(repo: Any, person_id: str, role: str) -> None:
    """UsageError unless ``person_id`` exists and holds ``role``."""
    from .diagnostics import did_you_mean, known_list

    org = repo.organisation
    people = {p.id: p for p in org.people} if org is not None else {}
    roles = {r.id for r in org.roles} if org is not None else set()
    if role not in roles:
        raise UsageError(f"unknown role '{role}' ({did_you_mean(role, roles) or 'roles: ' + known_list(roles)})")
    person = people.get(person_id)
    if person is None:
        hint = did_you_mean(person_id, people) or "people: " + known_list(people)
        raise UsageError(f"unknown person '{person_id}' ({hint})")
    if role not in person.roles:
        holders = sorted(p.id for p in people.values() if role in p.roles)
        raise UsageError(f"'{person_id}' does not hold the role '{role}' (holds: {', '.join(person.roles)}); "
                         f"people with that role: {', '.join(holders) or 'nobody'}")


def approve(repo: Any, store: Any, uc_id: str, *, stage: str, by: str, role: str, today: dt.date,
            expires: dt.date | None = None, note: str | None = None) -> ApprovalOutcome:
    """Record ``by``'s approval, in ``role``, of ``uc_id``'s current evidence for ``stage``."""
    from .diagnostics import did_you_mean
    from .editing import add_approval_to_spec
    from .engine.plan import plan_usecase
    from .engine.store import evidence_bundle_hash
    from .gates.evidence import EvidenceView
    from .kinds.requirements.approval import asks_for
    from .resolve import effective_requirements, stage_index

    if expires is not None and expires <= today:
        raise UsageError(f"--expires {expires} is not in the future")
    uc = repo.usecases.get(uc_id)
    if uc is None:
        raise UsageError(f"unknown use case '{uc_id}'" +
                         (f" ({hint})" if (hint := did_you_mean(uc_id, repo.usecases)) else ""))
    if stage_index(repo.policy, stage) < 0:
        ids = [s.id for s in repo.policy.stages]
        raise UsageError(f"unknown stage '{stage}' ({did_you_mean(stage, ids) or 'stages: ' + ', '.join(ids)})")
    check_person(repo, by, role)

    rel = repo.usecase_files[uc.id]
    planned = plan_usecase(repo, uc)
    bundle = evidence_bundle_hash(planned)
    base = dict(use_case=uc.id, stage=stage, by=by, role=role, evidence=bundle, file=rel)
    problems = EvidenceView(store, planned).problems()
    if problems:
        return ApprovalOutcome("refused", problems=list(problems), **base)
    for a in uc.approvals:
        if (a.stage, a.by, a.role, a.evidence) == (stage, by, role, bundle) and (a.expires is None or a.expires >= today):
            return ApprovalOutcome("unchanged", approved_on=a.date, **base)
    required = any(asks_for(r.requirement, role) for r in effective_requirements(repo.policy, uc, stage))
    entry = {"stage": stage, "by": by, "role": role, "date": today, "evidence": bundle, "expires": expires,
             "note": note}
    add_approval_to_spec(repo.root / rel, rel, entry, expected=len(uc.approvals) + 1)
    return ApprovalOutcome("recorded", required=required, **base)


__all__ = ["ApprovalOutcome", "approve", "check_person"]
