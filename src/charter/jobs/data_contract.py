"""Runner ``data-contract``: validate data sources against their contracts with pandera.

The contract of a source becomes a pandera ``DataFrameSchema``:

* ``type`` → a nullable pandas dtype the column is coerced to (``integer`` →
  ``Int64``, ``float`` → ``Float64``, ``boolean`` → ``boolean``, ``date`` →
  ``datetime64[ns]``, ``string``/``category`` → text), so a value that is not of
  the type (``"abc"`` in an integer column) is reported with its row;
* ``nullable``, ``unique``, ``min``/``max`` (numeric columns), ``allowed`` values,
  ``pattern`` (a regular expression each value must match completely),
  ``minDistinct`` (at least that many distinct non-missing values: a column check
  reported as ``min_distinct(<k>)`` with the distinct values observed, the most
  frequent first, and their row counts as examples);
* ``rows.min``/``rows.max`` → a check on the number of rows;
* ``strict`` → columns the contract does not declare are failures.

Validation is lazy (every failure in one pass). Each failing check becomes a
:class:`~charter.kinds.runners.data_contract.ContractFailure` with the number of failing
values and up to five examples. The job passes when every source passes.
"""

from __future__ import annotations

import time
from typing import Any

from ..kinds.runners.data_contract import ContractFailure, ContractSource, DataContractResult
from ..spec.governance import jobs_settings
from .base import JobContext, JobError, JobOutput

MAX_EXAMPLES = 5

_DTYPES = {
    "integer": "Int64",
    "float": "Float64",
    "boolean": "boolean",
    "date": "datetime64[ns]",
    "string": str,
    "category": str,
}


def build_schema(contract: Any, regex_budget: RegexBudget | None = None):  # type: ignore[no-untyped-def]
    """The pandera schema for a DataContract (its pattern checks share ``regex_budget``)."""
    import pandera.pandas as pa

    budget = regex_budget if regex_budget is not None else RegexBudget(jobs_settings(None).regex_budget_seconds)
    columns = {}
    for name, col in contract.columns.items():
        checks = []
        numeric = col.type in ("integer", "float")
        if numeric and col.min is not None:
            checks.append(pa.Check.ge(col.min))
        if numeric and col.max is not None:
            checks.append(pa.Check.le(col.max))
        if col.allowed is not None:
            checks.append(pa.Check.isin(list(col.allowed)))
        if col.pattern is not None:
            checks.append(_pattern_check(pa, col.pattern, name, budget))
        if col.min_distinct is not None:
            checks.append(_min_distinct_check(pa, col.min_distinct))
        columns[name] = pa.Column(
            _DTYPES[col.type],
            checks=checks,
            nullable=col.nullable,
            unique=col.unique,
            coerce=True,
            required=True,
        )
    frame_checks = []
    rows = contract.rows
    if rows is not None and rows.min is not None:
        lo = rows.min
        frame_checks.append(pa.Check(lambda df, lo=lo: len(df) >= lo, name=f"rows_min({lo})",
                                     error=f"rows_min({lo})"))
    if rows is not None and rows.max is not None:
        hi = rows.max
        frame_checks.append(pa.Check(lambda df, hi=hi: len(df) <= hi, name=f"rows_max({hi})",
                                     error=f"rows_max({hi})"))
    return pa.DataFrameSchema(columns, checks=frame_checks, strict=contract.strict)


def _json_value(v: Any) -> Any:
    import math

    if v is None:
        return None
    if hasattr(v, "item"):
        try:
            v = v.item()
        except (ValueError, TypeError):
            pass
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, (bool, int, float, str)):
        return v
    return str(v)


def _check_label(check: str) -> str:
    labels = {
        "column_in_schema": "undeclared_column",
        "column_in_dataframe": "missing_column",
        "not_nullable": "not_nullable",
        "field_uniqueness": "unique",
    }
    return labels.get(check, check)


def _failures(exc: Any, n_rows: int) -> list[ContractFailure]:
    fc = exc.failure_cases
    out: list[ContractFailure] = []
    groups: dict[tuple[str | None, str], list[Any]] = {}
    for row in fc.itertuples(index=False):
        column = None if row.column is None or (isinstance(row.column, float)) else str(row.column)
        check = _check_label(str(row.check))
        if check in ("undeclared_column", "missing_column"):
            column = str(row.failure_case)
        if check.startswith("rows_"):
            column = None
        groups.setdefault((column, check), []).append(row)
    for (column, check), rows in groups.items():
        if check.startswith(MIN_DISTINCT):
            out.append(ContractFailure(column=column, check=check, failures=1, examples=[]))
            continue
        if check.startswith("rows_"):
            out.append(ContractFailure(column=None, check=check, failures=1, examples=[n_rows]))
            continue
        if check in ("undeclared_column", "missing_column"):
            out.append(ContractFailure(column=column, check=check, failures=1, examples=[]))
            continue
        indexed = [r for r in rows if r.index is not None]
        count = len({r.index for r in indexed}) if indexed else len(rows)
        examples = []
        for r in rows:
            value = _json_value(r.failure_case)
            example = {"row": _json_value(r.index), "value": value}
            if example not in examples:
                examples.append(example)
            if len(examples) >= MAX_EXAMPLES:
                break
        out.append(ContractFailure(column=column, check=check, failures=count, examples=examples))
    # a failed coercion also fails the dtype check on the same values: report it once
    coerced = {f.column for f in out if f.check.startswith("coerce_dtype")}
    out = [f for f in out if not (f.check.startswith("dtype(") and f.column in coerced)]
    return sorted(out, key=lambda f: (f.column or "", f.check))


