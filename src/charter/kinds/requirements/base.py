"""What every requirement kind provides, and the judging helpers the kinds share.

A requirement kind is one module holding its spec model, its cross-reference
check, what counts as loosening it, its description for ``diff``, its judge and
the spec element its verdict points at. :class:`RequirementKind` is that module's
entry in the registry (:mod:`charter.kinds.requirements`).

A judge never computes a metric; it reads evidence records and the spec. When a
requirement has several parts (slices, fairness checks, data sources, jobs), each
part is judged on its own (:class:`Part`) and the requirement takes the worst
status: ``fail`` before ``error`` before ``waived`` before ``pass``. Every part
and outcome carries the :class:`Rule` that decided it, so no reporter has to
re-derive why a value passed or failed.

This module is imported while the spec models are built, so it imports nothing
from ``spec.usecase``, ``resolve`` or ``gates`` at runtime.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import BaseModel, ValidationError

from ...evidence.records import Estimate
from ...spec.common import Id, Model, Text

if TYPE_CHECKING:
    from ...gates.evidence import EvidenceView, JobEvidence
    from ...spec.governance import Policy
    from ...spec.usecase import UseCase

Loc = list[str | int]
"""A key path in a spec document, list items by index (``["fairness", 0]``)."""

STATUS_ORDER = {"fail": 0, "error": 1, "waived": 2, "pass": 3}


class RequirementBase(Model):
    """Fields every requirement kind has."""

    id: Id
    """Stable id of the requirement; waivers and overrides refer to it."""
    description: Text | None = None
    """Why the requirement exists, shown next to its decision."""


def fmt(value: float | None) -> str:
    if value is None:
        return "n/a"
    if value == int(value) and abs(value) < 1e12:
        return str(int(value))
    return f"{value:.4g}"


def origin_text(origin: str) -> str:
    """'risk-tier:high' → 'risk tier high': who imposes a requirement, in words."""
    if origin.startswith("risk-tier:"):
        return f"risk tier {origin.split(':', 1)[1]}"
    return {"policy": "the policy", "use-case": "the use case's gate"}.get(origin, origin)


# --- the rule that decided ---------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """The rule that decided a verdict, as data (what reporters print beside the verdict)."""

    source: str
    """Who imposed the deciding rule: 'policy', 'risk-tier:<id>', 'use-case', "fairness check '<id>'",
    'evaluation.threshold', "waiver '<ticket>'", 'fail-closed'."""
    basis: str
    """What was judged: 'point estimate', 'lower bound of the 95 % interval', 'drift share', ..."""
    text: str
    """One sentence: the value judged, the comparison and who required it."""
    comparator: str | None = None
    """'>=' or '<=' when a value was compared with a limit."""
    limit: float | None = None
    value: float | None = None
    """The value judged (the interval bound when the basis is a bound)."""

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"source": self.source, "basis": self.basis}
        if self.comparator is not None:
            d["comparator"] = self.comparator
        if self.limit is not None:
            d["limit"] = self.limit
        if self.value is not None:
            d["value"] = self.value
        d["text"] = self.text
        return d


def fail_closed_rule(what: str = "evidence") -> Rule:
    return Rule("fail-closed", what, f"missing, stale or errored {what} is an error: the gate fails closed")


# --- parts and outcomes ------------------------------------------------------------------


@dataclass
class Part:
    """The judgement of one part of a requirement (a slice, a fairness check, a data source...)."""

    label: str
    status: str
    reason: str
    candidate: float | None = None
    threshold: float | None = None
    comparator: str | None = None
    baseline: float | None = None
    evidence: tuple[str, ...] = ()
    command: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    rule: Rule | None = None
    subject: str | None = None
    """Id of the spec element this part judges (a fairness check, a data source, a job), for locating it."""

    def margin(self) -> float:
        if self.candidate is None or self.threshold is None or self.comparator is None:
            return float("inf")
        return self.candidate - self.threshold if self.comparator == ">=" else self.threshold - self.candidate

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"label": self.label, "status": self.status, "reason": self.reason}
        for key in ("candidate", "threshold", "comparator", "baseline"):
            if getattr(self, key) is not None:
                d[key] = getattr(self, key)
        if self.evidence:
            d["evidence"] = list(self.evidence)
        d.update(self.extra)
        if self.rule is not None:
            d["rule"] = self.rule.to_dict()
        return d


@dataclass
class Outcome:
    status: str
    reason: str
    metric: str | None = None
    candidate: float | None = None
    threshold: float | None = None
    comparator: str | None = None
    baseline: float | None = None
    evidence: tuple[str, ...] = ()
    command: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    rule: Rule | None = None
    subject: str | None = None
    """Id of the spec element that decided (the worst part's), for locating it."""


def combine(parts: list[Part], *, what: str, metric: str | None = None, empty: Outcome | None = None) -> Outcome:
    """The requirement's outcome from its parts: the worst status, the reasons that matter."""
    if not parts:
        return empty or Outcome("pass", f"no {what} to judge", metric=metric)
    for p in parts:
        if p.rule is None and p.status == "error":
            p.rule = fail_closed_rule()  # evidence that cannot be judged: failing closed decided
    ordered = sorted(parts, key=lambda p: (STATUS_ORDER[p.status], p.margin()))
    worst = ordered[0]
    status = worst.status
    evidence = tuple(dict.fromkeys(e for p in parts for e in p.evidence))
    command = next((p.command for p in ordered if p.command and p.status == "error"), None) or worst.command
    bad = [p for p in ordered if p.status != "pass"]
    if len(parts) == 1:
        reason = worst.reason
    elif status == "pass":
        reason = f"all {len(parts)} {what} pass; closest: {worst.label}: {worst.reason}"
    else:
        shown = [f"{p.label}: {p.reason}" if p.label else p.reason for p in bad[:3]]
        more = f"; and {len(bad) - 3} more" if len(bad) > 3 else ""
        ok = len(parts) - len(bad)
        reason = "; ".join(shown) + more + (f" ({ok} of {len(parts)} {what} pass)" if ok else "")
    rule = worst.rule
    if rule is not None and len(parts) > 1:
        rule = replace(rule, text=f"{worst.label}: {rule.text}" if worst.label else rule.text)
    return Outcome(status, reason, metric=metric, candidate=worst.candidate, threshold=worst.threshold,
                   comparator=worst.comparator, baseline=worst.baseline, evidence=evidence, command=command,
                   details={"parts": [p.to_dict() for p in parts]} if len(parts) > 1 else dict(worst.extra),
                   rule=rule, subject=worst.subject)


# --- what a judge reads ------------------------------------------------------------------

WaiverLookup = Callable[[str], tuple[Any, list[Any]]]
"""Requirement or fairness check id → (the valid waiver or None, the expired ones)."""


@dataclass
class Context:
    """What every judge may read; ``origin`` is that of the requirement being judged."""

    repo: Any
    uc: UseCase
    stage: str
    today: dt.date
    view: EvidenceView
    bundle_hash: str
    waiver_for: WaiverLookup
    origin: str = "policy"
    review_digest: str | None = None
    """What an approval for this stage must have approved (:func:`charter.approvals.review_digest`);
    computed once by the decision, else by the approval judge."""

    @property
    def policy(self) -> Policy:
        # decide() refuses a repository without a Policy, so judges always have one
        return self.repo.policy  # type: ignore[no-any-return]

    @property
    def people(self) -> dict[str, Any]:
        org = self.repo.organisation
        return {p.id: p for p in org.people} if org is not None else {}


def unusable(ev: JobEvidence, label: str | None = None) -> Part:
    """The error part for evidence that cannot be judged (missing, stale or errored)."""
    return Part(label if label is not None else f"job '{ev.job}'", "error",
                f"{ev.problem()}: run `{ev.command}`", command=ev.command,
                evidence=(ev.latest.id,) if ev.latest is not None else (), rule=fail_closed_rule(),
                subject=ev.job)


class BadRecord(Exception):
    """A record whose results do not parse as its runner's result model."""


def results_of(ev: JobEvidence, model: type[BaseModel]) -> Any:
    assert ev.record is not None
    try:
        return model.model_validate(ev.record.results)
    except ValidationError as exc:
        first = str(exc).splitlines()[0]
        raise BadRecord(f"the record {ev.record.id[:12]} of job '{ev.job}' has unreadable results ({first})") from None


def waiver_dict(w: Any) -> dict[str, Any]:
    return {"requirement": w.requirement, "stage": w.stage, "owner": w.owner, "reason": w.reason,
            "ticket": w.ticket, "expires": w.expires.isoformat()}


# --- bounds ------------------------------------------------------------------------------

Constraint = tuple[str, float, str]
"""(comparator, limit, where the limit comes from: 'min', 'max', 'evaluation.threshold', 'champion …')."""


def bounds(value: float, constraints: Sequence[Constraint]) -> tuple[bool, Constraint | None]:
    """(all met, the first violated constraint or else the binding one)."""
    failing = [c for c in constraints if not (value >= c[1] if c[0] == ">=" else value <= c[1])]
    if failing:
        return False, failing[0]
    if not constraints:
        return True, None
    return True, min(constraints, key=lambda c: value - c[1] if c[0] == ">=" else c[1] - value)


def judged_value(est: Estimate, use_interval: bool, gib: bool) -> tuple[float | None, str]:
    """The value judged (point estimate, or the pessimistic bound) and how to name it."""
    if not use_interval:
        return est.value, ""
    bound = est.low if gib else est.high
    return bound, "lower bound" if gib else "upper bound"


@dataclass(frozen=True)
class Basis:
    """How a value is judged and who said so (the limit and the interval may come from different places)."""

    use_interval: bool
    limit_from: str
    """Who declared the limits: an origin ('policy', 'risk-tier:high', 'use-case') or "fairness check 'x'"."""
    interval_from: str | None = None
    """Who asked for the interval bound, when not the one that declared the limits."""
    confidence: float | None = None
    """Confidence of the recorded bootstrap interval (from the record)."""


def _interval_words(basis: Basis, gib: bool) -> tuple[str, str]:
    """('upper bound', '95 % interval') for how a value is judged."""
    level = f"{basis.confidence * 100:g} % " if basis.confidence else ""
    return ("lower bound" if gib else "upper bound"), f"{level}interval"


def _basis_name(basis: Basis, gib: bool) -> str:
    if not basis.use_interval:
        return "point estimate"
    bound, interval = _interval_words(basis, gib)
    return f"{bound} of the {interval}"


def _source_words(source: str) -> str:
    if source in ("policy", "use-case") or source.startswith("risk-tier:"):
        return origin_text(source)
    return source


def value_rule(name: str, est: Estimate, value: float, ok: bool, c: Constraint, basis: Basis, gib: bool) -> Rule:
    """The rule for a value compared with a limit, naming the basis and who required it.

    When the limit and the interval come from different rules and only the
    interval bound fails, the interval's rule is the source: that is what decided.
    """
    op, limit, where = c
    symbol = ("≥" if ok else "<") if op == ">=" else ("≤" if ok else ">")
    limit_from = "evaluation.threshold" if where == "evaluation.threshold" else basis.limit_from
    source = limit_from
    if basis.use_interval and basis.interval_from is not None and basis.interval_from != limit_from:
        point_ok = est.value is not None and bounds(est.value, [c])[0]
        if not ok and point_ok:
            source = basis.interval_from
    if basis.use_interval:
        bound, interval = _interval_words(basis, gib)
        head = f"{name} {bound} {fmt(value)} of the {interval}"
    else:
        head = f"{name} {fmt(value)}"
    if where in ("min", "max"):
        why = [f"{where} of {_source_words(limit_from)}"]
    elif where == "evaluation.threshold":
        why = ["the use case's evaluation.threshold"]
    else:
        why = [f"{where}, required by {_source_words(limit_from)}"]
    if basis.use_interval:
        why.append(f"{_source_words(basis.interval_from or limit_from)} requires the interval bound")
        if est.value is not None:
            why.append(f"point estimate {fmt(est.value)}")
    return Rule(source, _basis_name(basis, gib), f"{head} {symbol} {fmt(limit)} ({'; '.join(why)})", op, limit,
                value)


def judge_value(label: str, name: str, est: Estimate | None, constraints: list[Constraint], basis: Basis,
                gib: bool, evidence: tuple[str, ...], available: list[str], baseline: float | None = None,
                subject: str | None = None) -> Part:
    """One value (a metric, a disparity) against its constraints, as a part with its rule."""
    if est is None:
        recorded = ", ".join(sorted(available)) or "none"
        return Part(label, "error", f"{name} is not in the evidence (recorded: {recorded})",
                    evidence=evidence, subject=subject, rule=fail_closed_rule(f"the value of {name}"))
    value, bound_name = judged_value(est, basis.use_interval, gib)
    if est.value is None:
        return Part(label, "error", f"{name} is undefined: {est.reason or 'no reason recorded'}", evidence=evidence,
                    subject=subject, rule=fail_closed_rule(f"the value of {name}"))
    if value is None:
        return Part(label, "error", f"{name} has no bootstrap interval to judge its {bound_name}; "
                    "set the job's bootstrap.replicates above 0", evidence=evidence, subject=subject,
                    rule=fail_closed_rule(f"the interval of {name}"))
    ok, c = bounds(value, constraints)
    what = f"{name} {bound_name} {fmt(value)} (estimate {fmt(est.value)})" if bound_name else f"{name} {fmt(value)}"
    extra = {"estimate": est.value, "low": est.low, "high": est.high}
    if c is None:
        rule = Rule(basis.limit_from, _basis_name(basis, gib), f"{what}: no limit applies", value=value)
        return Part(label, "pass", what, candidate=value, evidence=evidence, extra=extra, rule=rule, subject=subject)
    op, limit, source = c
    if ok:
        reason = f"{what} {'≥' if op == '>=' else '≤'} {fmt(limit)} ({source})"
    elif source.startswith("champion"):
        reason = f"{what} does not beat the champion's {fmt(baseline)} enough: needs {op} {fmt(limit)} ({source})"
    else:
        reason = f"{what} is {'below the minimum' if op == '>=' else 'above the maximum'} {fmt(limit)}"
    return Part(label, "pass" if ok else "fail", reason, candidate=value, threshold=limit, comparator=op,
                baseline=baseline, evidence=evidence, extra=extra, rule=value_rule(name, est, value, ok, c, basis, gib),
                subject=subject)


# --- the registry entry ------------------------------------------------------------------


class Checker(Protocol):
    """What a kind's cross-reference check may use of the validator (``loading.crossref``)."""

    people: dict[str, Any]
    people_complete: bool
    """False when the organisation file lost people to shape errors (counts of role holders would be wrong)."""
    roles: set[str]
    max_level: dict[str, int]

    def err(self, code: str, loc: Loc, message: str, hint: str | None = None, *, severity: str = "error",
            at_key: bool = False) -> None: ...

    def ref(self, loc: Loc, value: str, known_ids: Any, what: str) -> bool: ...

    def metric_name(self, loc: Loc, name: str, uc: UseCase | None) -> bool: ...

    def bounds(self, loc: Loc, name: str, lo: float | None, hi: float | None, info: Any) -> None: ...


@dataclass(frozen=True)
class Where:
    """What a kind needs to say which spec element its verdict points at."""

    uc: UseCase
    policy: Policy
    data: Any
    """The use case document as parsed YAML (to test which keys exist)."""
    gate_entry: Loc | None
    """The use case's own `gates` entry for this requirement, when it has one."""


@dataclass(frozen=True)
class RequirementKind:
    """One requirement kind: everything any layer needs to know about it."""

    name: str
    """The `kind:` value in the spec."""
    model: type[BaseModel]
    judge: Callable[[Context, Any], Outcome]
    crossref: Callable[[Checker, Loc, Any, "UseCase | None"], None]
    """Checks references the shape cannot (metric names, roles, processes); reports through the checker."""
    loosening: Callable[[Any, Any], str | None]
    """Why an override (second) is looser than a base (first) of this kind, or None."""
    describe: Callable[[Any], str]
    """A short description for `diff` ('roc_auc ≥ 0.8 on region=*')."""
    locate: Callable[[Where, Any, Outcome], list[Loc]]
    """Candidate spec paths of the element the verdict points at, best first; the first that exists is used."""


# --- locating spec elements --------------------------------------------------------------


def item_loc(data: Any, key: str, item_id: str | None, id_key: str = "id") -> Loc | None:
    """``[key, i]`` of the list item whose ``id_key`` is item_id in a parsed document."""
    items = data.get(key) if isinstance(data, dict) else None
    if item_id is None or not isinstance(items, list):
        return None
    index = next((i for i, x in enumerate(items) if isinstance(x, dict) and x.get(id_key) == item_id), None)
    return [key, index] if index is not None else None


def job_locs(where: Where, runner: str, job_id: str | None) -> list[Loc]:
    """The named job, else the first job of the runner, else the `jobs:` key (where one is missing)."""
    out = [loc for loc in (item_loc(where.data, "jobs", job_id),) if loc is not None]
    first = next((j.id for j in where.uc.jobs if j.runner == runner), None)
    if first is not None and (loc := item_loc(where.data, "jobs", first)) is not None:
        out.append(loc)
    return out + [["jobs"]]
