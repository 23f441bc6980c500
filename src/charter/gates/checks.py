"""One judge per requirement kind: evidence and spec in, an :class:`Outcome` out.

A judge never computes a metric; it reads evidence records and the spec. When a
requirement has several parts (slices, fairness checks, data sources, jobs), each
part is judged on its own (:class:`Part`) and the requirement takes the worst
status: ``fail`` before ``error`` before ``waived`` before ``pass``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from pydantic import BaseModel, ValidationError

from ..evidence.records import DataContractResult, DriftResult, Estimate, EvaluateResult, FairnessResult
from ..resolve import effective_fairness_checks, greater_is_better, primary_metric_name
from ..spec.requirements import (
    ApprovalRequirement,
    DataContractRequirement,
    DefinitionRequirement,
    DocumentationRequirement,
    DriftRequirement,
    EvidenceRequirement,
    FairnessRequirement,
    MaturityRequirement,
    MetricRequirement,
)
from ..spec.usecase import CARD_FIELDS, Card, UseCase
from .evidence import EvidenceView, JobEvidence

_ORDER = {"fail": 0, "error": 1, "waived": 2, "pass": 3}


def fmt(value: float | None) -> str:
    if value is None:
        return "n/a"
    if value == int(value) and abs(value) < 1e12:
        return str(int(value))
    return f"{value:.4g}"


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


@dataclass
class Context:
    """What every judge may read."""

    repo: Any
    uc: UseCase
    stage: str
    today: dt.date
    view: EvidenceView
    bundle_hash: str
    waiver_for: Any  # callable(requirement id) -> (valid waiver | None, expired waivers)

    @property
    def policy(self) -> Any:
        return self.repo.policy

    @property
    def people(self) -> dict[str, Any]:
        org = self.repo.organisation
        return {p.id: p for p in org.people} if org is not None else {}


def combine(parts: list[Part], *, what: str, metric: str | None = None, empty: Outcome | None = None) -> Outcome:
    """The requirement's outcome from its parts: the worst status, the reasons that matter."""
    if not parts:
        return empty or Outcome("pass", f"no {what} to judge", metric=metric)
    ordered = sorted(parts, key=lambda p: (_ORDER[p.status], p.margin()))
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
    return Outcome(status, reason, metric=metric, candidate=worst.candidate, threshold=worst.threshold,
                   comparator=worst.comparator, baseline=worst.baseline, evidence=evidence, command=command,
                   details={"parts": [p.to_dict() for p in parts]} if len(parts) > 1 else dict(worst.extra))


def _unusable(ev: JobEvidence, label: str | None = None) -> Part:
    return Part(label if label is not None else f"job '{ev.job}'", "error",
                f"{ev.problem()}: run `{ev.command}`", command=ev.command,
                evidence=(ev.latest.id,) if ev.latest is not None else ())


def _results(ev: JobEvidence, model: type[BaseModel]) -> Any:
    assert ev.record is not None
    try:
        return model.model_validate(ev.record.results)
    except ValidationError as exc:
        first = str(exc).splitlines()[0]
        raise _BadRecord(f"the record {ev.record.id[:12]} of job '{ev.job}' has unreadable results ({first})") from None


class _BadRecord(Exception):
    pass


# --- bounds -----------------------------------------------------------------------------


def _bounds(value: float, constraints: list[tuple[str, float, str]]) -> tuple[bool, tuple[str, float, str] | None]:
    """(all met, the first violated constraint or else the binding one)."""
    failing = [c for c in constraints if not (value >= c[1] if c[0] == ">=" else value <= c[1])]
    if failing:
        return False, failing[0]
    if not constraints:
        return True, None
    return True, min(constraints, key=lambda c: value - c[1] if c[0] == ">=" else c[1] - value)


def _judged(est: Estimate, use_interval: bool, gib: bool) -> tuple[float | None, str]:
    """The value judged (point estimate, or the pessimistic bound) and how to name it."""
    if not use_interval:
        return est.value, ""
    bound = est.low if gib else est.high
    return bound, "lower bound" if gib else "upper bound"


