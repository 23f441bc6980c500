"""Requirement kind `approval`: people holding a role signed off the current evidence for this stage.

An approval counts while its signer still holds the role, it is not dated in the
future, it has not expired (its own expiry or the policy's validity, whichever
comes first), its signature verifies with one of the approver's listed keys
(required at the stages the policy lists under ``approvals.signedFor``; a
signature given elsewhere is verified too) and it approved the current review
digest (:func:`charter.approvals.review_digest`: the results, data and judging
spec sections of this stage). Anything else fails closed, with the reason.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import Field

from ...spec.common import Id
from .base import Checker, Context, Loc, Outcome, RequirementBase, RequirementKind, Rule, Where, origin_text


class ApprovalRequirement(RequirementBase):
    """A person holding a role signed off the current evidence for this stage."""

    kind: Literal["approval"]
    role: Id
    """Role the approver must hold in the organisation."""
    count: int = Field(default=1, ge=1)
    """How many distinct approvers with that role are needed."""


def approval_expiry(approval: Any, validity_days: int) -> dt.date:
    """The day after which an approval no longer counts (its own expiry or the policy's validity)."""
    by_policy = approval.date + dt.timedelta(days=validity_days)
    return min(by_policy, approval.expires) if approval.expires is not None else by_policy


def asks_for(requirement: Any, role: str) -> bool:
    """Whether a requirement asks for an approval by this role."""
    return isinstance(requirement, ApprovalRequirement) and requirement.role == role


def verdicts(result: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(counted, rejected) approvals of a judged requirement result; empty for other kinds.

    Each rejected entry carries ``problem`` and may carry ``stale`` or ``expired``."""
    details = getattr(result, "details", None)
    if getattr(result, "kind", None) != "approval" or not isinstance(details, dict):
        return [], []
    return list(details.get("valid") or ()), list(details.get("rejected") or ())


def judge(ctx: Context, r: ApprovalRequirement) -> Outcome:
    from ...approvals import approval_problem, review_digest, signed_for

    digest = ctx.review_digest or review_digest(ctx.repo, ctx.uc, ctx.stage, ctx.view.jobs.values())
    validity = ctx.policy.approval_validity_days
    people = ctx.people
    holders = sorted(pid for pid, p in people.items() if r.role in p.roles)
    valid: dict[str, Any] = {}
    rejected: list[dict[str, Any]] = []
    for a in ctx.uc.approvals:
        if a.stage != ctx.stage or a.role != r.role:
            continue
        info = {"by": a.by, "role": a.role, "date": a.date.isoformat(), "evidence": a.evidence,
                "expires": approval_expiry(a, validity).isoformat()}
        person = people.get(a.by)
        if person is None:
            rejected.append({**info, "problem": f"'{a.by}' is not a person of the organisation"})
        elif r.role not in person.roles:
            rejected.append({**info, "problem": f"'{a.by}' no longer holds the role '{r.role}'"})
        elif (unsigned := approval_problem(ctx.repo, ctx.uc.id, a)) is not None:
            rejected.append({**info, "problem": unsigned, "signature": "missing" if a.signature is None else "invalid"})
        elif a.date > ctx.today:
            rejected.append({**info, "problem": f"approval by '{a.by}' is dated in the future ({a.date})"})
        elif approval_expiry(a, validity) < ctx.today:
            own = a.expires is not None and a.expires <= a.date + dt.timedelta(days=validity)
            why = f"its expiry {a.expires}" if own else f"the policy's {validity}-day validity"
            rejected.append({**info, "problem": f"approval by '{a.by}' of {a.date} expired on "
                             f"{approval_expiry(a, validity)} ({why})", "expired": True})
        elif a.evidence != digest:
            rejected.append({**info, "problem": f"approval by '{a.by}' is stale: it approved review digest "
                             f"{a.evidence[:12]} but what it would approve now (results, data and the judging "
                             f"spec sections of '{ctx.stage}') is {digest[:12]}", "stale": True})
        else:
            valid.setdefault(a.by, {**info, "signed": a.signature is not None})
    details = {"valid": list(valid.values()), "rejected": rejected, "holders": holders, "count": r.count,
               "reviewDigest": digest, "evidenceHash": ctx.bundle_hash}
    ok = len(valid) >= r.count
    rule = Rule(ctx.origin, f"valid approvals by '{r.role}'",
                f"{len(valid)} valid approval{'s' * (len(valid) != 1)} by '{r.role}' {'≥' if ok else '<'} {r.count} "
                f"(count of {origin_text(ctx.origin)}; an approval counts on the current review digest "
                f"{digest[:12]} for {validity} days" + (", signed" if signed_for(ctx.policy, ctx.stage) else "")
                + ")", ">=", r.count, len(valid))
    # the element to point at: the first rejected approval of this role, which is what a reviewer fixes
    first_rejected = next((i for i, a in enumerate(ctx.uc.approvals) if a.stage == ctx.stage and a.role == r.role
                           and a.by not in valid), None)
    subject = str(first_rejected) if first_rejected is not None else None
    if ok:
        who = ", ".join(f"{v['by']} ({v['date']})" for v in valid.values())
        return Outcome("pass", f"approved by {who} on the current review digest {digest[:12]}",
                       candidate=len(valid), threshold=r.count, comparator=">=", details=details, rule=rule)
    need = r.count - len(valid)
    eligible = [h for h in holders if h not in valid]
    if not ctx.view.all_fresh():
        command = f"charter run {ctx.uc.id}"
        then = f"the evidence is not fresh: run `{command}` first, then ask for approval"
    else:
        who = eligible[0] if len(eligible) == 1 else "PERSON"
        command = f"charter approve {ctx.uc.id} --stage {ctx.stage} --by {who} --role {r.role}"
        if signed_for(ctx.policy, ctx.stage):
            command += " --key PATH"
        then = f"ask {', '.join(eligible) or 'someone holding the role'} to review the evidence and run `{command}`"
    problems = "; ".join(x["problem"] for x in rejected[:3])
    have = f"{len(valid)} of {r.count} approval{'s' * (r.count != 1)} by '{r.role}'"
    reason = f"{have} for stage '{ctx.stage}'" + (f" ({problems})" if problems else "") + f"; {then}"
    if need > len(eligible) and holders:
        reason += f"; only {len(eligible)} more people hold the role"
    return Outcome("fail", reason, candidate=len(valid), threshold=r.count, comparator=">=", command=command,
                   details=details, rule=rule, subject=subject)


def crossref(c: Checker, loc: Loc, r: ApprovalRequirement, uc: Any) -> None:
    # with people missing (no organisation, or one dropped for shape errors) the count would be wrong
    if c.ref(loc + ["role"], r.role, c.roles, "role") and c.people and c.people_complete:
        holders = [p for p in c.people.values() if r.role in p.roles]
        if len(holders) < r.count:
            c.err("CH031", loc + ["count"],
                  f"{r.count} approvals by '{r.role}' are required but only {len(holders)} people hold the role")


def loosening(base: ApprovalRequirement, override: ApprovalRequirement) -> str | None:
    if override.role != base.role:
        return f"it asks role '{override.role}' instead of '{base.role}'"
    if override.count < base.count:
        return f"count {override.count} is below the policy's {base.count}"
    return None


def describe(r: ApprovalRequirement) -> str:
    return f"approval by {r.role}" + (f" ×{r.count}" if r.count != 1 else "")


def locate(where: Where, r: ApprovalRequirement, outcome: Outcome) -> list[Loc]:
    """An approval that does not count (stale, expired...); else the gate entry or the `approvals:` list."""
    out: list[Loc] = [["approvals", int(outcome.subject)]] if outcome.subject is not None else []
    if where.gate_entry:
        out.append(where.gate_entry)
    return out + [["approvals"]]


KIND = RequirementKind("approval", ApprovalRequirement, judge, crossref, loosening, describe, locate)
