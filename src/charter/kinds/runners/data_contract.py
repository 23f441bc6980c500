"""Runner kind ``data-contract``: validate data sources against their contracts (pandera).

Execution: :mod:`charter.jobs.data_contract`. A contract job *guards* the sources
it checks: every job reading one of them depends on it and is skipped, with the
contract's findings as the reason, when that source breaks its contract.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from typing import Any

from ...evidence.records import EvidenceRecord
from ...spec.usecase import DataContractJob, UseCase
from ._shared import ResultModel, num
from .base import PHASE_CHECK, Checker, Loc, Reads, RunnerKind


class ContractFailure(ResultModel):
    column: str | None
    check: str
    failures: int
    examples: list[Any] = []


class ContractSource(ResultModel):
    data: str
    path: str
    sha256: str
    rows: int | None
    passed: bool
    failures: list[ContractFailure] = []


class DataContractResult(ResultModel):
    sources: list[ContractSource]


# Readable names of the checks in a skip reason ("1 row breaks `f3` not-null").
_CHECK_NAMES = {"not_nullable": "not-null", "unique": "unique"}


def _finding(f: ContractFailure) -> str:
    if f.check == "missing_column":
        return f"column `{f.column}` is missing"
    if f.check == "undeclared_column":
        return f"column `{f.column}` is not declared"
    if f.check == "readable":
        return f"the file cannot be read ({f.examples[0] if f.examples else 'unreadable'})"
    if f.column is None:
        return f"the table breaks {f.check}"
    if f.check.startswith("min_distinct(") and f.check.endswith(")"):
        summary = next((x for x in f.examples if isinstance(x, dict) and "distinct" in x), {})
        seen = [f"{x['value']}: {x.get('rows', 0):,}" for x in f.examples if isinstance(x, dict) and "value" in x]
        counts = "; ".join(seen + [f"missing: {summary.get('missing', 0):,}"])
        return (f"column `{f.column}` has {summary.get('distinct', len(seen))} distinct value(s) ({counts}), "
                f"at least {f.check[len('min_distinct('):-1]} required")
    rows = "1 row breaks" if f.failures == 1 else f"{f.failures} rows break"
    return f"{rows} `{f.column}` {_CHECK_NAMES.get(f.check, f.check)}"


class DataContract(RunnerKind[DataContractResult]):
    name = "data-contract"
    description = "Validate data sources against their contracts (pandera)."
    spec_model = DataContractJob
    result_model = DataContractResult
    result_version = "1"
    backend = "charter.jobs.data_contract"
    packages = ("pandera", "pandas", "numpy")
    phase = PHASE_CHECK
    section = "contracts"

    def reads(self, repo: Any, uc: UseCase, job: Any) -> Reads:
        return Reads(spec={}, data=self.guards(uc, job))

    def guards(self, uc: UseCase, job: Any) -> list[str]:
        return list(job.data) if job.data is not None else [d.id for d in uc.data if d.contract is not None]

    def crossref(self, check: Checker, uc: UseCase, job: Any, loc: Loc) -> None:
        ids = [d.id for d in uc.data]
        for k, v in enumerate(job.data or []):
            check.ref(loc + ["data", k], v, ids, "data source")

    def blocks(self, record: EvidenceRecord, reads: Collection[str]) -> str | None:
        if record.status == "pass":
            return None
        res = self.result(record)
        if record.status == "error" or res is None:
            return f"data contract '{record.job}' could not run: {record.reason or record.status}"
        failed = [s for s in res.sources if not s.passed and (not reads or s.data in reads)]
        if not failed:
            return None  # only sources this job does not read broke their contract
        several = len(res.sources) > 1
        parts = []
        for s in failed:
            findings = "; ".join(_finding(f) for f in s.failures) or "it failed"
            parts.append(f"'{s.data}': {findings}" if several else findings)
        return f"data contract '{record.job}' failed: " + "; ".join(parts)

    def format(self, result: DataContractResult) -> list[str]:
        out: list[str] = []
        for s in result.sources:
            out.append(f"  source {s.data} ({s.path}): {'passed' if s.passed else 'FAILED'}, {num(s.rows)} rows")
            for f in s.failures:
                ex = ", ".join(json.dumps(x, ensure_ascii=False) for x in f.examples[:3])
                out.append(f"    {f.column or '(table)'}: {f.check} – {f.failures} failing" + (f"; e.g. {ex}" if ex else ""))
        return out


KIND = DataContract()
