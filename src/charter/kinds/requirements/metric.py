"""Requirement kind `metric`: a model metric meets a bound, on a slice or against the champion."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import model_validator

from ...evidence.records import Estimate
from ...spec.common import NonEmpty, Number
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
    VerdictOptions,
    Where,
    combine,
    control_fdr,
    fmt,
    job_locs,
    judge_value,
    results_of,
    unusable,
    verdict_loosening,
    verdict_settings,
)

if TYPE_CHECKING:  # result models live with their runner kinds, which import the spec
    from ..runners.evaluate import EvaluateResult


class MetricRequirement(VerdictOptions, RequirementBase):
    """A model metric must meet a bound, optionally on a slice or against the champion."""

    kind: Literal["metric"]
    metric: NonEmpty
    """Metric name (see the metric catalogue) or `primary` for the use case's primary metric.
    `primary` without a bound means: meets the use case's own `evaluation.threshold`."""
    min: Number | None = None
    """Lowest acceptable value (inclusive)."""
    max: Number | None = None
    """Highest acceptable value (inclusive)."""
    slice: NonEmpty | None = None
    """Judge the metric on this slice (`column=value`) instead of overall; `*` means every slice."""
    use_interval: bool = False
    """Judge the pessimistic bound of the bootstrap interval rather than the point estimate."""
    min_absolute_change: Number | None = None
    """Versus the champion: the candidate must improve by at least this much (in the metric's direction)."""
    min_relative_change: Number | None = None
    """Versus the champion: the candidate must improve by at least this fraction of the champion's value."""

    @model_validator(mode="after")
    def _bound_given(self) -> "MetricRequirement":
        unbounded = (self.min is None and self.max is None and self.min_absolute_change is None
                     and self.min_relative_change is None)
        if unbounded and self.metric != "primary":
            raise ValueError("a metric requirement needs min, max, minAbsoluteChange or minRelativeChange "
                             "(only `metric: primary` may omit them, meaning the use case's own threshold)")
        return self

    @property
    def relative(self) -> bool:
        return self.min_absolute_change is not None or self.min_relative_change is not None

    @property
    def own_threshold(self) -> bool:
        """`metric: primary` without any bound: judged against the use case's `evaluation.threshold`."""
        return self.metric == "primary" and self.min is None and self.max is None and not self.relative


def _slice_targets(res: EvaluateResult, spec: str | None
                   ) -> list[tuple[str, dict[str, Estimate] | None, str | None, int | None]]:
    """(label, metrics, problem, rows) for each slice a requirement names."""
    return [(label, metrics, problem, rows) for label, metrics, problem, rows in _targets(res, spec)]


def _targets(res: EvaluateResult, spec: str | None) -> list[tuple[str, dict[str, Estimate] | None, str | None,
                                                                   int | None]]:
    if spec is None:
        return [("overall", res.metrics, None, res.n)]
    if spec == "*":
        if not res.slices:
            return [("*", None, "the evaluation has no slices; list slice columns under the evaluate job's `slices`",
                     None)]
        return [(f"{col}={val}", block.metrics, None, block.n) for col, vals in sorted(res.slices.items())
                for val, block in sorted(vals.items())]
    col, _, val = spec.partition("=")
    col, val = col.strip(), val.strip()
    if col not in res.slices:
        by = ", ".join(sorted(res.slices)) or "nothing"
        return [(spec, None, f"the evaluation has no slices by '{col}' (sliced by: {by}); "
                 "list it under the evaluate job's `slices`", None)]
    if val == "*":
        return [(f"{col}={v}", block.metrics, None, block.n) for v, block in sorted(res.slices[col].items())]
    if val not in res.slices[col]:
        values = ", ".join(sorted(res.slices[col]))
        return [(spec, None, f"no slice '{spec}' in the evaluation (values of '{col}': {values})", None)]
    block = res.slices[col][val]
    return [(spec, block.metrics, None, block.n)]


SECTION = "evaluation"
"""The runner section whose jobs' evidence this kind judges (how it finds them, and what the site shows its
verdicts beside)."""


