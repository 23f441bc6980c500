"""Requirement kind `fairness`: every fairness check (or the named one) stays within its limit.

A check's limits come from the check (the use case's, or the policy default for
a sensitive attribute); whether its point estimate or interval bound is judged
comes from the check unless the requirement overrides it (a high-risk tier asks
for the interval bound). The rule on each part says which of the two decided.

Groups below the minimum size (the check's ``minGroupSize``, else the policy's
``fairness.minGroupSize``) are reported but left out of the disparity judged,
unless the check sets ``includeSmallGroups``; the fairness job records each
judged view with the groups it excluded and why. A check naming a
``referenceGroup`` is also judged group by group: the check's metric over each
group and the reference (bias-audit style), beside max−min.

A disparity compares groups: a check whose attribute has fewer than two groups
of at least the minimum size (every row one value, every value missing, a join
that filled a default) is ``inconclusive`` and fails closed; its rule basis is
``inconclusive: fewer than two groups`` and its reason gives the group counts;
the ``<missing>`` group (rows without the attribute) never counts as one of the
two, since a gap between disclosed and undisclosed rows says nothing about the
attribute's values. Comparisons whose interval straddles the limit are
inconclusive too (see :func:`charter.kinds.requirements.base.judge_value`); with
``multipleComparisons: benjamini-hochberg`` the requirement's comparisons (every
check's max−min and each group against its reference) control the false
discovery rate of their fail verdicts.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any, Literal

from ...spec.common import Id
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
    VerdictOptions,
    Where,
    combine,
    control_fdr,
    fail_closed_rule,
    item_loc,
    job_locs,
    judge_value,
    results_of,
    unusable,
    verdict_loosening,
    verdict_settings,
    waiver_dict,
)

if TYPE_CHECKING:  # result models live with their runner kinds, which import the spec
    from ..runners.fairness import FairnessResult


class FairnessRequirement(VerdictOptions, RequirementBase):
    """Every fairness check (or the named one) must stay within its limit."""

    kind: Literal["fairness"]
    check: Id | None = None
    """A fairness check id of the use case; default: all of its checks."""
    use_interval: bool | None = None
    """Judge the bootstrap interval's pessimistic bound rather than the point estimate (overrides the check's own setting)."""


def _check_source(ctx: Context, check_id: str) -> str:
    own = any(c.id == check_id for c in ctx.uc.fairness)
    return f"fairness check '{check_id}'" if own else f"policy fairness default '{check_id}'"


def _apply_waiver(ctx: Context, p: Part) -> Part:
    """A fairness check can be waived on its own (the waiver names the check's id)."""
    waiver, expired = ctx.waiver_for(p.subject or p.label)
    if waiver is not None:
        rule = Rule(f"waiver '{waiver.ticket}'", "waiver",
                    f"waiver {waiver.ticket} by {waiver.owner} until {waiver.expires} applies to check "
                    f"'{p.subject or p.label}'; "
                    f"without it: {p.status}" + (f" — {p.rule.text}" if p.rule is not None else ""))
        return replace(p, status="waived", reason=f"{p.reason} — waived by {waiver.owner} until {waiver.expires} "
                       f"({waiver.ticket})", rule=rule,
                       extra={**p.extra, "waiver": waiver_dict(waiver), "underlyingStatus": p.status,
                              **({"underlyingRule": p.rule.to_dict()} if p.rule is not None else {})})
    if expired:
        last = max(expired, key=lambda w: w.expires)
        return replace(p, reason=f"{p.reason} (the waiver {last.ticket} expired on {last.expires} and no longer "
                       "applies)", extra={**p.extra, "expiredWaivers": [waiver_dict(w) for w in expired]})
    return p


SECTION = "fairness"
"""The runner section whose jobs' evidence this kind judges (how it finds them, and what the site shows its
verdicts beside)."""


INCONCLUSIVE_BASIS = "inconclusive: fewer than two groups"
_SHOWN_GROUPS = 8


def _is_missing(group: Any) -> bool:
    from ...metrics.catalog import MISSING_LABEL  # light: judges must not import pandas

    return any(v == MISSING_LABEL for v in group.group.values()) or group.label == MISSING_LABEL


def usable_groups(groups: list[Any], min_size: int) -> list[Any]:
    """The groups a disparity can compare: observed values (not ``<missing>``) with at least ``min_size`` rows."""
    return [g for g in groups if g.n >= min_size and not _is_missing(g)]


def group_counts_text(groups: list[Any]) -> str:
    """'M: 4,812; F: 12; missing: 0': every group's rows (the largest first, at most a few), then the missing rows."""
    present = sorted((g for g in groups if not _is_missing(g)), key=lambda g: (-g.n, g.label))
    missing = sum(g.n for g in groups if _is_missing(g))
    shown = [f"{g.label}: {g.n:,}" for g in present[:_SHOWN_GROUPS]]
    if len(present) > _SHOWN_GROUPS:
        shown.append(f"{len(present) - _SHOWN_GROUPS:,} more")
    return "; ".join(shown + [f"missing: {missing:,}"])


def inconclusive_part(check: Any, attributes: list[str], groups: list[Any], min_size: int,
                      evidence: tuple[str, ...], limit_from: str, included: list[str] | None = None,
                      source: str = "policy") -> Part | None:
    """The fail-closed part of a check whose attribute has fewer than two usable groups, else None.

    ``included``: the labels the judged view compares (small groups included on request); default: the
    groups of at least ``min_size`` rows.
    """
    if included is None:
        usable = usable_groups(groups, min_size)
    else:
        usable = [g for g in groups if g.label in set(included) and not _is_missing(g)]
    if len(usable) >= 2:
        return None
    what = (f"attribute '{attributes[0]}'" if len(attributes) == 1
            else "attributes " + " × ".join(f"'{a}'" for a in attributes))
    noun = "group" if len(usable) == 1 else "groups"
    reason = (f"{what} has {len(usable)} {noun} with at least {min_size:,} rows ({group_counts_text(groups)}): "
              "a disparity needs two")
    present = sorted((g for g in groups if not _is_missing(g) and g not in usable), key=lambda g: -g.n)
    more = (min_size - present[0].n) if present and len(usable) == 1 else None
    needs = (f"about {more:,} more rows of group {present[0].label} would decide" if more
             else f"the data needs two groups of at least {min_size:,} rows")
    rule = Rule(source if source != "policy" else "fail-closed", INCONCLUSIVE_BASIS,
                f"{limit_from} is inconclusive: {reason}; the gate fails closed until the data has two groups "
                f"of at least {min_size:,} rows")
    part = Part(check.id, "inconclusive", f"{reason}; inconclusive: {needs}", evidence=evidence, rule=rule,
                subject=check.id)
    part.extra.update({"metric": check.metric, "attributes": list(attributes), "inconclusive": True,
                       "verdict": "inconclusive", "minGroupSize": min_size, "rowsToDecide": more,
                       "groups": [{"group": g.label, "n": g.n} for g in groups]})
    return part


def _reference_parts(check: Any, view: Any, constraints: list[Constraint], basis: Basis, gib: bool,
                     evidence: tuple[str, ...]) -> list[Part]:
    """Each group against the check's reference group: the check's metric over that group and the reference."""
    ref = view.reference
    label = f"{check.id} vs reference"
    if ref is None:
        return [Part(label, "error", f"the evidence has no comparison with the reference group "
                     f"'{check.reference_group}'", evidence=evidence, subject=check.id,
                     rule=fail_closed_rule("reference-group evidence"))]
    if ref.problem is not None:
        small = ref.n is not None
        rule = (Rule("fail-closed", INCONCLUSIVE_BASIS, f"the reference group is too small to compare with: "
                     f"{ref.problem}; the gate fails closed") if small else fail_closed_rule("reference group"))
        part = Part(label, "inconclusive" if small else "error", ref.problem, evidence=evidence, subject=check.id,
                    rule=rule)
        part.extra.update({"metric": check.metric, "reference": ref.group, "inconclusive": small})
        return [part]
    out = []
    for c in ref.comparisons:
        part = judge_value(f"{check.id}: {c.group} vs {ref.group}", check.metric, c.disparities.get(check.metric),
                           constraints, basis, gib, evidence, list(c.disparities), subject=check.id,
                           rows=c.n + (ref.n or 0))
        part.extra.update({"metric": check.metric, "check": check.id, "group": c.group, "reference": ref.group,
                           "n": c.n})
        out.append(part)
    return out


def judge(ctx: Context, r: FairnessRequirement) -> Outcome:
    from ...resolve import effective_fairness_checks, greater_is_better
    from ..runners.fairness import check_view

    checks = effective_fairness_checks(ctx.policy, ctx.uc)
    if r.check is not None:
        checks = [c for c in checks if c.id == r.check]
        if not checks:
            return Outcome("error", f"the use case has no fairness check '{r.check}'", subject=r.check)
    if not checks:
        return Outcome("pass", "no fairness check applies: the use case declares no sensitive attributes",
                       rule=Rule(ctx.origin, "fairness checks", "no fairness check applies"))
    from ..runners import in_section  # lazily: the runner table imports the spec, which imports this
    jobs = in_section(ctx.view.jobs.values(), SECTION)
    if not jobs:
        return Outcome("error", "no fairness job is declared: add a job with `runner: fairness` so disparities are "
                       "measured", rule=Rule("fail-closed", "evidence", "fairness checks need a fairness job's "
                                             "evidence: the gate fails closed without it"))
    if not any(ev.usable for ev in jobs):  # one message per job, not one per check
        return combine([unusable(ev, f"job '{ev.job}'" if len(jobs) > 1 else "") for ev in jobs], what="fairness jobs")
    settings = verdict_settings(ctx, r)
    parts: list[Part] = []
    basis: Basis | None = None
    for check in checks:
        use_interval = r.use_interval if r.use_interval is not None else check.use_interval
        limit_from = _check_source(ctx, check.id)
        basis_kwargs: dict[str, Any] = {"interval_from": ctx.origin if r.use_interval is not None else None}
        constraints: list[Constraint] = []
        if check.min is not None:
            constraints.append((">=", check.min, "min"))
        if check.max is not None:
            constraints.append(("<=", check.max, "max"))
        wanted = set(check.sensitive_attributes)
        spec = check_view(ctx.policy, check)
        found: list[Part] = []
        problems: list[Part] = []
        for ev in jobs:
            if not ev.usable:
                problems.append(replace(unusable(ev, check.id), subject=check.id))
                continue
            evidence = (ev.record.id,)  # type: ignore[union-attr]
            try:
                from ..runners.fairness import FairnessResult

                res: FairnessResult = results_of(ev, FairnessResult)
            except BadRecord as exc:
                problems.append(Part(check.id, "error", str(exc), evidence=evidence, subject=check.id))
                continue
            block = next((a for a in res.results if set(a.attributes) == wanted), None)
            if block is None:
                examined = ["×".join(a.attributes) for a in res.results]
                problems.append(Part(check.id, "error",
                                     f"job '{ev.job}' has no result for {' × '.join(check.sensitive_attributes)} "
                                     f"(it examined: {', '.join(examined) or 'nothing'}); add the attribute to the "
                                     "fairness job's `sensitiveAttributes`", evidence=evidence, subject=check.id))
                continue
            view = block.view(spec["min_group_size"], spec["include_small_groups"], spec["reference_group"])
            if view is None:
                command = f"charter run {ctx.uc.id}"
                problems.append(Part(check.id, "error",
                                     f"job '{ev.job}' recorded no disparities for minimum group size "
                                     f"{spec['min_group_size']}" + (" with small groups" if spec["include_small_groups"]
                                                                   else "")
                                     + (f" against reference group '{spec['reference_group']}'"
                                        if spec["reference_group"] else "") + f": run `{command}`",
                                     evidence=evidence, command=command, subject=check.id,
                                     rule=fail_closed_rule("fairness evidence")))
                continue
            group_min = spec["min_group_size"]
            blocked = inconclusive_part(check, list(block.attributes), block.groups, group_min, evidence, limit_from,
                                        included=list(view.included), source=settings.inconclusive_from)
            if blocked is not None:
                found.append(blocked)
                continue
            gib = greater_is_better(check.metric)
            basis = Basis(use_interval, limit_from, confidence=res.bootstrap.get("confidence"),
                          inconclusive=settings.inconclusive, inconclusive_from=settings.inconclusive_from,
                          **basis_kwargs)
            included = set(view.included)
            rows = sum(g.n for g in block.groups if g.label in included)
            part = judge_value(check.id, check.metric, view.disparities.get(check.metric), constraints, basis,
                               gib, evidence, list(view.disparities), subject=check.id, rows=rows)
            small = [{"group": g.label, "n": g.n} for g in block.groups if g.n < group_min]
            excluded = [x.model_dump() for x in view.excluded]
            part.extra.update({"metric": check.metric, "attributes": list(check.sensitive_attributes),
                               "useInterval": use_interval, "smallGroups": small, "minGroupSize": group_min,
                               "includeSmallGroups": spec["include_small_groups"], "excludedGroups": excluded,
                               "groups": [{"group": g.label, "n": g.n} for g in block.groups]})
            if excluded:
                shown = ", ".join(f"{x['group']} (n={x['n']})" for x in excluded[:5])
                part.reason += f"; excluded as below {group_min}: {shown}"
            elif small:
                shown = ", ".join(f"{s['group']} (n={s['n']})" for s in small[:5])
                part.reason += f"; small groups below {group_min} included: {shown}"
            found.append(part)
            if check.reference_group is not None:
                found.extend(_reference_parts(check, view, constraints, basis, gib, evidence))
        parts.extend(found if found else problems[:1])
        if found and problems:
            parts.extend(problems)
    fdr = control_fdr(parts, settings, basis)
    waived_parts = [_apply_waiver(ctx, p) for p in parts]
    out = combine(waived_parts, what="fairness checks")
    if len(waived_parts) == 1:
        out.metric = waived_parts[0].extra.get("metric")
        out.details = {"parts": [waived_parts[0].to_dict()]}
    if fdr is not None:
        out.details["multipleComparisons"] = fdr
    return out


def crossref(c: Checker, loc: Loc, r: FairnessRequirement, uc: Any) -> None:
    if uc is not None and r.check is not None:
        c.ref(loc + ["check"], r.check, [x.id for x in uc.fairness], "fairness check")


def loosening(base: FairnessRequirement, override: FairnessRequirement) -> str | None:
    if (why := verdict_loosening(base, override)) is not None:
        return why
    if base.use_interval is True and override.use_interval is False:
        return "it judges the point estimate where the policy judges the interval bound"
    return None


def describe(r: FairnessRequirement) -> str:
    return f"fairness {r.check or 'all checks'}" + (" (interval bound)" if r.use_interval else "")


def locate(where: Where, r: FairnessRequirement, outcome: Outcome) -> list[Loc]:
    """The fairness check that decided; for a policy default, the sensitive attribute it is applied to."""
    check_id = outcome.subject or r.check
    out: list[Loc] = [loc for loc in (item_loc(where.data, "fairness", check_id),) if loc is not None]
    default = next((c for c in _defaults(where) if c.id == check_id), None)
    if default is not None:
        attr = default.sensitive_attributes[0]
        for i, d in enumerate(where.uc.data):
            if attr in d.sensitive_attributes:
                out.append(["data", i, "sensitiveAttributes", d.sensitive_attributes.index(attr)])
                break
    if where.gate_entry:
        out.append(where.gate_entry)
    if outcome.status == "error":
        out += job_locs(where, "fairness", outcome.subject)  # the job without usable evidence, or where one is missing
    return out + [["fairness"]]


def _defaults(where: Where) -> list[Any]:
    from ...resolve import effective_fairness_checks

    own = {c.id for c in where.uc.fairness}
    return [c for c in effective_fairness_checks(where.policy, where.uc) if c.id not in own]


KIND = RequirementKind("fairness", FairnessRequirement, judge, crossref, loosening, describe, locate)