def _judge_value(label: str, name: str, est: Estimate | None, constraints: list[tuple[str, float, str]],
                 use_interval: bool, gib: bool, evidence: tuple[str, ...], available: list[str],
                 baseline: float | None = None) -> Part:
    if est is None:
        recorded = ", ".join(sorted(available)) or "none"
        return Part(label, "error", f"{name} is not in the evidence (recorded: {recorded})",
                    evidence=evidence)
    value, bound_name = _judged(est, use_interval, gib)
    if est.value is None:
        return Part(label, "error", f"{name} is undefined: {est.reason or 'no reason recorded'}", evidence=evidence)
    if value is None:
        return Part(label, "error", f"{name} has no bootstrap interval to judge its {bound_name}; "
                    "set the job's bootstrap.replicates above 0", evidence=evidence)
    ok, c = _bounds(value, constraints)
    what = f"{name} {bound_name} {fmt(value)} (estimate {fmt(est.value)})" if bound_name else f"{name} {fmt(value)}"
    extra = {"estimate": est.value, "low": est.low, "high": est.high}
    if c is None:
        return Part(label, "pass", what, candidate=value, evidence=evidence, extra=extra)
    op, limit, source = c
    if ok:
        reason = f"{what} {'≥' if op == '>=' else '≤'} {fmt(limit)} ({source})"
    elif source.startswith("champion"):
        reason = f"{what} does not beat the champion's {fmt(baseline)} enough: needs {op} {fmt(limit)} ({source})"
    else:
        reason = f"{what} is {'below the minimum' if op == '>=' else 'above the maximum'} {fmt(limit)}"
    return Part(label, "pass" if ok else "fail", reason, candidate=value, threshold=limit, comparator=op,
                baseline=baseline, evidence=evidence, extra=extra)


# --- judges -----------------------------------------------------------------------------


def judge_definition(ctx: Context, r: DefinitionRequirement) -> Outcome:
    gaps = ctx.uc.definition_gaps()
    if r.need_for_ai and ctx.uc.need_for_ai is None:
        gaps = [*gaps, "needForAi"]
    if not gaps:
        return Outcome("pass", "the five definition questions are answered"
                       + (", and why AI rather than something simpler" if r.need_for_ai else ""))
    return Outcome("fail", f"unanswered definition questions: {', '.join(gaps)}; add them to the spec",
                   details={"missing": gaps})


def _slice_targets(res: EvaluateResult, spec: str | None) -> list[tuple[str, dict[str, Estimate] | None, str | None]]:
    """(label, metrics, problem) for each slice a requirement names."""
    if spec is None:
        return [("overall", res.metrics, None)]
    if spec == "*":
        if not res.slices:
            return [("*", None, "the evaluation has no slices; list slice columns under the evaluate job's `slices`")]
        return [(f"{col}={val}", block.metrics, None) for col, vals in sorted(res.slices.items())
                for val, block in sorted(vals.items())]
    col, _, val = spec.partition("=")
    col, val = col.strip(), val.strip()
    if col not in res.slices:
        by = ", ".join(sorted(res.slices)) or "nothing"
        return [(spec, None, f"the evaluation has no slices by '{col}' (sliced by: {by}); "
                 "list it under the evaluate job's `slices`")]
    if val == "*":
        return [(f"{col}={v}", block.metrics, None) for v, block in sorted(res.slices[col].items())]
    if val not in res.slices[col]:
        values = ", ".join(sorted(res.slices[col]))
        return [(spec, None, f"no slice '{spec}' in the evaluation (values of '{col}': {values})")]
    return [(spec, res.slices[col][val].metrics, None)]


