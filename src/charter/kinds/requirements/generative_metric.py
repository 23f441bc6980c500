"""Requirement kind `generative-metric` (and helpers the other kinds use for generation use cases).

* ``generative-metric``: a metric of a ``generative-eval`` job meets a bound,
  overall, on a slice, a group or a red-team category, on the point estimate or
  the interval's pessimistic bound (``groundedness ≥ 0.9``, ``pii_leak_rate ≤ 0.005``,
  ``cost_per_request ≤ 0.02``, ``review_agreement ≥ 0.6``).
* ``generative-regression`` (:mod:`.generative_regression`): a ``generative-compare``
  job found no significant regression.

For a generation use case, the ``metric`` kind (``metric: primary`` in the
policy) and ``evidence`` with ``runner: evaluate`` read ``generative-eval``
evidence through :func:`judge_metric` (a ``generative-eval`` job stands for ``evaluate``: see its runner kind).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import model_validator

from ...evidence.records import Estimate
from ...spec.common import Id, NonEmpty, Number
from .base import (
    Basis,
    BadRecord,
    Checker,
    Constraint,
    Context,
    Loc,
    Outcome,
    Part,
    RequirementBase,
    RequirementKind,
    Rule,
    Where,
    combine,
    job_locs,
    judge_value,
    VerdictOptions,
    control_fdr,
    verdict_loosening,
    verdict_settings,
    results_of,
    unusable,
)

SECTION = "generative"
"""Judges the evidence shown in the generative section of the card (read by the site)."""

EVAL_RUNNER = "generative-eval"
COMPARE_RUNNER = "generative-compare"


def is_generative(uc: Any) -> bool:
    return uc is not None and uc.task is not None and uc.task.type.value == "generation"


class GenerativeMetricRequirement(VerdictOptions, RequirementBase):
    """A metric of a generative evaluation must meet a bound (overall, on a slice, group or red-team category)."""

    kind: Literal["generative-metric"]
    metric: NonEmpty
    """A generative metric of the catalogue (groundedness, pii_leak_rate, attack_success_rate, cost_per_request...)."""
    min: Number | None = None
    max: Number | None = None
    slice: NonEmpty | None = None
    """`key=value`, `key=*` or `*` (every slice)."""
    group: NonEmpty | None = None
    """`attribute=value` or `attribute=*`."""
    category: NonEmpty | None = None
    """A red-team category, or `*` for every category."""
    use_interval: bool = False
    """Judge the pessimistic bound of the interval rather than the point estimate."""
    job: Id | None = None
    """The generative-eval job judged (default: every one)."""

    @model_validator(mode="after")
    def _bound_given(self) -> "GenerativeMetricRequirement":
        if self.min is None and self.max is None:
            raise ValueError("a generative-metric requirement needs min or max")
        if sum(x is not None for x in (self.slice, self.group, self.category)) > 1:
            raise ValueError("give at most one of slice, group or category")
        return self


def _gib(name: str) -> bool:
    from ...metrics.catalog import GENERATIVE_METRICS

    info = GENERATIVE_METRICS.get(name)
    return True if info is None else info.greater_is_better


def _targets(res: Any, r: Any) -> list[tuple[str, dict[str, Estimate] | None, str | None]]:
    def pick(kind: str, table: dict[str, dict[str, Any]], spec: str) -> list[tuple[str, dict[str, Estimate] | None,
                                                                                 str | None]]:
        if spec == "*":
            return [(f"{k}={v}", b.metrics, None) for k, vs in sorted(table.items()) for v, b in sorted(vs.items())] \
                or [(spec, None, f"the evaluation recorded no {kind}s")]
        key, _, value = spec.partition("=")
        key, value = key.strip(), value.strip()
        if key not in table:
            return [(spec, None, f"the evaluation has no {kind} '{key}' (recorded: {', '.join(sorted(table)) or 'none'})")]
        if value == "*":
            return [(f"{key}={v}", b.metrics, None) for v, b in sorted(table[key].items())]
        if value not in table[key]:
            return [(spec, None, f"no {kind} '{spec}' (values of '{key}': {', '.join(sorted(table[key]))})")]
        return [(spec, table[key][value].metrics, None)]

    sl, grp, category = (getattr(r, a, None) for a in ("slice", "group", "category"))
    if sl is not None:
        return pick("slice", res.slices, sl)
    if grp is not None:
        return pick("group", res.groups, grp)
    if category is not None:
        cats = res.red_team
        if category == "*":
            return [(f"category={c}", b.metrics, None) for c, b in sorted(cats.items())] \
                or [("category=*", None, "the evaluation has no red-team categories")]
        if category not in cats:
            return [(f"category={category}", None, f"no red-team category '{category}' "
                     f"(recorded: {', '.join(sorted(cats)) or 'none'})")]
        return [(f"category={category}", cats[category].metrics, None)]
    return [("overall", res.metrics, None)]


def judge_metric(ctx: Context, r: Any, name: str, constraints: list[Constraint], job: str | None = None) -> Outcome:
    """``name`` of every (or the named) generative-eval job against ``constraints``."""
    from ..runners.generative import GenerativeResult

    jobs = [e for e in ctx.view.by_runner(EVAL_RUNNER) if job is None or e.job == job]
    if not jobs:
        what = f"job '{job}'" if job else "job"
        return Outcome("error", f"no {EVAL_RUNNER} {what} is declared: add a job with `runner: {EVAL_RUNNER}` so "
                       f"the metric is measured", metric=name)
    gib = _gib(name)
    settings = verdict_settings(ctx, r)
    parts: list[Part] = []
    basis: Basis | None = None
    for ev in jobs:
        prefix = f"job '{ev.job}' " if len(jobs) > 1 else ""
        if not ev.usable:
            parts.append(unusable(ev, prefix.strip()))
            continue
        evidence = (ev.record.id,)  # type: ignore[union-attr]
        try:
            res: GenerativeResult = results_of(ev, GenerativeResult)
        except BadRecord as exc:
            parts.append(Part(prefix.strip(), "error", str(exc), evidence=evidence, subject=ev.job))
            continue
        basis = Basis(bool(getattr(r, "use_interval", False)), ctx.origin,
                      ctx.origin if getattr(r, "use_interval", False) else None,
                      confidence=res.bootstrap.get("confidence"), inconclusive=settings.inconclusive,
                      inconclusive_from=settings.inconclusive_from)
        for label, metrics, problem in _targets(res, r):
            full = (prefix + ("" if label == "overall" else label)).strip()
            if problem is not None:
                parts.append(Part(full, "error", problem, evidence=evidence, subject=ev.job))
                continue
            assert metrics is not None
            parts.append(judge_value(full, name, metrics.get(name), constraints, basis, gib, evidence,
                                     list(metrics), subject=ev.job))
    fdr = control_fdr(parts, settings, basis)
    out = combine(parts, what="slices" if len(parts) > 1 else "evaluations", metric=name)
    if fdr is not None:
        out.details["multipleComparisons"] = fdr
    return out


def judge_contracts(ctx: Context) -> Outcome:
    """A generation use case's data contracts: every generative job read its eval sets, outputs and ratings
    without a contract violation (they refuse malformed lines, missing fields, duplicate ids, empty outputs)."""
    jobs = ctx.view.by_runner(EVAL_RUNNER, COMPARE_RUNNER)
    if not jobs:
        return Outcome("fail", f"no data source declares a contract and no {EVAL_RUNNER} job checks the eval set's",
                       rule=Rule(ctx.origin, "contracts", "every data source the model reads needs a contract"))
    parts: list[Part] = []
    for ev in jobs:
        label = f"job '{ev.job}'"
        if not ev.usable:
            parts.append(unusable(ev, label))
            continue
        rec = ev.record
        assert rec is not None
        rule = Rule(ctx.origin, "contracts", "the eval-set contract (ids, fields, outputs) holds on the current files")
        if rec.status == "pass":
            parts.append(Part(label, "pass", f"{label} read its eval sets and outputs under the eval-set contract",
                              evidence=(rec.id,), rule=rule, subject=ev.job))
        else:
            parts.append(Part(label, "fail", f"{label}: {rec.reason or 'failed'}", evidence=(rec.id,), rule=rule,
                              subject=ev.job))
    return combine(parts, what="jobs")


def judge(ctx: Context, r: GenerativeMetricRequirement) -> Outcome:
    constraints: list[Constraint] = []
    if r.min is not None:
        constraints.append((">=", r.min, "min"))
    if r.max is not None:
        constraints.append(("<=", r.max, "max"))
    return judge_metric(ctx, r, r.metric, constraints, r.job)


def check_metric(c: Checker, loc: Loc, name: str) -> None:
    from ...diagnostics import did_you_mean
    from ...metrics.catalog import GENERATIVE_METRICS

    if name not in GENERATIVE_METRICS:
        c.err("CH026", loc, f"unknown generative metric '{name}'", did_you_mean(name, GENERATIVE_METRICS)
              or f"metrics: {', '.join(GENERATIVE_METRICS)}")


def crossref(c: Checker, loc: Loc, r: GenerativeMetricRequirement, uc: Any) -> None:
    from ...metrics.catalog import GENERATIVE_METRICS

    check_metric(c, loc + ["metric"], r.metric)
    info = GENERATIVE_METRICS.get(r.metric)
    if info is not None:
        c.bounds(loc, r.metric, r.min, r.max, info)
    if uc is not None and uc.task is not None and not is_generative(uc):
        c.err("CH026", loc, f"a generative-metric requirement applies to generation use cases, not "
              f"{uc.task.type.value}")


def loosening(base: GenerativeMetricRequirement, override: GenerativeMetricRequirement) -> str | None:
    if (why := verdict_loosening(base, override)) is not None:
        return why
    if base.min is not None and (override.min is None or override.min < base.min):
        return f"min {override.min} is below the policy's {base.min}"
    if base.max is not None and (override.max is None or override.max > base.max):
        return f"max {override.max} is above the policy's {base.max}"
    if base.use_interval and not override.use_interval:
        return "it judges the point estimate where the policy judges the interval bound"
    if (base.slice, base.group, base.category) != (override.slice, override.group, override.category) and \
            (base.slice or base.group or base.category):
        return "it judges another part of the evaluation than the policy's"
    return None


def _g(v: float | None) -> str:
    return "none" if v is None else f"{v:g}"


def describe(r: GenerativeMetricRequirement) -> str:
    bounds = " ".join(b for b in (f"≥ {_g(r.min)}" if r.min is not None else "",
                                  f"≤ {_g(r.max)}" if r.max is not None else "") if b)
    where = r.slice or r.group or (f"category={r.category}" if r.category else None)
    return f"{r.metric} {bounds}" + (f" on {where}" if where else "") + (" (interval bound)" if r.use_interval else "")


def locate(where: Where, r: GenerativeMetricRequirement, outcome: Outcome) -> list[Loc]:
    return ([where.gate_entry] if where.gate_entry else []) + job_locs(where, EVAL_RUNNER, outcome.subject)


KIND = RequirementKind("generative-metric", GenerativeMetricRequirement, judge, crossref, loosening, describe, locate)