def validate_source(ctx: JobContext, data_id: str, regex_budget: RegexBudget | None = None) -> ContractSource:
    import pandera.errors as pa_errors

    src = ctx.source(data_id)
    if src.contract is None:
        raise JobError(f"data source '{data_id}' has no contract to validate")
    path = ctx.data_path(data_id)
    if path.is_dir():  # a partitioned data set: every partition, failures with partition and row
        from .partitioned import validate_source as validate_partitions

        budget = regex_budget or RegexBudget(jobs_settings(ctx.policy).regex_budget_seconds)
        return validate_partitions(ctx, data_id, budget)
    try:
        df = ctx.read(data_id)
    except JobError as exc:
        return ContractSource(data=data_id, path=src.path, sha256=src.sha256, rows=None, passed=False,
                              failures=[ContractFailure(column=None, check="readable", failures=1,
                                                        examples=[str(exc)])])
    budget = regex_budget if regex_budget is not None else RegexBudget(jobs_settings(ctx.policy).regex_budget_seconds)
    schema = build_schema(src.contract, budget)
    failures: list[ContractFailure] = []
    try:
        schema.validate(df, lazy=True)
    except pa_errors.SchemaErrors as exc:
        failures = _failures(exc, len(df))
    except pa_errors.SchemaError as exc:  # non-lazy path (should not happen), keep it readable
        failures = [ContractFailure(column=None, check="schema", failures=1, examples=[str(exc)[:200]])]
    failures = [_with_distinct_values(f, df) for f in failures]
    del path
    budget.raise_if_exhausted(data_id)
    return ContractSource(data=data_id, path=src.path, sha256=src.sha256, rows=len(df),
                          passed=not failures, failures=failures)


def run(ctx: JobContext) -> JobOutput:
    job = ctx.job
    uc = ctx.use_case
    ids = list(job.data) if job.data is not None else [d.id for d in uc.data if d.contract is not None]
    if not ids:
        raise JobError("no data source with a contract to validate")
    # every pinned hash is checked before anything is validated
    for data_id in ids:
        ctx.data_path(data_id)
    regex_budget = RegexBudget(jobs_settings(ctx.policy).regex_budget_seconds)
    sources = [validate_source(ctx, d, regex_budget) for d in ids]
    result = DataContractResult(sources=sources)
    failed = [s for s in sources if not s.passed]
    reason = None
    if failed:
        parts = []
        for s in failed:
            n = sum(f.failures for f in s.failures)
            checks = ", ".join(sorted({f"{f.column}:{f.check}" if f.column else f.check for f in s.failures}))
            parts.append(f"'{s.data}': {n} failing value(s) in {checks}")
        reason = "contract violated: " + "; ".join(parts)
        if len(reason) > 500:
            reason = reason[:497] + "..."
    return JobOutput("fail" if failed else "pass", reason, result)


PATTERN_TIMEOUT_S = 0.05  # per value; a pattern from a pull request must not hang the job


class RegexBudget:
    """Matching time the pattern checks of one job share (policy ``jobs.regexBudgetSeconds``).

    The per-value limit alone bounds one value, not a column of crafted ones
    (4,000 values × 50 ms is 200 s): once the shared budget is spent, no value is
    matched any more and the job is an error naming the column that spent it.
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.left = seconds
        self.exhausted_on: str | None = None

    def fullmatch(self, compiled: Any, value: str, column: str) -> bool:
        if self.exhausted_on is not None:
            return False
        t0 = time.perf_counter()
        try:
            return compiled.fullmatch(value, timeout=min(PATTERN_TIMEOUT_S, max(self.left, 0.001))) is not None
        except TimeoutError:
            return False
        finally:
            self.left -= time.perf_counter() - t0
            if self.left <= 0:
                self.exhausted_on = column

    def raise_if_exhausted(self, data_id: str) -> None:
        if self.exhausted_on is not None:
            raise JobError(f"the pattern check of column '{self.exhausted_on}' in '{data_id}' used up the job's "
                           f"{self.seconds:g} s regex budget (policy jobs.regexBudgetSeconds): the pattern is too "
                           "slow for this data (catastrophic backtracking?)")


def _pattern_check(pa: Any, pattern: str, column: str, budget: RegexBudget) -> Any:
    """Full-match check with a time limit per value and per job (a spec could hold a
    catastrophically backtracking pattern); a value that times out counts as a failure."""
    import regex

    compiled = regex.compile(pattern)

    def matches(value: Any) -> bool:
        return budget.fullmatch(compiled, str(value), column)

    return pa.Check(matches, element_wise=True, name=f"str_matches({pattern})", error=f"str_matches({pattern})")


MIN_DISTINCT = "min_distinct"


def _min_distinct_check(pa: Any, k: int) -> Any:
    """A column check: at least ``k`` distinct non-missing values (one verdict for the column, not per row)."""
    return pa.Check(lambda s: bool(s.dropna().nunique() >= k), name=f"{MIN_DISTINCT}({k})",
                    error=f"{MIN_DISTINCT}({k})")


def _with_distinct_values(f: ContractFailure, df: Any) -> ContractFailure:
    """A min-distinct failure's examples: first ``{"distinct": n, "missing": m}``, then the values observed with
    their rows (most frequent first, at most a few), so the report says what the column collapsed to."""
    if not f.check.startswith(MIN_DISTINCT) or f.column is None or f.column not in df.columns:
        return f
    col = df[f.column]
    counts = col.value_counts(dropna=True)
    examples: list[Any] = [{"distinct": int(len(counts)), "missing": int(col.isna().sum())}]
    examples += [{"value": _json_value(v), "rows": int(n)} for v, n in counts.head(MAX_EXAMPLES).items()]
    return f.model_copy(update={"examples": examples})
