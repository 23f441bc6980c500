"""`decide`: may this use case be in (or enter) this stage? Evidence + approvals + waivers + policy.

The requirements of a stage are the policy's, plus the risk tier's extras, plus
the use case's own stricter gates (:func:`charter.resolve.effective_requirements`).
Each is judged by the judge of its kind (the registry
:mod:`charter.kinds.requirements`), then waivers apply: a valid waiver turns the
requirement's status into ``waived`` — never ``pass`` — and an expired one is
reported and ignored. The decision passes when nothing fails, errors or is
inconclusive. Missing, stale or errored evidence is an error, and a comparison the
data cannot decide is inconclusive: both fail closed.

Every result carries the rule that decided it (``rule``) and points at the spec
element that decided it (``file``/``line``/``column``/``path``), chosen by its
kind; only a requirement with no element of its own points at ``stage:``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import replace
from typing import Any, cast

from ..errors import GateError
from ..kinds import requirements as kinds
from ..kinds.requirements.base import Context, Loc, Outcome, Rule, Where, fail_closed_rule, waiver_dict
from ..loading import yaml12
from ..loading.positions import key_path, locate
from ..resolve import effective_requirements, get_tier, stage_index
from ..spec.usecase import UseCase
from .evidence import EvidenceSource, EvidenceView
from .model import GateDecision, RequirementResult

MAX_STAGE_ID = "max-stage"


def next_stage(policy: Any, uc: UseCase) -> str | None:
    """The stage a use case would be promoted to next (terminal stages such as `retired` are not promotions)."""
    i = stage_index(policy, uc.stage)
    for stage in policy.stages[i + 1:] if i >= 0 else []:
        if not stage.terminal:
            return stage.id
    return None


class _Locator:
    """Where a verdict points in a use case's spec: file, line, column and key path.

    The YAML is composed lazily, once per decision, and only when a position is asked for.
    """

    def __init__(self, repo: Any, uc: UseCase) -> None:
        self.file = getattr(repo, "usecase_files", {}).get(uc.id)
        sf = getattr(repo, "files", {}).get(self.file) if self.file else None
        self.text = sf.text if sf is not None else None
        self.data: Any = sf.data if sf is not None else None
        self._root: Any = None
        self._done = False

    def exists(self, loc: Loc) -> bool:
        node = self.data
        for seg in loc:
            if isinstance(node, dict) and isinstance(seg, str) and seg in node:
                node = node[seg]
            elif isinstance(node, list) and isinstance(seg, int) and 0 <= seg < len(node):
                node = node[seg]
            else:
                return False
        return self.data is not None

    def position(self, loc: Loc) -> tuple[int | None, int | None, str | None]:
        """(line, column, key path) of the element at loc."""
        if self.text is None:
            return None, None, None
        if not self._done:
            self._done = True
            try:
                self._root = yaml12.compose_nodes(self.text)
            except yaml12.YamlProblem:
                self._root = None
        span = locate(self._root, loc, at_key=True)
        return (span[0], span[1], key_path(self.data, loc)) if span else (None, None, None)

    def first(self, candidates: list[Loc], fallback: Loc) -> tuple[int | None, int | None, str | None]:
        """The position of the first candidate present in the spec, else of the fallback."""
        loc = next((c for c in candidates if self.exists(c)), fallback)
        return self.position(loc)


def _authorised_waivers(repo: Any, uc: UseCase, stage: str, today: dt.date) -> tuple[list[Any], list[dict[str, Any]]]:
    """(the waivers for ``stage`` within the policy's authority, the refused ones with their problems)."""
    from ..approvals import waiver_problems

    allowed, refused = [], []
    for w in uc.waivers:
        if w.stage is not None and w.stage != stage:
            continue
        problems = [message for _field, message in waiver_problems(repo, uc, w, today)]
        if problems:
            refused.append({**waiver_dict(w), "problems": problems})
        else:
            allowed.append(w)
    return allowed, refused


def _waivers(waivers: list[Any], today: dt.date) -> Callable[[str], tuple[Any, list[Any]]]:
    def waiver_for(req_id: str) -> tuple[Any, list[Any]]:
        matching = [w for w in waivers if w.requirement == req_id]
        valid = sorted((w for w in matching if w.expires >= today), key=lambda w: w.expires, reverse=True)
        expired = [w for w in matching if w.expires < today]
        return (valid[0] if valid else None), expired

    return waiver_for


def _dirty_evidence(view: EvidenceView, evidence: tuple[str, ...]) -> list[str]:
    """The jobs among the records a verdict read whose lineage is not a clean, committed work tree."""
    out = []
    for ev in view.jobs.values():
        rec = ev.record
        if rec is None or rec.id not in evidence:
            continue
        dirty = rec.lineage.git_dirty
        if dirty is not False:
            state = "uncommitted changes" if dirty else "an unknown work tree (no git lineage)"
            out.append(f"job '{ev.job}' (record {rec.id[:12]}) was produced from {state}")
    return out


def decide(repo: Any, store: EvidenceSource, uc: UseCase | str, stage: str | None = None,
           today: dt.date | None = None, *, planned: list[Any] | None = None) -> GateDecision:
    """Judge every requirement of ``stage`` (default: the use case's declared stage) for ``uc``.

    ``planned`` are the use case's planned jobs (default: the engine's plan); the
    store is read only for those evidence ids, plus each job's latest record to
    explain stale evidence.
    """
    if isinstance(uc, str):
        if uc not in repo.usecases:
            raise GateError(f"unknown use case '{uc}'")
        uc = cast(UseCase, repo.usecases[uc])
    policy = repo.policy
    if policy is None:
        raise GateError("the repository has no Policy: gates come from governance/policy.yaml")
    today = today or dt.date.today()
    stage = stage or uc.stage
    if stage_index(policy, stage) < 0:
        raise GateError(f"unknown stage '{stage}' (stages: {', '.join(s.id for s in policy.stages)})")
    if planned is None:
        from ..engine.plan import PlanError, plan_usecase

        try:
            planned = plan_usecase(repo, uc)
        except PlanError as exc:
            raise GateError(f"the jobs of '{uc.id}' cannot be planned: {exc}") from None
    from ..approvals import clean_for, review_digest
    from ..engine.store import evidence_bundle_hash

    view = EvidenceView(store, planned)
    bundle = evidence_bundle_hash(planned)
    digest = review_digest(repo, uc, stage, view.jobs.values())
    authorised, refused_waivers = _authorised_waivers(repo, uc, stage, today)
    waiver_for = _waivers(authorised, today)
    ctx = Context(repo, uc, stage, today, view, bundle, waiver_for, review_digest=digest)
    needs_clean = clean_for(policy, stage)
    where = _Locator(repo, uc)
    results: list[RequirementResult] = []
    applied: dict[tuple[Any, ...], dict[str, Any]] = {}  # every waiver a judge or decide applied, once

    tier = get_tier(policy, uc.risk_tier)
    max_stage = tier.max_stage if tier is not None else None
    if tier is not None and max_stage is not None and stage_index(policy, stage) > stage_index(policy, max_stage):
        line, column, path = where.first([["riskTier"]], ["stage"])
        cap = Rule(f"risk-tier:{tier.id}", "stage", f"risk tier {tier.id} allows at most stage '{max_stage}'; "
                   "no waiver can change that")
        results.append(RequirementResult(
            id=MAX_STAGE_ID, kind="max-stage", origin=f"risk-tier:{tier.id}", status="fail",
            reason=f"risk tier '{tier.id}' ({tier.name}) allows at most stage '{tier.max_stage}'; "
                   f"'{stage}' is beyond it and no waiver can change that",
            description=tier.description, file=where.file, line=line, column=column, path=path,
            rule=cap.to_dict()))

    uc_gates = uc.gates.get(stage, [])
    for eff in effective_requirements(policy, uc, stage):
        req = eff.requirement
        waiver, expired = waiver_for(req.id)
        notes: dict[str, Any] = {}
        if eff.replaced is not None and (why := kinds.loosening(eff.replaced, req)) and waiver is None:
            # The validator rejects this (CH032); judge the stricter requirement anyway.
            notes["loosenedOverride"] = (f"the use case's override loosens the requirement ({why}); "
                                         "judged against the stricter one")
            req = eff.replaced
        try:
            outcome: Outcome = kinds.judge(replace(ctx, origin=eff.origin), req)
        except Exception as exc:  # a judge must not take the whole decision down with it
            raise RuntimeError(f"judging requirement '{req.id}' of '{uc.id}': {exc}") from exc
        if needs_clean and outcome.status != "error" and (dirty := _dirty_evidence(view, outcome.evidence)):
            # the policy's lineage.cleanFor: evidence from uncommitted changes cannot be traced to a commit
            outcome = replace(outcome, status="error", rule=Rule(
                "policy", "lineage", f"stage '{stage}' requires evidence from a clean, committed work tree "
                "(lineage.cleanFor)"), command=f"charter run {uc.id} --force",
                reason=f"evidence from a dirty work tree cannot satisfy stage '{stage}' (the policy's "
                       f"lineage.cleanFor): {'; '.join(dirty)}; re-run it from a clean checkout with "
                       f"`charter run {uc.id} --force`", details={**outcome.details, "dirtyEvidence": dirty})
        details = {**outcome.details, **notes}
        for part in details.get("parts") or ():  # waivers a judge applied to one part (a fairness check)
            if isinstance(part, dict) and isinstance(part.get("waiver"), dict):
                applied.setdefault(tuple(part["waiver"].values()), part["waiver"])
        if expired:
            details["expiredWaivers"] = [waiver_dict(w) for w in expired]
        status, reason, waiver_info = outcome.status, outcome.reason, None
        rule: Rule | None = outcome.rule or (fail_closed_rule() if outcome.status == "error" else None)
        if waiver is not None:
            waiver_info = waiver_dict(waiver)
            applied.setdefault(tuple(waiver_info.values()), waiver_info)
            details["underlyingStatus"] = outcome.status
            if rule is not None:
                details["underlyingRule"] = rule.to_dict()
            # say plainly what the waiver covers, so "waived" never sits beside a bare "error: ..."
            would = {"fail": "fail", "error": "be an error", "inconclusive": "be inconclusive"}.get(
                outcome.status, "be waived")
            underlying = ("it would pass without it" if outcome.status == "pass"
                          else f"without it the requirement would {would}: {outcome.reason}")
            status = "waived"
            reason = (f"waived by {waiver.owner} until {waiver.expires} ({waiver.ticket}: {waiver.reason.strip()}); "
                      f"{underlying}")
            was = {"pass": "turns a pass into waived", "fail": "turns a fail into waived",
                   "error": "turns an error into waived", "inconclusive": "turns an inconclusive verdict into waived"}.get(outcome.status, "waives the whole requirement (its "
                                                              "failing parts carry waivers of their own)")
            rule = Rule(f"waiver '{waiver.ticket}'", "waiver",
                        f"waiver {waiver.ticket} by {waiver.owner} until {waiver.expires} {was}")
        elif expired:
            last = max(expired, key=lambda w: w.expires)
            reason += f" (the waiver {last.ticket} expired on {last.expires} and no longer applies)"
        if waiver is None and (refused := [w for w in refused_waivers if w["requirement"] == req.id]):
            reason += f" (the waiver {refused[0]['ticket']} was refused: {refused[0]['problems'][0]})"
            details["refusedWaivers"] = refused
        gate_entry: Loc | None = None
        if eff.origin == "use-case":
            index = next((i for i, r in enumerate(uc_gates) if r.id == req.id or r.id == eff.requirement.id), None)
            gate_entry = ["gates", stage, index] if index is not None else None
        candidates = kinds.locate(Where(uc, policy, where.data, gate_entry), req, outcome)
        line, column, path = where.first(candidates + ([gate_entry] if gate_entry else []), ["stage"])
        results.append(RequirementResult(
            id=eff.requirement.id, kind=req.kind, origin=eff.origin,
            status=status, reason=reason,  # type: ignore[arg-type]
            description=(req.description or "").strip() or None, metric=outcome.metric,
            candidate=outcome.candidate, threshold=outcome.threshold, comparator=outcome.comparator,
            baseline=outcome.baseline, evidence=outcome.evidence, command=outcome.command, waiver=waiver_info,
            details=details, file=where.file, line=line, column=column, path=path,
            rule=rule.to_dict() if rule is not None else None))

    decision_notes = [w for w in getattr(store, "warnings", []) or [] if f"records/{uc.id}/" in w]
    for refused_waiver in refused_waivers:
        decision_notes.append(f"waiver of '{refused_waiver['requirement']}' ({refused_waiver['ticket']}) refused: "
                              f"{refused_waiver['problems'][0]}")
    expired_waivers = []
    for w in uc.waivers:
        if w.expires < today:
            decision_notes.append(f"waiver of '{w.requirement}' ({w.ticket}) expired on {w.expires}")
            expired_waivers.append(waiver_dict(w))
    passed = all(r.status in ("pass", "waived") for r in results)
    return GateDecision(
        use_case=uc.id, stage=stage, passed=passed, requirements=tuple(results), evidence_hash=bundle,
        decided_on=today.isoformat(), declared_stage=uc.stage, risk_tier=uc.risk_tier, notes=tuple(decision_notes),
        applied_waivers=tuple(applied.values()), expired_waivers=tuple(expired_waivers), review_digest=digest,
        refused_waivers=tuple(refused_waivers), ledger_head=_ledger_head(store))


def _ledger_head(store: Any) -> str | None:
    """The repository head of the ledger the store reads (stores without a ledger: None)."""
    head = getattr(store, "ledger_head", None)
    return head if isinstance(head, str) else None