def judge_metric(ctx: Context, r: MetricRequirement) -> Outcome:
    name = primary_metric_name(ctx.uc, r.metric)
    gib = greater_is_better(name)
    jobs = ctx.view.by_runner("evaluate")
    if not jobs:
        return Outcome("error", "no evaluate job is declared: add a job with `runner: evaluate` so the metric is "
                       "measured", metric=name)
    relative = r.min_absolute_change is not None or r.min_relative_change is not None
    parts: list[Part] = []
    for ev in jobs:
        prefix = f"job '{ev.job}' " if len(jobs) > 1 else ""
        if not ev.usable:
            parts.append(_unusable(ev, prefix.strip()))
            continue
        evidence = (ev.record.id,)  # type: ignore[union-attr]
        try:
            res: EvaluateResult = _results(ev, EvaluateResult)
        except _BadRecord as exc:
            parts.append(Part(prefix.strip(), "error", str(exc), evidence=evidence))
            continue
        constraints: list[tuple[str, float, str]] = []
        if r.min is not None:
            constraints.append((">=", r.min, "min"))
        if r.max is not None:
            constraints.append(("<=", r.max, "max"))
        if not constraints and not relative and r.metric == "primary" and ctx.uc.evaluation is not None:
            # `metric: primary` with no bound: the use case's own declared threshold
            constraints.append((">=" if gib else "<=", ctx.uc.evaluation.threshold, "evaluation.threshold"))
        baseline = None
        if relative:
            if r.slice is not None:
                parts.append(Part(prefix.strip(), "error", "the champion's metrics are recorded overall only; "
                                  "a relative requirement cannot name a slice", evidence=evidence))
                continue
            champ = (res.champion or {}).get(name)
            if champ is None or champ.value is None:
                parts.append(Part(prefix.strip(), "error",
                                  f"no champion {name} in the evaluation: declare the production model's predictions "
                                  f"under the evaluate job's `champion` and run `charter run {ctx.uc.id}`",
                                  evidence=evidence, command=f"charter run {ctx.uc.id}"))
                continue
            baseline = champ.value
            op = ">=" if gib else "<="
            sign = 1 if gib else -1
            if r.min_absolute_change is not None:
                constraints.append((op, baseline + sign * r.min_absolute_change,
                                    f"champion {fmt(baseline)} {'+' if gib else '−'} "
                                    f"minAbsoluteChange {fmt(r.min_absolute_change)}"))
            if r.min_relative_change is not None:
                constraints.append((op, baseline + sign * r.min_relative_change * abs(baseline),
                                    f"champion {fmt(baseline)} {'+' if gib else '−'} "
                                    f"minRelativeChange {fmt(r.min_relative_change * 100)} %"))
        for label, metrics, problem in _slice_targets(res, r.slice):
            full = (prefix + ("" if label == "overall" else label)).strip()
            if problem is not None:
                parts.append(Part(full, "error", problem, evidence=evidence))
                continue
            assert metrics is not None
            part = _judge_value(full, name, metrics.get(name), constraints, r.use_interval, gib, evidence,
                                list(metrics), baseline)
            parts.append(part)
    what = "slices" if r.slice else "evaluations"
    return combine(parts, what=what, metric=name)


