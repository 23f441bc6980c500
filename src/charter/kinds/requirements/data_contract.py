"""Requirement kind `data-contract`: every data source with a contract (or the named ones) passed validation."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from ...spec.common import Id
from .base import (
    BadRecord,
    Checker,
    Context,
    Loc,
    Outcome,
    Part,
    RequirementBase,
    RequirementKind,
    Rule,
    Where,
    combine,
    item_loc,
    results_of,
    unusable,
)

if TYPE_CHECKING:  # result models live with their runner kinds, which import the spec
    from ..runners.data_contract import DataContractResult


class DataContractRequirement(RequirementBase):
    """Every data source with a contract (or the named ones) passed its data validation."""

    kind: Literal["data-contract"]
    data: list[Id] | None = None
    """Data source ids; default: every source with a contract."""


def _rule(ctx: Context, source: str, rows: int | None = None, failed: int | None = None) -> Rule:
    text = f"every row of '{source}' must pass its contract"
    if failed is not None:
        text += f": {failed:,} row check{'s' * (failed != 1)} failed"
    elif rows is not None:
        text += f": {rows:,} rows passed"
    return Rule(f"data contract of '{source}'", "contract checks", text, "<=", 0,
                None if failed is None and rows is None else float(failed or 0))


SECTION = "contracts"
"""The runner section whose jobs' evidence this kind judges (how it finds them, and what the site shows its
verdicts beside)."""


def judge(ctx: Context, r: DataContractRequirement) -> Outcome:
    uc = ctx.uc
    sources = list(r.data) if r.data else [d.id for d in uc.data if d.contract is not None]
    from .generative_metric import is_generative, judge_contracts

    if not sources and is_generative(uc):  # JSONL eval sets: their contract is checked by the generative jobs
        return judge_contracts(ctx)
    if not sources:
        return Outcome("fail", "no data source declares a contract: add `contract:` (columns, types, ranges) to the "
                       "data sources", rule=Rule(ctx.origin, "contracts", "every data source the model reads needs "
                                                 "a contract"))
    from ..runners import in_section  # lazily: the runner table imports the spec, which imports this
    jobs = in_section(ctx.view.jobs.values(), SECTION)
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
                              "`runner: data-contract`", subject=source,
                              rule=Rule("fail-closed", "evidence", f"'{source}' needs a data-contract job's "
                                        "evidence: the gate fails closed without it")))
            continue
        for ev in covering:
            if not ev.usable:
                p = unusable(ev, source)
                p.subject = source
                parts.append(p)
                continue
            evidence = (ev.record.id,)  # type: ignore[union-attr]
            try:
                from ..runners.data_contract import DataContractResult

                res: DataContractResult = results_of(ev, DataContractResult)
            except BadRecord as exc:
                parts.append(Part(source, "error", str(exc), evidence=evidence, subject=source))
                continue
            entry = next((s for s in res.sources if s.data == source), None)
            if entry is None:
                parts.append(Part(source, "error", f"job '{ev.job}' recorded no result for '{source}'",
                                  evidence=evidence, subject=source))
            elif entry.passed:
                rows = f"{entry.rows:,} rows" if entry.rows is not None else "the file"
                parts.append(Part(source, "pass", f"{rows} passed the contract", evidence=evidence,
                                  extra={"rows": entry.rows}, subject=source, rule=_rule(ctx, source, entry.rows)))
            else:
                failures = [f"{f.column + ': ' if f.column else ''}{f.check} ({f.failures:,} rows)"
                            for f in entry.failures]
                shown = "; ".join(failures[:5]) + (f"; and {len(failures) - 5} more" if len(failures) > 5 else "")
                parts.append(Part(source, "fail", f"the contract failed: {shown or 'no detail recorded'}",
                                  evidence=evidence, subject=source,
                                  rule=_rule(ctx, source, failed=sum(f.failures for f in entry.failures)),
                                  extra={"failures": [f.model_dump(mode="json") for f in entry.failures]}))
    return combine(parts, what="data sources")


def crossref(c: Checker, loc: Loc, r: DataContractRequirement, uc: Any) -> None:
    if uc is not None and r.data:
        for k, d in enumerate(r.data):
            c.ref(loc + ["data", k], d, [s.id for s in uc.data], "data source")


def loosening(base: DataContractRequirement, override: DataContractRequirement) -> str | None:
    return None  # which sources a contract covers is the data owner's call, not a bound to loosen


def describe(r: DataContractRequirement) -> str:
    return f"data contracts {', '.join(r.data) if r.data else 'of every source'}"


def locate(where: Where, r: DataContractRequirement, outcome: Outcome) -> list[Loc]:
    """The data source that decided (its `contract:` when it has one), else the `data:` list."""
    loc = item_loc(where.data, "data", outcome.subject)
    out: list[Loc] = []
    if loc is not None:
        out += [loc + ["contract"], loc]
    if where.gate_entry:
        out.append(where.gate_entry)
    return out + [["data"]]


KIND = RequirementKind("data-contract", DataContractRequirement, judge, crossref, loosening, describe, locate)
