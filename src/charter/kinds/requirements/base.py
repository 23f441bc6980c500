"""What every requirement kind provides, and the judging helpers the kinds share.

A requirement kind is one module holding its spec model, its cross-reference
check, what counts as loosening it, its description for ``diff``, its judge and
the spec element its verdict points at. :class:`RequirementKind` is that module's
entry in the registry (:mod:`charter.kinds.requirements`).

A judge never computes a metric; it reads evidence records and the spec. When a
requirement has several parts (slices, fairness checks, data sources, jobs), each
part is judged on its own (:class:`Part`) and the requirement takes the worst
status: ``fail`` before ``error`` before ``inconclusive`` before ``waived`` before
``pass``. Every part
and outcome carries the :class:`Rule` that decided it, so no reporter has to
re-derive why a value passed or failed.

This module is imported while the spec models are built, so it imports nothing
from ``spec.usecase``, ``resolve`` or ``gates`` at runtime.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal, Protocol

from pydantic import BaseModel, Field, ValidationError

from ...evidence.records import Estimate
from ...spec.common import Id, Model, Number, Text

if TYPE_CHECKING:
    from ...gates.evidence import EvidenceView, JobEvidence
    from ...spec.governance import Policy
    from ...spec.usecase import UseCase

Loc = list[str | int]
"""A key path in a spec document, list items by index (``["fairness", 0]``)."""

STATUS_ORDER = {"fail": 0, "error": 1, "inconclusive": 2, "waived": 3, "pass": 4}
BLOCKING = ("fail", "error", "inconclusive")
"""Statuses that stop a gate: an inconclusive verdict fails closed."""

InconclusiveHandling = Literal["fail-closed", "decide"]
MultipleComparisons = Literal["none", "benjamini-hochberg"]


class RequirementBase(Model):
    """Fields every requirement kind has."""

    id: Id
    """Stable id of the requirement; waivers and overrides refer to it."""
    description: Text | None = None
    """Why the requirement exists, shown next to its decision."""


class VerdictOptions(Model):
    """How a requirement judged on an interval treats a comparison the data cannot decide (mixed into the kinds)."""

    inconclusive: InconclusiveHandling | None = None
    """When the interval straddles the limit: `fail-closed` (status `inconclusive`, the gate fails) or `decide`
    (the point estimate, or the interval bound with `useInterval`, decides pass or fail). Default: the policy's
    `verdicts.inconclusive`."""
    multiple_comparisons: MultipleComparisons | None = None
    """`benjamini-hochberg`: control the false discovery rate of the fail verdicts over the requirement's
    comparisons (its slices, the groups of its fairness checks). Default: the policy's `verdicts.multipleComparisons`."""
    fdr: Number | None = Field(default=None, gt=0, lt=1)
    """The false discovery rate q for `benjamini-hochberg`. Default: the policy's `verdicts.fdr`."""


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
    inconclusive: str = "fail-closed"
    """A straddling interval: 'fail-closed' (status inconclusive) or 'decide' (the basis decides)."""
    inconclusive_from: str = "policy"
    """Who chose that handling: the requirement's origin, or 'policy' (its `verdicts` default)."""


@dataclass(frozen=True)
class Verdicts:
    """A requirement's verdict settings: its own, else the policy's `verdicts` defaults."""

    inconclusive: str
    inconclusive_from: str
    multiple_comparisons: str
    fdr: float
    fdr_from: str


def verdict_settings(ctx: Context, r: Any) -> Verdicts:
    """The requirement's `inconclusive`, `multipleComparisons` and `fdr`, falling back to the policy's."""
    from ...spec.governance import verdict_settings as policy_verdicts

    pol = policy_verdicts(ctx.policy)
    own_inc = getattr(r, "inconclusive", None)
    own_mc = getattr(r, "multiple_comparisons", None)
    own_q = getattr(r, "fdr", None)
    return Verdicts(own_inc or pol.inconclusive, ctx.origin if own_inc else "policy",
                    own_mc or pol.multiple_comparisons, float(own_q if own_q is not None else pol.fdr),
                    ctx.origin if (own_mc or own_q is not None) else "policy")


def verdict_loosening(base: Any, override: Any) -> str | None:
    """An override that lets the point estimate (or bound) decide where the base fails closed is looser."""
    if getattr(base, "inconclusive", None) == "fail-closed" and getattr(override, "inconclusive", None) == "decide":
        return "it lets the basis decide a straddling interval where the policy fails closed (inconclusive: decide)"
    return None


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


