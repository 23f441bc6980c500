"""Approvals and waivers that carry authority: what an approver signs, who may waive what.

An approval is ``{stage, by, role, date, evidence, expires?, note?, signature?}``
in the use case's ``approvals``, where ``evidence`` is the *review digest*
(:func:`review_digest`) of what the approver reviewed for that stage: each
planned job's status, a hash of its record's results (without the timings a
text model's history carries) and the data hashes it read, plus the spec
sections that judge them there (the stage's effective requirements, the use
case's effective fairness checks, the evaluation's primary metric and
threshold). Editing a record or loosening a threshold changes the digest, so
the approval is stale; a Charter or package upgrade, or a run on another
machine, that reproduces identical results keeps it (evidence ids are not part
of the digest). The approval judge, ``charter approve`` and the gate decisions
(``GateDecision.review_digest``, read by every view) all call this one function.

A signature (:func:`approval_message`) binds the use case, stage, approver,
role, dates and the digest, so it cannot be copied to another use case or stage
or survive an edit; it must verify with one of the approver's ``signingKeys``.
The policy names the stages that require signed approvals
(``approvals.signedFor``).

Waivers (:func:`waiver_problems`) must be owned by a person holding a role the
policy's ``waivers`` rules allow for the waived requirement's kind (and the use
case's risk tier), run no longer than the rule's ``maxDays`` from their
``date`` (from today when they have none), and carry a signature by
``approvedBy`` when the rule says ``signed``. Approval requirements cannot be
waived unless a rule says so. The validator reports every problem (CH042) and
the gate refuses to apply such a waiver.

:func:`approve` records an approval: refused (UsageError) when the person does
not hold the role, the stage is unknown, the date is in the future or the
expiry is not after it; returned as ``refused`` when the evidence is missing,
stale or errored: nobody can approve evidence that does not exist.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
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
    """The review digest approved (or that would have been)."""
    file: str
    """The spec file (repository-relative)."""
    problems: list[str] = field(default_factory=list)
    """Why the evidence is not current (refused)."""
    required: bool = True
    """Whether the stage requires an approval in this role (it is recorded either way)."""
    approved_on: dt.date | None = None
    """unchanged: the date of the existing approval."""
    signed: bool = False
    """recorded: the approval carries the approver's signature."""
    replaced: int = 0
    """recorded: how many earlier approvals by the same person, stage and role it replaced."""


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


# --- what an approver reviewed -------------------------------------------------------------