def judge_fairness(ctx: Context, r: FairnessRequirement) -> Outcome:
    checks = effective_fairness_checks(ctx.policy, ctx.uc) if ctx.policy is not None else list(ctx.uc.fairness)
    if r.check is not None:
        checks = [c for c in checks if c.id == r.check]
        if not checks:
            return Outcome("error", f"the use case has no fairness check '{r.check}'")
    if not checks:
        return Outcome("pass", "no fairness check applies: the use case declares no sensitive attributes")
    jobs = ctx.view.by_runner("fairness")
    if not jobs:
        return Outcome("error", "no fairness job is declared: add a job with `runner: fairness` so disparities are "
                       "measured")
    if not any(ev.usable for ev in jobs):  # one message per job, not one per check
        return combine([_unusable(ev, f"job '{ev.job}'" if len(jobs) > 1 else "") for ev in jobs], what="fairness jobs")
    min_group = ctx.policy.fairness.min_group_size if ctx.policy is not None else 30
    parts: list[Part] = []
    for check in checks:
        use_interval = r.use_interval if r.use_interval is not None else check.use_interval
        constraints: list[tuple[str, float, str]] = []
        if check.min is not None:
            constraints.append((">=", check.min, "min"))
        if check.max is not None:
            constraints.append(("<=", check.max, "max"))
        wanted = set(check.sensitive_attributes)
        found: list[Part] = []
        problems: list[Part] = []
        for ev in jobs:
            if not ev.usable:
                problems.append(_unusable(ev, check.id))
                continue
            evidence = (ev.record.id,)  # type: ignore[union-attr]
            try:
                res: FairnessResult = _results(ev, FairnessResult)
            except _BadRecord as exc:
                problems.append(Part(check.id, "error", str(exc), evidence=evidence))
                continue
            block = next((a for a in res.results if set(a.attributes) == wanted), None)
            if block is None:
                examined = ["×".join(a.attributes) for a in res.results]
                problems.append(Part(check.id, "error",
                                     f"job '{ev.job}' has no result for {' × '.join(check.sensitive_attributes)} "
                                     f"(it examined: {', '.join(examined) or 'nothing'}); add the attribute to the "
                                     "fairness job's `sensitiveAttributes`", evidence=evidence))
                continue
            gib = greater_is_better(check.metric)
            part = _judge_value(check.id, check.metric, block.disparities.get(check.metric), constraints, use_interval,
                                gib, evidence, list(block.disparities))
            small = [{"group": g.label, "n": g.n} for g in block.groups if g.small]
            part.extra.update({"metric": check.metric, "attributes": list(check.sensitive_attributes),
                               "useInterval": use_interval, "smallGroups": small,
                               "groups": [{"group": g.label, "n": g.n} for g in block.groups]})
            if small:
                shown = ", ".join(f"{s['group']} (n={s['n']})" for s in small[:5])
                part.reason += f"; small groups below {res.min_group_size or min_group}: {shown}"
            found.append(part)
        parts.extend(found if found else problems[:1])
        if found and problems:
            parts.extend(problems)
    waived_parts = []
    for p in parts:
        waiver, expired = ctx.waiver_for(p.label)
        if waiver is not None:
            p = replace(p, status="waived", reason=f"{p.reason} — waived by {waiver.owner} until {waiver.expires} "
                        f"({waiver.ticket})", extra={**p.extra, "waiver": waiver_dict(waiver)})
        elif expired:
            last = max(expired, key=lambda w: w.expires)
            p = replace(p, reason=f"{p.reason} (the waiver {last.ticket} expired on {last.expires} and no longer "
                        "applies)", extra={**p.extra, "expiredWaivers": [waiver_dict(w) for w in expired]})
        waived_parts.append(p)
    out = combine(waived_parts, what="fairness checks")
    if len(waived_parts) == 1:
        out.metric = waived_parts[0].extra.get("metric")
        out.details = {"parts": [waived_parts[0].to_dict()]}
    return out


def judge_data_contract(ctx: Context, r: DataContractRequirement) -> Outcome:
    uc = ctx.uc
    sources = list(r.data) if r.data else [d.id for d in uc.data if d.contract is not None]
    if not sources:
        return Outcome("fail", "no data source declares a contract: add `contract:` (columns, types, ranges) to the "
                       "data sources")
    jobs = ctx.view.by_runner("data-contract")
    parts: list[Part] = []
    for source in sources:
        covering = []
        for ev in jobs:
            spec = uc.job(ev.job)
            covered = spec.data if spec is not None and spec.data is not None else [d.id for d in uc.data if d.contract]
            if source in covered:
                covering.append(ev)
        if not covering:
            parts.append(Part(source, "error", f"no data-contract job validates '{source}': add a job with "
                              "`runner: data-contract`"))
            continue
        for ev in covering:
            if not ev.usable:
                parts.append(_unusable(ev, source))
                continue
            evidence = (ev.record.id,)  # type: ignore[union-attr]
            try:
                res: DataContractResult = _results(ev, DataContractResult)
            except _BadRecord as exc:
                parts.append(Part(source, "error", str(exc), evidence=evidence))
                continue
            entry = next((s for s in res.sources if s.data == source), None)
            if entry is None:
                parts.append(Part(source, "error", f"job '{ev.job}' recorded no result for '{source}'",
                                  evidence=evidence))
            elif entry.passed:
                rows = f"{entry.rows:,} rows" if entry.rows is not None else "the file"
                parts.append(Part(source, "pass", f"{rows} passed the contract", evidence=evidence,
                                  extra={"rows": entry.rows}))
            else:
                failures = [f"{f.column + ': ' if f.column else ''}{f.check} ({f.failures:,} rows)"
                            for f in entry.failures]
                shown = "; ".join(failures[:5]) + (f"; and {len(failures) - 5} more" if len(failures) > 5 else "")
                parts.append(Part(source, "fail", f"the contract failed: {shown or 'no detail recorded'}",
                                  evidence=evidence,
                                  extra={"failures": [f.model_dump(mode="json") for f in entry.failures]}))
    return combine(parts, what="data sources")