def _interval_of(est: Estimate) -> tuple[float, float] | None:
    lo, hi = est.low, est.high
    if lo is None or hi is None or lo != lo or hi != hi:
        return None
    return lo, hi


def three_way(est: Estimate, constraints: Sequence[Constraint]) -> tuple[str, Constraint] | None:
    """('pass' | 'fail' | 'inconclusive', the deciding constraint) from the interval, or None without one."""
    from ...metrics.multiple import classify

    interval = _interval_of(est)
    if interval is None or not constraints:
        return None
    judged = [(classify(interval[0], interval[1], c[0], c[1]), c) for c in constraints]
    for wanted in ("fail", "inconclusive"):
        hit = next((c for v, c in judged if v == wanted), None)
        if hit is not None:
            return wanted, hit
    assert est.value is not None
    return "pass", min(constraints, key=lambda c: est.value - c[1] if c[0] == ">=" else c[1] - est.value)  # type: ignore[operator]


def _interval_text(basis: Basis, lo: float, hi: float) -> str:
    level = f"{basis.confidence * 100:g} % " if basis.confidence else ""
    return f"the {level}interval [{fmt(lo)}, {fmt(hi)}]"


def judge_value(label: str, name: str, est: Estimate | None, constraints: list[Constraint], basis: Basis,
                gib: bool, evidence: tuple[str, ...], available: list[str], baseline: float | None = None,
                subject: str | None = None, rows: int | None = None) -> Part:
    """One value (a metric, a disparity) against its constraints, as a part with its rule.

    With an interval the verdict has three outcomes: the whole interval passing
    (``pass``), the whole interval failing (``fail``), or straddling a limit
    (``inconclusive``: status ``inconclusive`` when the basis fails closed, else the
    point estimate or bound decides and the part says it was inconclusive). ``rows``
    (the rows behind the value) gives how many more rows would decide.
    """
    from ...metrics.multiple import rows_to_decide, violation_p_value

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
    extra: dict[str, Any] = {"estimate": est.value, "low": est.low, "high": est.high}
    if rows is not None:
        extra["rows"] = rows
    if c is None:
        rule = Rule(basis.limit_from, _basis_name(basis, gib), f"{what}: no limit applies", value=value)
        return Part(label, "pass", what, candidate=value, evidence=evidence, extra=extra, rule=rule, subject=subject)
    three = three_way(est, constraints)
    interval = _interval_of(est)
    if three is not None and interval is not None:
        verdict, decisive = three
        extra["verdict"] = verdict
        extra["pValue"] = violation_p_value(est.value, interval[0], interval[1], decisive[0], decisive[1],
                                            basis.confidence or 0.95)
        extra["limit"], extra["comparator"] = decisive[1], decisive[0]
        if verdict == "inconclusive":
            c, ok = decisive, bounds(value, [decisive])[0]
            more = rows_to_decide(rows or 0, est.value, interval[0], interval[1], decisive[1]) if rows else None
            extra["rowsToDecide"] = more
            if basis.inconclusive != "decide":
                return _inconclusive_part(label, name, est, value, decisive, basis, gib, evidence, extra, baseline,
                                          subject, more)
            extra["inconclusive"] = True
        elif verdict == "fail" and ok:  # the basis passes a constraint the whole interval fails: trust the interval
            ok, c = False, decisive
    op, limit, source = c
    if ok:
        reason = f"{what} {'≥' if op == '>=' else '≤'} {fmt(limit)} ({source})"
    elif source.startswith("champion"):
        reason = f"{what} does not beat the champion's {fmt(baseline)} enough: needs {op} {fmt(limit)} ({source})"
    else:
        reason = f"{what} is {'below the minimum' if op == '>=' else 'above the maximum'} {fmt(limit)}"
    rule = value_rule(name, est, value, ok, c, basis, gib)
    if interval is not None and three is not None:
        span = _interval_text(basis, *interval)
        if extra.get("inconclusive"):
            more = extra.get("rowsToDecide")
            reason += f"; {span} straddles the limit, so the {_basis_name(basis, gib)} decided"
            rule = replace(rule, text=rule.text + f"; {span} straddles {fmt(limit)}: inconclusive, and "
                           f"{_source_words(basis.inconclusive_from)} lets the {_basis_name(basis, gib)} decide "
                           "(inconclusive: decide)" + (f"; about {more:,} more rows would decide" if more else ""))
        elif three[0] == "pass" and ok:
            rule = replace(rule, text=rule.text + f"; {span} lies wholly within the limit")
        elif three[0] == "fail" and not ok:
            rule = replace(rule, text=rule.text + f"; {span} lies wholly beyond the limit")
    return Part(label, "pass" if ok else "fail", reason, candidate=value, threshold=limit, comparator=op,
                baseline=baseline, evidence=evidence, extra=extra, rule=rule, subject=subject)