def judge(ctx: Context, r: MetricRequirement) -> Outcome:
    from ...resolve import greater_is_better, primary_metric_name

    name = primary_metric_name(ctx.uc, r.metric)
    gib = greater_is_better(name)
    from .generative_metric import is_generative, judge_metric

    if is_generative(ctx.uc):  # a generation use case is measured by its generative-eval jobs
        own: list[Constraint] = [(">=", r.min, "min")] if r.min is not None else []
        own += [("<=", r.max, "max")] if r.max is not None else []
        if r.own_threshold and ctx.uc.evaluation is not None:
            own.append((">=" if gib else "<=", ctx.uc.evaluation.threshold, "evaluation.threshold"))
        if r.relative or r.slice is not None:
            return Outcome("error", "for a generation use case, compare versions with a generative-compare job and "
                           "judge slices with a generative-metric requirement", metric=name)
        return judge_metric(ctx, r, name, own)
    from ..runners import in_section  # lazily: the runner table imports the spec, which imports this
    from ..runners.base import find

    jobs = in_section(ctx.view.jobs.values(), SECTION)
    if not jobs:
        return Outcome("error", "no evaluate job is declared: add a job with `runner: evaluate` so the metric is "
                       "measured", metric=name)
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
            from ..runners.evaluate import EvaluateResult

            kind = find(ev.runner)
            # the evaluate kind's result, or a kind's standing for it (same metrics, slices, champion)
            res: EvaluateResult = results_of(ev, kind.result_model if kind is not None else EvaluateResult)
        except BadRecord as exc:
            parts.append(Part(prefix.strip(), "error", str(exc), evidence=evidence, subject=ev.job))
            continue
        constraints: list[Constraint] = []
        if r.min is not None:
            constraints.append((">=", r.min, "min"))
        if r.max is not None:
            constraints.append(("<=", r.max, "max"))
        if r.own_threshold and ctx.uc.evaluation is not None:
            constraints.append((">=" if gib else "<=", ctx.uc.evaluation.threshold, "evaluation.threshold"))
        baseline = None
        if r.relative:
            if r.slice is not None:
                parts.append(Part(prefix.strip(), "error", "the champion's metrics are recorded overall only; "
                                  "a relative requirement cannot name a slice", evidence=evidence, subject=ev.job))
                continue
            champ = (res.champion or {}).get(name)
            if champ is None or champ.value is None:
                parts.append(Part(prefix.strip(), "error",
                                  f"no champion {name} in the evaluation: declare the production model's predictions "
                                  f"under the evaluate job's `champion` and run `charter run {ctx.uc.id}`",
                                  evidence=evidence, command=f"charter run {ctx.uc.id}", subject=ev.job))
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
        basis = Basis(r.use_interval, ctx.origin, ctx.origin if r.use_interval else None,
                      confidence=res.bootstrap.get("confidence"), inconclusive=settings.inconclusive,
                      inconclusive_from=settings.inconclusive_from)
        for label, metrics, problem, rows in _slice_targets(res, r.slice):
            full = (prefix + ("" if label == "overall" else label)).strip()
            if problem is not None:
                parts.append(Part(full, "error", problem, evidence=evidence, subject=ev.job))
                continue
            assert metrics is not None
            parts.append(judge_value(full, name, metrics.get(name), constraints, basis, gib, evidence,
                                     list(metrics), baseline, subject=ev.job, rows=rows))
    fdr = control_fdr(parts, settings, basis)
    what = "slices" if r.slice else "evaluations"
    out = combine(parts, what=what, metric=name)
    if fdr is not None:
        out.details["multipleComparisons"] = fdr
    return out


def crossref(c: Checker, loc: Loc, r: MetricRequirement, uc: Any) -> None:
    from ...metrics.catalog import MODEL_METRICS

    if c.metric_name(loc + ["metric"], r.metric, uc):
        name = uc.evaluation.primary_metric if (uc and uc.evaluation and r.metric == "primary") else r.metric
        info = MODEL_METRICS.get(name)
        if info is not None:
            c.bounds(loc, name, r.min, r.max, info)


def loosening(base: MetricRequirement, override: MetricRequirement) -> str | None:
    if (why := verdict_loosening(base, override)) is not None:
        return why
    if base.min is not None and (override.min is None or override.min < base.min):
        return f"min {override.min} is below the policy's {base.min}"
    if base.max is not None and (override.max is None or override.max > base.max):
        return f"max {override.max} is above the policy's {base.max}"
    if base.use_interval and not override.use_interval:
        return "it judges the point estimate where the policy judges the interval bound"
    for attr in ("min_absolute_change", "min_relative_change"):
        b, o = getattr(base, attr), getattr(override, attr)
        if b is not None and (o is None or o < b):
            return f"{attr} {o} is below the policy's {b}"
    return None


def _g(v: float | None) -> str:
    return "none" if v is None else f"{v:g}" if isinstance(v, float) else str(v)


def describe(r: MetricRequirement) -> str:
    bounds = [f"≥ {_g(r.min)}" if r.min is not None else "", f"≤ {_g(r.max)}" if r.max is not None else ""]
    rel = []
    if r.min_absolute_change is not None:
        rel.append(f"+{_g(r.min_absolute_change)} over the champion")
    if r.min_relative_change is not None:
        rel.append(f"+{_g(r.min_relative_change * 100)} % over the champion")
    text = f"{r.metric} " + " ".join(b for b in bounds if b) + (" " if rel and any(bounds) else "") + ", ".join(rel)
    return text + (f" on {r.slice}" if r.slice else "") + (" (interval bound)" if r.use_interval else "")


def locate(where: Where, r: MetricRequirement, outcome: Outcome) -> list[Loc]:
    """The bound that decided: the gate entry, the use case's threshold, else the evaluate job."""
    out: list[Loc] = [where.gate_entry] if where.gate_entry else []
    if r.own_threshold:
        out.append(["evaluation", "threshold"])
    elif r.metric == "primary":
        out.append(["evaluation", "primaryMetric"])
    return out + job_locs(where, "evaluate", outcome.subject)


KIND = RequirementKind("metric", MetricRequirement, judge, crossref, loosening, describe, locate)
