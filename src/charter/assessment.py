"""One assessment per use case: everything the gates concluded, judged once, read by every view.

:func:`assess` turns (repository, evidence store, use case, day) into an
:class:`Assessment`: each planned job's evidence and its freshness with the
reason, the gate decisions for the declared stage and for the next one, the
status of every approval and waiver, and the use case's portfolio state.
``charter gate``, ``charter show`` and the site render this object; none of them
judges evidence, approvals or waivers again.

Approval and waiver statuses are *read* from the decisions (what the judges
counted, rejected or applied, including waivers applied to single fairness
checks), never re-derived. :func:`summarise` is that reading step on its own, so
tests can build an assessment from hand-made evidence and decisions.

The portfolio states are defined here and nowhere else (:data:`STATES`), in the
order of precedence used to pick a use case's one state:

* ``out-of-compliance`` – fails the gate of the stage it declares (or that gate
  cannot be judged): it is somewhere it may not be;
* ``prohibited`` – its risk tier allows no stage beyond the first (``maxStage``
  is the policy's first stage): it may be recorded, never promoted;
* ``blocked-from-promotion`` – passes its stage, fails the next stage's gate;
* ``ready-to-promote`` – passes its stage and the next stage's gate;
* ``compliant`` – passes its stage and there is no stage to promote it to
  (the last stage, or a terminal one such as ``retired``).

A gate fails when any requirement fails, errors or is ``inconclusive`` (the data
cannot tell: fail closed); :meth:`GateDecision.blocking` is the one count of them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from .gates.checks import approval_expiry, waiver_dict
from .kinds.requirements.approval import verdicts as approval_verdicts
from .gates.evaluate import GateError, decide, next_stage
from .gates.evidence import CachingStore, EvidenceSource, JobEvidence, look_up
from .gates.model import GateDecision
from .resolve import get_tier
from .spec.governance import approval_validity
from .spec.usecase import Approval, UseCase, Waiver

PortfolioState = Literal["out-of-compliance", "prohibited", "blocked-from-promotion", "ready-to-promote", "compliant"]

STATES: tuple[tuple[PortfolioState, str], ...] = (
    ("out-of-compliance", "out of compliance at its stage"),
    ("prohibited", "prohibited"),
    ("blocked-from-promotion", "blocked from promotion"),
    ("ready-to-promote", "ready to promote"),
    ("compliant", "compliant at its stage"),
)
"""Every portfolio state with its label, in order of precedence (the first that applies is the state)."""
STATE_LABELS: dict[str, str] = dict(STATES)

ApprovalState = Literal["valid", "unused", "expired", "stale", "rejected"]
WaiverState = Literal["applied", "unused", "expired", "refused"]


@dataclass(frozen=True)
class ApprovalStatus:
    """One approval of the use case and what the gates made of it."""

    approval: Approval
    status: ApprovalState
    """valid: counted by a decision; stale: approved another review digest (results, data or judging spec changed
    since); expired; rejected (not a person, role not held, dated in the future, unsigned where the policy
    requires a signature, a signature that does not verify); unused: no decision asked for it (another stage,
    another role, a duplicate)."""
    reason: str
    expires: dt.date
    """The day after which it no longer counts (its own expiry or the policy's validity)."""

    @property
    def valid(self) -> bool:
        return self.status == "valid"


@dataclass(frozen=True)
class WaiverStatus:
    """One waiver of the use case and whether the gates applied it."""

    waiver: Waiver
    status: WaiverState
    """applied: a judge applied it (to a requirement or to one fairness check); expired; refused: it exceeds the
    authority the policy grants (owner's role, duration, signature, an unwaivable kind), so no gate applies it;
    unused: valid, but nothing it names was judged at the stages assessed."""
    reason: str
    stages: tuple[str, ...] = ()
    """The stages whose decisions applied it."""

    @property
    def applied(self) -> bool:
        return self.status == "applied"

    @property
    def expired(self) -> bool:
        return self.status == "expired"


@dataclass(frozen=True)
class Assessment:
    """Everything the gates concluded about one use case on one day (immutable; views only render it)."""

    use_case: str
    stage: str
    """The stage the use case declares."""
    next_stage: str | None
    """The stage it would be promoted to (None at the last or a terminal stage)."""
    risk_tier: str
    as_of: dt.date
    jobs: tuple[JobEvidence, ...]
    """Each planned job with its evidence and freshness (the reason is ``JobEvidence.problem()``)."""
    evidence_hash: str | None
    """Hash of the planned evidence set (sorted job and evidence ids); approvals sign the review digests."""
    current: GateDecision | None
    """The decision for the declared stage (None when it could not be judged: see ``notes``)."""
    next: GateDecision | None
    """The decision for the next stage (None when there is none, or it could not be judged)."""
    approvals: tuple[ApprovalStatus, ...]
    waivers: tuple[WaiverStatus, ...]
    state: PortfolioState
    state_text: str
    """One line saying why the state is what it is."""
    prohibited: bool
    """The risk tier allows no stage beyond the first (true even when another state takes precedence)."""
    notes: tuple[str, ...] = ()
    """What could not be assessed (jobs that cannot be planned, decisions that could not be made)."""

    @property
    def decisions(self) -> tuple[GateDecision, ...]:
        """The decisions made, the declared stage's first."""
        return tuple(d for d in (self.current, self.next) if d is not None)

    @property
    def state_label(self) -> str:
        return STATE_LABELS[self.state]

    @property
    def complete(self) -> bool:
        """Every planned job has fresh evidence that did not error."""
        return all(j.usable for j in self.jobs)

    def decision_for(self, stage: str) -> GateDecision | None:
        return next((d for d in self.decisions if d.stage == stage), None)

    @property
    def review_digests(self) -> dict[str, str]:
        """Stage → what an approval for it must approve now, as the decisions computed it."""
        return {d.stage: d.review_digest for d in self.decisions if d.review_digest}


# --- portfolio -------------------------------------------------------------------------


def count_states(states: Iterable[str]) -> tuple[tuple[PortfolioState, int], ...]:
    """How many use cases are in each portfolio state, every state listed, in :data:`STATES` order."""
    seen = list(states)
    return tuple((s, seen.count(s)) for s, _ in STATES)


def states_line(states: Iterable[str]) -> str:
    """``2 out of compliance at its stage, 1 prohibited, …``: the one wording of the portfolio's counts."""
    return ", ".join(f"{n} {STATE_LABELS[s]}" for s, n in count_states(states))


def is_prohibited(policy: Any, uc: UseCase) -> bool:
    """Its risk tier's highest stage is the policy's first one: it may be proposed, never promoted."""
    tier = get_tier(policy, uc.risk_tier) if policy is not None else None
    return bool(tier is not None and tier.max_stage is not None and policy.stages
                and tier.max_stage == policy.stages[0].id)


def _blocking(d: GateDecision) -> int:
    """Requirements that stop the gate: failed, errored or inconclusive (an inconclusive verdict fails closed)."""
    return d.blocking


def _stage_name(policy: Any, stage: str) -> str:
    return next((s.name for s in (policy.stages if policy is not None else []) if s.id == stage), stage)


def portfolio_state(policy: Any, uc: UseCase, current: GateDecision | None, nxt: GateDecision | None,
                    nxt_stage: str | None) -> tuple[PortfolioState, str]:
    """The use case's state and the line explaining it (see the module docstring for the definitions)."""
    here = _stage_name(policy, uc.stage)
    if current is None:
        return "out-of-compliance", f"its stage {here} could not be judged"
    if not current.passed:
        n = _blocking(current)
        return "out-of-compliance", f"fails {here}: {n} blocking"
    if is_prohibited(policy, uc):
        tier = get_tier(policy, uc.risk_tier)
        name = tier.name if tier is not None else uc.risk_tier
        return "prohibited", f"risk tier {name} allows no stage beyond {here}; not eligible for promotion"
    if nxt_stage is None:
        return "compliant", f"passes {here}; no further stage"
    there = _stage_name(policy, nxt_stage)
    if nxt is None:
        return "blocked-from-promotion", f"{there} could not be judged"
    if nxt.passed:
        return "ready-to-promote", f"ready for {there}"
    n = _blocking(nxt)
    return "blocked-from-promotion", f"{n} blocking for {there}"


# --- approvals and waivers, as the decisions judged them ---------------------------------


def _approval_key(by: Any, role: Any, date: Any, evidence: Any) -> tuple[str, str, str, str]:
    return (str(by), str(role), str(date), str(evidence))


def approval_statuses(policy: Any, uc: UseCase, decisions: tuple[GateDecision, ...]) -> tuple[ApprovalStatus, ...]:
    """Each approval's status as the approval judges reported it (counted, rejected with why), else unused."""
    judged: dict[tuple[str, str, str, str, str], tuple[ApprovalState, str, str]] = {}
    counted: set[tuple[str, str, str]] = set()
    for dec in decisions:
        for r in dec.requirements:
            valid, rejected = approval_verdicts(r)
            for v in valid:
                key = (dec.stage, *_approval_key(v["by"], v["role"], v["date"], v["evidence"]))
                judged[key] = ("valid", f"counts for '{r.id}' at {dec.stage}", v["expires"])
                counted.add((dec.stage, str(v["by"]), str(v["role"])))
            for x in rejected:
                key = (dec.stage, *_approval_key(x["by"], x["role"], x["date"], x["evidence"]))
                problem = str(x.get("problem", ""))
                status: ApprovalState = "stale" if x.get("stale") else "expired" if x.get("expired") else "rejected"
                if judged.get(key, ("",))[0] != "valid":
                    judged[key] = (status, problem, x["expires"])
    validity = approval_validity(policy)
    stages = [d.stage for d in decisions]
    out = []
    for a in sorted(uc.approvals, key=lambda a: (a.date, a.stage, a.by)):
        key = (a.stage, *_approval_key(a.by, a.role, a.date.isoformat(), a.evidence))
        if key in judged:
            status, reason, expires = judged[key]
            out.append(ApprovalStatus(a, status, reason, dt.date.fromisoformat(expires)))
            continue
        if a.stage not in stages:
            reason = (f"given for stage '{a.stage}'; the gates judge "
                      + " and ".join(f"'{s}'" for s in stages) if stages else f"given for stage '{a.stage}'")
        elif (a.stage, a.by, a.role) in counted:
            reason = f"another approval by '{a.by}' as '{a.role}' for '{a.stage}' already counts"
        else:
            reason = f"no requirement of stage '{a.stage}' asks for an approval by '{a.role}'"
        out.append(ApprovalStatus(a, "unused", reason, approval_expiry(a, validity)))
    return tuple(out)


def waiver_statuses(uc: UseCase, decisions: tuple[GateDecision, ...]) -> tuple[WaiverStatus, ...]:
    """Each waiver's status as the decisions report it: applied (by which stage's gate), expired, or unused."""
    out = []
    for w in sorted(uc.waivers, key=lambda w: (w.expires, w.requirement)):
        as_dict = waiver_dict(w)
        applied_at = tuple(d.stage for d in decisions if as_dict in d.applied_waivers)
        refused = next((x for d in decisions for x in d.refused_waivers
                        if {k: x.get(k) for k in as_dict} == as_dict), None)
        if applied_at:
            out.append(WaiverStatus(w, "applied", f"applied to '{w.requirement}' by the gate for "
                                    + " and ".join(f"'{s}'" for s in applied_at), applied_at))
        elif refused is not None:
            out.append(WaiverStatus(w, "refused", "refused: " + "; ".join(refused.get("problems") or ())))
        elif any(as_dict in d.expired_waivers for d in decisions):
            out.append(WaiverStatus(w, "expired", f"expired on {w.expires}: no longer applies"))
        else:
            where = " or ".join(f"'{d.stage}'" for d in decisions if w.stage in (None, d.stage))
            out.append(WaiverStatus(w, "unused", f"valid until {w.expires}, but nothing named '{w.requirement}' is "
                                    f"judged at {where}" if where else
                                    f"valid until {w.expires}, for stage '{w.stage}', which is not judged now"))
    return tuple(out)


# --- assembling -----------------------------------------------------------------------------


def summarise(repo: Any, uc: UseCase, jobs: Iterable[JobEvidence], current: GateDecision | None,
              nxt: GateDecision | None, as_of: dt.date, *, notes: Iterable[str] = (),
              evidence_hash: str | None = None) -> Assessment:
    """The assessment from evidence already looked up and decisions already made (reads, never judges)."""
    policy = repo.policy
    nxt_stage = next_stage(policy, uc) if policy is not None else None
    decisions = tuple(d for d in (current, nxt) if d is not None)
    state, text = portfolio_state(policy, uc, current, nxt, nxt_stage)
    bundle = evidence_hash if evidence_hash is not None else next((d.evidence_hash for d in decisions), None)
    return Assessment(
        use_case=uc.id, stage=uc.stage, next_stage=nxt_stage, risk_tier=uc.risk_tier, as_of=as_of,
        jobs=tuple(jobs), evidence_hash=bundle, current=current, next=nxt,
        approvals=approval_statuses(policy, uc, decisions), waivers=waiver_statuses(uc, decisions),
        state=state, state_text=text, prohibited=is_prohibited(policy, uc), notes=tuple(notes))


def assess(repo: Any, store: EvidenceSource, use_case: UseCase | str, today: dt.date | None = None, *,
           planned: list[Any] | None = None) -> Assessment:
    """Plan the use case's jobs, look up their evidence, decide its stage and its next one, and read the rest.

    ``store`` is wrapped in a read-through cache (each record is parsed once even
    though both decisions read it) unless it is one already. A plan or a decision
    that cannot be made is a note, and the assessment fails closed on it.
    """
    from .engine.plan import PlanError, plan_usecase
    from .engine.store import evidence_bundle_hash

    uc: UseCase = repo.usecases[use_case] if isinstance(use_case, str) else use_case
    today = today or dt.date.today()
    cached = store if isinstance(store, CachingStore) else CachingStore(store)
    notes: list[str] = []
    if planned is None:
        try:
            planned = plan_usecase(repo, uc)
        except (PlanError, ValueError) as exc:
            notes.append(f"{uc.id}: cannot plan its jobs: {exc}")
            planned = []
    jobs = [look_up(cached, p, with_sha256=True) for p in planned]
    decided: dict[str, GateDecision | None] = {}
    nxt_stage = next_stage(repo.policy, uc) if repo.policy is not None else None
    for stage in [uc.stage] + ([nxt_stage] if nxt_stage else []):
        try:
            decided[stage] = decide(repo, cached, uc, stage=stage, today=today, planned=planned)
        except (GateError, RuntimeError) as exc:  # a use case the gates cannot judge fails closed, with why
            notes.append(f"{uc.id}: no gate decision for stage '{stage}': {exc}")
            decided[stage] = None
    return summarise(repo, uc, jobs, decided[uc.stage], decided.get(nxt_stage) if nxt_stage else None, today,
                     notes=notes, evidence_hash=evidence_bundle_hash(planned))