INCONCLUSIVE_INTERVAL = "inconclusive: the interval straddles the limit"


def _inconclusive_part(label: str, name: str, est: Estimate, value: float, c: Constraint, basis: Basis, gib: bool,
                       evidence: tuple[str, ...], extra: dict[str, Any], baseline: float | None,
                       subject: str | None, more: int | None) -> Part:
    """The fail-closed part of a comparison whose interval straddles its limit."""
    op, limit, where = c
    interval = _interval_of(est)
    assert interval is not None and est.value is not None
    span = _interval_text(basis, *interval)
    symbol = "≥" if op == ">=" else "≤"
    needs = ("about {:,} more rows would decide at the current effect size (approximate)".format(more) if more
             else "no number of rows decides while the estimate sits on the limit" if est.value == limit
             else "more rows would decide")
    reason = (f"{name} {fmt(est.value)}: {span} straddles the limit {symbol} {fmt(limit)} "
              f"({where if where not in ('min', 'max') else where + ' of ' + _source_words(basis.limit_from)}); "
              f"inconclusive: {needs}")
    text = (f"{name} {span} straddles {symbol} {fmt(limit)} (point estimate {fmt(est.value)}): the data cannot tell, "
            f"and {_source_words(basis.inconclusive_from)} fails an inconclusive verdict closed; {needs}")
    rule = Rule(basis.inconclusive_from, INCONCLUSIVE_INTERVAL, text, op, limit, value)
    return Part(label, "inconclusive", reason, candidate=value, threshold=limit, comparator=op, baseline=baseline,
                evidence=evidence, extra=extra, rule=rule, subject=subject)


def control_fdr(parts: list[Part], settings: Verdicts, basis: Basis | None = None) -> dict[str, Any] | None:
    """Benjamini–Hochberg over the parts' comparisons (those with a p-value), when the settings ask for it.

    A fail verdict stands only when its adjusted p-value is at most q; one that is
    not a discovery becomes inconclusive (failing closed unless the basis decides,
    when it stays a fail). Every part records its raw and adjusted p-values; the
    summary returned goes into the requirement's details.
    """
    from ...metrics.multiple import BH, benjamini_hochberg, rows_for_p

    if settings.multiple_comparisons != BH:
        return None
    judged = [p for p in parts if isinstance(p.extra.get("pValue"), float)]
    if not judged:
        return {"method": BH, "q": settings.fdr, "comparisons": 0, "source": settings.fdr_from}
    adjusted = benjamini_hochberg([p.extra["pValue"] for p in judged])
    m = len(judged)
    order = sorted(range(m), key=lambda i: judged[i].extra["pValue"])
    rank = {i: r + 1 for r, i in enumerate(order)}
    for i, (p, adj) in enumerate(zip(judged, adjusted, strict=True)):
        p.extra["adjustedPValue"] = adj
        if p.status != "fail" or p.extra.get("verdict") != "fail" or adj <= settings.fdr:
            continue
        p.extra["verdict"] = "inconclusive"
        p.extra["notDiscovery"] = True
        rows = p.extra.get("rows")
        more = rows_for_p(rows, p.extra["pValue"], settings.fdr * rank[i] / m) if isinstance(rows, int) else None
        p.extra["rowsToDecide"] = more
        needs = (f"about {more:,} more rows would decide at the current effect size (approximate)" if more
                 else "more rows would decide")
        why = (f"its Benjamini–Hochberg adjusted p-value {adj:.3g} exceeds q = {settings.fdr:g} over {m} "
               f"comparisons (raw {p.extra['pValue']:.3g}), so the violation is not a discovery")
        if basis is not None and basis.inconclusive == "decide":
            p.extra["inconclusive"] = True
            if p.rule is not None:
                p.rule = replace(p.rule, text=p.rule.text + f"; {why}, and the basis decided (inconclusive: decide)")
            continue
        p.status = "inconclusive"
        p.reason = f"{p.reason}; inconclusive: {why}; {needs}"
        p.rule = Rule(settings.fdr_from, "inconclusive: not a discovery at the false discovery rate",
                      f"{why}: inconclusive, failing closed; {needs}", p.comparator, p.threshold, p.candidate)
    return {"method": BH, "q": settings.fdr, "comparisons": m, "source": settings.fdr_from,
            "pValues": [{"label": p.label, "raw": p.extra["pValue"], "adjusted": p.extra["adjustedPValue"]}
                        for p in judged]}


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