def judge_drift(ctx: Context, r: DriftRequirement) -> Outcome:
    jobs = ctx.view.by_runner("drift")
    if not jobs:
        return Outcome("error", "no drift job is declared: add a job with `runner: drift` comparing current data "
                       "with the training reference")
    parts: list[Part] = []
    for ev in jobs:
        label = f"job '{ev.job}'" if len(jobs) > 1 else ""
        if not ev.usable:
            parts.append(_unusable(ev, label))
            continue
        evidence = (ev.record.id,)  # type: ignore[union-attr]
        try:
            res: DriftResult = _results(ev, DriftResult)
        except _BadRecord as exc:
            parts.append(Part(label, "error", str(exc), evidence=evidence))
            continue
        drifted = [f.name for f in res.features if f.drifted]
        schema = {k: v for k, v in res.schema_changes.items() if v}
        breaking = {k: v for k, v in schema.items() if k in ("removed", "retyped")}
        extra = {"driftShare": res.drift_share, "drifted": drifted, "schemaChanges": schema,
                 "reference": res.reference, "current": res.current}
        share = f"drift share {fmt(res.drift_share)} ({len(drifted)} of {len(res.features)} features drifted" + \
                (f": {', '.join(drifted[:5])}{'…' if len(drifted) > 5 else ''})" if drifted else ")")
        if breaking:
            desc = "; ".join(f"{k}: {', '.join(str(c) for c in v)}" for k, v in breaking.items())
            parts.append(Part(label, "fail", f"the schema changed between reference and current data ({desc})",
                              candidate=res.drift_share, threshold=r.max_drift_share, comparator="<=",
                              evidence=evidence, extra=extra))
        elif res.drift_share > r.max_drift_share:
            parts.append(Part(label, "fail", f"{share} is above the maximum {fmt(r.max_drift_share)}",
                              candidate=res.drift_share, threshold=r.max_drift_share, comparator="<=",
                              evidence=evidence, extra=extra))
        else:
            parts.append(Part(label, "pass", f"{share} ≤ {fmt(r.max_drift_share)}", candidate=res.drift_share,
                              threshold=r.max_drift_share, comparator="<=", evidence=evidence, extra=extra))
    return combine(parts, what="drift reports")


def judge_maturity(ctx: Context, r: MaturityRequirement) -> Outcome:
    if ctx.uc.maturity is None:
        return Outcome("fail", f"the use case declares no maturity levels; add `maturity:` with '{r.process}' "
                       f"at level {r.min_level} or more", threshold=r.min_level, comparator=">=")
    level = ctx.uc.maturity.by_process().get(r.process)
    if level is None:
        return Outcome("error", f"unknown process '{r.process}'")
    if level >= r.min_level:
        return Outcome("pass", f"{r.process} is at level {level} ≥ {r.min_level}", candidate=level,
                       threshold=r.min_level, comparator=">=")
    return Outcome("fail", f"{r.process} is at level {level}; level {r.min_level} is required", candidate=level,
                   threshold=r.min_level, comparator=">=")


_CARD_ATTR = {(Card.model_fields[f].alias or f): f for f in CARD_FIELDS}


def judge_documentation(ctx: Context, r: DocumentationRequirement) -> Outcome:
    fields = list(r.fields) if r.fields else list(_CARD_ATTR)
    counts: dict[str, int] = {}
    for name in fields:
        attr = _CARD_ATTR.get(name, name)
        text = getattr(ctx.uc.card, attr, None) if attr in CARD_FIELDS else None
        counts[name] = len(text.split()) if text else 0
    short = [f for f in fields if counts[f] < max(r.min_words, 1)]
    details = {"words": counts, "minWords": r.min_words}
    if not short:
        return Outcome("pass", f"{len(fields)} system card field{'s' * (len(fields) != 1)} written "
                       f"(at least {r.min_words} words each)", details=details)
    listed = ", ".join(f"{f} ({counts[f]} words)" for f in short)
    return Outcome("fail", f"system card fields missing or shorter than {r.min_words} words: {listed}; "
                   "write them under `card:`", details={**details, "missing": short})