def canonical_json(value: Any) -> bytes:
    """The one canonical JSON encoding hashed and signed here (sorted keys, no spaces, UTF-8)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode("utf-8")


def _sha256(value: Any) -> str:
    return hashlib.sha256(canonical_json(value)).hexdigest()


def _dump(model: Any, exclude: set[str]) -> Any:
    return model.model_dump(mode="json", by_alias=True, exclude_none=True, exclude=exclude)


def review_content(repo: Any, uc: Any, stage: str, jobs: Iterable[Any]) -> dict[str, Any]:
    """What an approval of ``uc`` for ``stage`` covers (the digest's input, shown for audits).

    ``jobs`` are the planned jobs' :class:`~charter.gates.evidence.JobEvidence`; each contributes its
    status, the sha256 of its results, the data it read and the hash of its own spec section (its
    contract, thresholds, estimator: a job's limits loosened after approval make it stale). Prose that
    judges nothing (descriptions, rationales) is left out, and so are evidence ids, Charter's runner
    versions and package versions: an upgrade reproducing the same results keeps approvals valid."""
    from .artifacts.record import untimed
    from .resolve import effective_fairness_checks, effective_requirements

    job_part = []
    for ev in sorted(jobs, key=lambda e: e.job):
        record = ev.record
        inputs = ev.planned.inputs
        data = inputs.get("data") if isinstance(inputs, dict) else getattr(inputs, "data", None)
        spec = inputs.get("spec_sha256") if isinstance(inputs, dict) else getattr(inputs, "spec_sha256", None)
        job_part.append({
            "job": ev.job, "runner": ev.runner, "spec": spec,
            "status": record.status if record is not None else ev.freshness,
            # timings (a text model's seconds an epoch) differ on every machine for the same model
            "results": _sha256(untimed(record.results)) if record is not None else None,
            "data": dict(sorted((data or {}).items())),
        })
    content: dict[str, Any] = {"useCase": uc.id, "stage": stage, "jobs": job_part}
    policy = repo.policy
    if policy is not None:
        effective = effective_requirements(policy, uc, stage)
        content["requirements"] = [{"origin": e.origin, "requirement": _dump(e.requirement, {"description"})}
                                   for e in effective]
        # every fairness check: the limits an approver accepts, whichever stage judges them
        content["fairness"] = [_dump(c, {"affected_groups", "rationale"})
                               for c in effective_fairness_checks(policy, uc)]
    if uc.evaluation is not None:
        content["evaluation"] = {"primaryMetric": uc.evaluation.primary_metric,
                                 "threshold": uc.evaluation.threshold}
    return content


def review_digest(repo: Any, uc: Any, stage: str, jobs: Iterable[Any]) -> str:
    """sha256 of :func:`review_content`: what an approval for ``stage`` signs (its ``evidence``)."""
    return _sha256(review_content(repo, uc, stage, jobs))


# --- signatures ---------------------------------------------------------------------------------


def _iso(value: Any) -> str | None:
    """A date as ISO text (dates already written as text, in a spec being edited, stay as they are)."""
    return value.isoformat() if isinstance(value, dt.date) else (str(value) if value is not None else None)


def approval_message(use_case: str, approval: Any) -> bytes:
    """The bytes an approval's signature signs (an ``Approval`` or a dict with its fields)."""
    get = approval.get if isinstance(approval, dict) else lambda k: getattr(approval, k, None)
    return canonical_json({
        "type": "charter-approval/1", "useCase": use_case, "stage": get("stage"), "by": get("by"),
        "role": get("role"), "date": _iso(get("date")), "expires": _iso(get("expires")),
        "evidence": get("evidence")})


def waiver_message(use_case: str, waiver: Any) -> bytes:
    """The bytes a waiver's signature signs (a ``Waiver`` or a dict with its fields)."""
    def get(name: str) -> Any:
        if isinstance(waiver, dict):  # the spec's own keys (approvedBy) or the model's (approved_by)
            camel = name.split("_")[0] + "".join(w.title() for w in name.split("_")[1:])
            return waiver.get(name, waiver.get(camel))
        return getattr(waiver, name, None)

    return canonical_json({
        "type": "charter-waiver/1", "useCase": use_case, "requirement": get("requirement"), "stage": get("stage"),
        "owner": get("owner"), "approvedBy": get("approved_by"), "ticket": get("ticket"),
        "reason": " ".join(str(get("reason") or "").split()), "date": _iso(get("date")),
        "expires": _iso(get("expires"))})


def person_keys(repo: Any, person_id: str) -> list[Any]:
    """The parsed public keys listed for a person (lines that do not parse are skipped: the validator
    reports them)."""
    from .signing import SigningError, parse_public_key

    org = repo.organisation
    person = next((p for p in org.people if p.id == person_id), None) if org is not None else None
    out = []
    for line in getattr(person, "signing_keys", None) or ():
        try:
            out.append(parse_public_key(line))
        except SigningError:
            continue
    return out


def signature_problem(repo: Any, signer: str, message: bytes, signature: str | None, *,
                      required: bool, what: str) -> str | None:
    """Why ``signature`` does not count as ``signer``'s over ``message`` (None when it does, or when no
    signature is required and none is given). A signature given is always verified: a bad one fails."""
    from .signing import verify

    if signature is None:
        if not required:
            return None
        return f"{what} is not signed, and the policy requires a signature (sign it with `--key`)"
    keys = person_keys(repo, signer)
    if not keys:
        return f"{what} is signed, but '{signer}' lists no signing key under governance (signingKeys)"
    got = verify(message, signature, keys)
    if got.ok:
        return None
    return f"{what} has a signature that does not verify: {got.problem}"


def signed_for(policy: Any, stage: str) -> bool:
    """Whether the policy requires signed approvals for ``stage``."""
    return policy is not None and stage in policy.approvals.signed_for


def clean_for(policy: Any, stage: str) -> bool:
    """Whether the policy requires evidence from a clean work tree for ``stage``."""
    return policy is not None and stage in policy.lineage.clean_for


def approval_problem(repo: Any, use_case: str, approval: Any) -> str | None:
    """Why an approval's signature does not count (None when it does or none is needed)."""
    return signature_problem(repo, approval.by, approval_message(use_case, approval), approval.signature,
                             required=signed_for(repo.policy, approval.stage),
                             what=f"approval by '{approval.by}'")


# --- waiver authority ------------------------------------------------------------------------------

WaiverField = Literal["requirement", "owner", "date", "expires", "approvedBy", "signature"]


def waived_kinds(policy: Any, uc: Any, waiver: Any) -> list[str]:
    """The requirement kinds a waiver waives at the stages it covers (a fairness check: ``fairness``)."""
    from .kinds.requirements.fairness import KIND as FAIRNESS
    from .resolve import effective_fairness_checks, effective_requirements

    stages = [waiver.stage] if waiver.stage else [s.id for s in policy.stages]
    kinds = {e.requirement.kind for s in stages for e in effective_requirements(policy, uc, s)
             if e.requirement.id == waiver.requirement}
    if any(c.id == waiver.requirement for c in effective_fairness_checks(policy, uc)):
        kinds.add(FAIRNESS.name)
    return sorted(kinds)


def waiver_rule(policy: Any, kind: str, risk_tier: str) -> Any:
    """The first of the policy's waiver rules for ``kind`` that applies to ``risk_tier`` (None: none)."""
    return next((r for r in policy.waivers or () if r.kind == kind and (not r.risk_tiers or risk_tier in r.risk_tiers)),
                None)


def waiver_problems(repo: Any, uc: Any, waiver: Any, today: dt.date) -> list[tuple[WaiverField, str]]:
    """Every way ``waiver`` exceeds the authority the policy grants, with the field to point at (empty: it may
    apply). The validator reports each (CH042); the gate refuses to apply a waiver that has any."""
    from .kinds.requirements.approval import KIND as APPROVAL

    policy = repo.policy
    if policy is None:
        return []
    people = {p.id: p for p in repo.organisation.people} if repo.organisation is not None else {}
    out: list[tuple[WaiverField, str]] = []
    name = f"waiver {waiver.ticket} of '{waiver.requirement}'"
    if waiver.date is not None and waiver.date > today:
        out.append(("date", f"{name} is dated in the future ({waiver.date})"))
    for kind in waived_kinds(policy, uc, waiver):
        rule = waiver_rule(policy, kind, uc.risk_tier)
        if rule is None:
            if policy.waivers is None and kind != APPROVAL.name:
                continue  # no waiver rules declared: the legacy behaviour, anyone may waive
            unless = "a rule under the policy's `waivers:` lets a role waive them"
            what = ("approval (sign-off) requirements" if kind == APPROVAL.name
                    else f"requirements of kind '{kind}'")
            tier = f" for risk tier '{uc.risk_tier}'" if policy.waivers else ""
            out.append(("requirement", f"{name}: {what} cannot be waived{tier} unless {unless}"))
            continue
        roles = ", ".join(rule.roles)
        owner = people.get(waiver.owner)
        if owner is None or not set(rule.roles) & set(owner.roles):
            holds = ", ".join(owner.roles) if owner is not None else "not a person of the organisation"
            out.append(("owner", f"{name}: its owner '{waiver.owner}' ({holds}) does not hold a role allowed to "
                                 f"waive '{kind}' requirements ({roles})"))
        start = waiver.date if waiver.date is not None else today
        days = (waiver.expires - start).days
        if days > rule.max_days:
            since = f"its date {start}" if waiver.date is not None else f"today ({start})"
            out.append(("expires", f"{name} runs {days} days, from {since} to {waiver.expires}; the policy allows "
                                   f"at most {rule.max_days} days for '{kind}' waivers"))
        if rule.signed:
            approver = waiver.approved_by
            if approver is None:
                out.append(("approvedBy", f"{name}: '{kind}' waivers need `approvedBy` (a person holding {roles}) "
                                          "and their signature"))
                continue
            person = people.get(approver)
            if person is None or not set(rule.roles) & set(person.roles):
                out.append(("approvedBy", f"{name}: approvedBy '{approver}' does not hold a role allowed to waive "
                                          f"'{kind}' requirements ({roles})"))
                continue
            problem = signature_problem(repo, approver, waiver_message(uc.id, waiver), waiver.signature,
                                        required=True, what=name)
            if problem is not None:
                out.append(("signature", problem))
    return out


# --- recording an approval --------------------------------------------------------------------------


def approve(repo: Any, store: Any, uc_id: str, *, stage: str, by: str, role: str, today: dt.date,
            expires: dt.date | None = None, note: str | None = None, key: Path | None = None,
            date: dt.date | None = None, replace: bool = False) -> ApprovalOutcome:
    """Record ``by``'s approval, in ``role``, of ``uc_id``'s current evidence for ``stage``.

    ``key``: the approver's ed25519 private key, to sign it (it must be one of their listed keys).
    ``date``: the approval's date (default today; never in the future). ``replace``: the new approval
    replaces ``by``'s earlier ones for this stage and role instead of being appended after them."""
    from .diagnostics import did_you_mean
    from .editing import add_approval_to_spec
    from .engine.plan import plan_usecase
    from .gates.evidence import EvidenceView
    from .kinds.requirements.approval import asks_for
    from .resolve import effective_requirements, stage_index
    from .signing import SigningError, load_private_key, public_key_of, sign

    date = date or today
    if date > today:
        raise UsageError(f"--date {date} is in the future")
    if expires is not None and expires <= date:
        raise UsageError(f"--expires {expires} is not after the approval's date {date}")
    uc = repo.usecases.get(uc_id)
    if uc is None:
        raise UsageError(f"unknown use case '{uc_id}'" +
                         (f" ({hint})" if (hint := did_you_mean(uc_id, repo.usecases)) else ""))
    if stage_index(repo.policy, stage) < 0:
        ids = [s.id for s in repo.policy.stages]
        raise UsageError(f"unknown stage '{stage}' ({did_you_mean(stage, ids) or 'stages: ' + ', '.join(ids)})")
    check_person(repo, by, role)
    private = None
    if key is not None:
        try:
            private = load_private_key(key)
        except SigningError as exc:
            raise UsageError(str(exc)) from None
        listed = person_keys(repo, by)
        if not any(k.blob == public_key_of(private).blob for k in listed):
            raise UsageError(f"the key {key} ({public_key_of(private).fingerprint}) is not one of '{by}''s signing "
                             "keys listed under governance (signingKeys)")
    elif signed_for(repo.policy, stage):
        raise UsageError(f"stage '{stage}' requires signed approvals: give the approver's key with --key PATH")

    rel = repo.usecase_files[uc.id]
    planned = plan_usecase(repo, uc)
    view = EvidenceView(store, planned)
    digest = review_digest(repo, uc, stage, view.jobs.values())
    base = dict(use_case=uc.id, stage=stage, by=by, role=role, evidence=digest, file=rel)
    problems = view.problems()
    if problems:
        return ApprovalOutcome("refused", problems=list(problems), **base)
    for a in uc.approvals:
        if ((a.stage, a.by, a.role, a.evidence) == (stage, by, role, digest)
                and (a.expires is None or a.expires >= today)
                and (private is None or (a.signature is not None and approval_problem(repo, uc.id, a) is None))):
            return ApprovalOutcome("unchanged", approved_on=a.date, **base)
    required = any(asks_for(r.requirement, role) for r in effective_requirements(repo.policy, uc, stage))
    entry: dict[str, Any] = {"stage": stage, "by": by, "role": role, "date": date, "evidence": digest,
                             "expires": expires, "note": note}
    if private is not None:
        entry["signature"] = sign(approval_message(uc.id, entry), private)
    superseded = [i for i, a in enumerate(uc.approvals) if (a.stage, a.by, a.role) == (stage, by, role)] \
        if replace else []
    add_approval_to_spec(repo.root / rel, rel, entry, expected=len(uc.approvals) + 1 - len(superseded),
                         remove=superseded)
    return ApprovalOutcome("recorded", required=required, signed=private is not None, replaced=len(superseded),
                           **base)


@dataclass(frozen=True)
class WaiverSigning:
    use_case: str
    ticket: str
    by: str
    signed: tuple[str, ...]
    """The requirements whose waivers were signed."""
    file: str
    problems: tuple[str, ...] = ()
    """What still keeps them from applying after signing (other authority problems)."""


def sign_waivers(repo: Any, uc_id: str, *, ticket: str, by: str, key: Path, today: dt.date) -> WaiverSigning:
    """Sign, as ``by`` with ``key``, every waiver of ``uc_id`` with ``ticket``: sets ``approvedBy`` and
    ``signature``. UsageError when there is no such waiver, the key is not ``by``'s, or ``by`` holds no role
    the policy lets waive the waived kinds."""
    from .diagnostics import did_you_mean
    from .editing import sign_waivers_in_spec
    from .signing import SigningError, load_private_key, public_key_of, sign

    uc = repo.usecases.get(uc_id)
    if uc is None:
        raise UsageError(f"unknown use case '{uc_id}'" +
                         (f" ({hint})" if (hint := did_you_mean(uc_id, repo.usecases)) else ""))
    chosen = [(i, w) for i, w in enumerate(uc.waivers) if w.ticket == ticket]
    if not chosen:
        tickets = sorted({w.ticket for w in uc.waivers})
        raise UsageError(f"'{uc_id}' has no waiver with ticket '{ticket}'"
                         + (f" (tickets: {', '.join(tickets)})" if tickets else ""))
    people = {p.id: p for p in repo.organisation.people} if repo.organisation is not None else {}
    if by not in people:
        raise UsageError(f"unknown person '{by}'" + (f" ({hint})" if (hint := did_you_mean(by, people)) else ""))
    for _i, w in chosen:
        for kind in waived_kinds(repo.policy, uc, w):
            rule = waiver_rule(repo.policy, kind, uc.risk_tier)
            if rule is not None and not set(rule.roles) & set(people[by].roles):
                raise UsageError(f"'{by}' (holds: {', '.join(people[by].roles)}) may not grant '{kind}' waivers; "
                                 f"the policy allows: {', '.join(rule.roles)}")
    try:
        private = load_private_key(key)
    except SigningError as exc:
        raise UsageError(str(exc)) from None
    if not any(k.blob == public_key_of(private).blob for k in person_keys(repo, by)):
        raise UsageError(f"the key {key} ({public_key_of(private).fingerprint}) is not one of '{by}''s signing keys "
                         "listed under governance (signingKeys)")
    signed = {}
    for i, w in chosen:
        message = waiver_message(uc.id, w.model_copy(update={"approved_by": by}))
        signed[i] = (by, sign(message, private))
    rel = repo.usecase_files[uc.id]
    sign_waivers_in_spec(repo.root / rel, rel, signed)
    problems = []
    for _i, w in chosen:
        after = w.model_copy(update={"approved_by": by, "signature": signed[_i][1]})
        problems += [m for _f, m in waiver_problems(repo, uc, after, today)]
    return WaiverSigning(uc.id, ticket, by, tuple(w.requirement for _i, w in chosen), rel, tuple(problems))


__all__ = ["ApprovalOutcome", "WaiverSigning", "sign_waivers", "approval_message", "approval_problem", "approve", "canonical_json", "check_person",
           "clean_for", "person_keys", "review_content", "review_digest", "signature_problem", "signed_for",
           "waived_kinds", "waiver_message", "waiver_problems", "waiver_rule"]