def judge_evidence(ctx: Context, r: EvidenceRequirement) -> Outcome:
    jobs = ctx.view.by_runner(r.runner)
    if not jobs:
        return Outcome("error", f"no job uses the runner '{r.runner}': add one to the use case's `jobs`")
    parts: list[Part] = []
    for ev in jobs:
        if not ev.usable:
            parts.append(_unusable(ev, f"job '{ev.job}'"))
            continue
        rec = ev.record
        assert rec is not None
        if rec.status == "pass":
            parts.append(Part(f"job '{ev.job}'", "pass", f"job '{ev.job}' passed on the current inputs "
                              f"({rec.finished_at[:10]})", evidence=(rec.id,)))
        else:
            parts.append(Part(f"job '{ev.job}'", "fail", f"job '{ev.job}' failed: {rec.reason or 'no reason recorded'}",
                              evidence=(rec.id,)))
    return combine(parts, what="jobs")


def approval_expiry(approval: Any, validity_days: int) -> dt.date:
    """The day after which an approval no longer counts (its own expiry or the policy's validity)."""
    by_policy = approval.date + dt.timedelta(days=validity_days)
    return min(by_policy, approval.expires) if approval.expires is not None else by_policy


def judge_approval(ctx: Context, r: ApprovalRequirement) -> Outcome:
    validity = ctx.policy.approval_validity_days if ctx.policy is not None else 365
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
        elif a.date > ctx.today:
            rejected.append({**info, "problem": f"approval by '{a.by}' is dated in the future ({a.date})"})
        elif approval_expiry(a, validity) < ctx.today:
            own = a.expires is not None and a.expires <= a.date + dt.timedelta(days=validity)
            why = f"its expiry {a.expires}" if own else f"the policy's {validity}-day validity"
            rejected.append({**info, "problem": f"approval by '{a.by}' of {a.date} expired on "
                             f"{approval_expiry(a, validity)} ({why})"})
        elif a.evidence != ctx.bundle_hash:
            rejected.append({**info, "problem": f"approval by '{a.by}' is stale: it signed evidence {a.evidence[:12]} "
                             f"but the current evidence is {ctx.bundle_hash[:12]}", "stale": True})
        else:
            valid.setdefault(a.by, info)
    details = {"valid": list(valid.values()), "rejected": rejected, "holders": holders, "count": r.count,
               "evidenceHash": ctx.bundle_hash}
    if len(valid) >= r.count:
        who = ", ".join(f"{v['by']} ({v['date']})" for v in valid.values())
        return Outcome("pass", f"approved by {who} on the current evidence {ctx.bundle_hash[:12]}",
                       candidate=len(valid), threshold=r.count, comparator=">=", details=details)
    need = r.count - len(valid)
    eligible = [h for h in holders if h not in valid]
    command = None
    if not ctx.view.all_fresh():
        command = f"charter run {ctx.uc.id}"
        then = f"the evidence is not fresh: run `{command}` first, then ask for approval"
    else:
        who = eligible[0] if len(eligible) == 1 else "PERSON"
        command = f"charter approve {ctx.uc.id} --stage {ctx.stage} --by {who} --role {r.role}"
        then = f"ask {', '.join(eligible) or 'someone holding the role'} to review the evidence and run `{command}`"
    problems = "; ".join(x["problem"] for x in rejected[:3])
    have = f"{len(valid)} of {r.count} approval{'s' * (r.count != 1)} by '{r.role}'"
    reason = f"{have} for stage '{ctx.stage}'" + (f" ({problems})" if problems else "") + f"; {then}"
    if need > len(eligible) and holders:
        reason += f"; only {len(eligible)} more people hold the role"
    return Outcome("fail", reason, candidate=len(valid), threshold=r.count, comparator=">=", command=command,
                   details=details)


def waiver_dict(w: Any) -> dict[str, Any]:
    return {"requirement": w.requirement, "stage": w.stage, "owner": w.owner, "reason": w.reason,
            "ticket": w.ticket, "expires": w.expires.isoformat()}


JUDGES: dict[str, Callable[[Context, Any], Outcome]] = {
    "definition": judge_definition,
    "metric": judge_metric,
    "fairness": judge_fairness,
    "data-contract": judge_data_contract,
    "drift": judge_drift,
    "maturity": judge_maturity,
    "documentation": judge_documentation,
    "approval": judge_approval,
    "evidence": judge_evidence,
}
