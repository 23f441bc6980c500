"""Runner kind ``drift``: schema and distribution drift of current data against a reference.

Execution: :mod:`charter.jobs.drift`. It reads two data sources and depends on
the contract jobs that check either of them.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from ...spec.usecase import DriftJob, UseCase
from ._shared import ResultModel, num, table
from .base import Checker, Loc, Reads, RunnerKind


class DriftFeature(ResultModel):
    name: str
    kind: Literal["numeric", "categorical"]
    method: str
    statistic: float | None
    p_value: float | None = None
    psi: float | None = None
    threshold: float
    drifted: bool


class DriftResult(ResultModel):
    reference: str
    current: str
    schema_changes: dict[str, list[Any]]
    """added / removed / retyped columns."""
    features: list[DriftFeature]
    drift_share: float
    drifted: bool
    thresholds: dict[str, float]
    skipped: dict[str, str] = {}
    """Features not compared, with the reason."""


class Drift(RunnerKind[DriftResult]):
    name = "drift"
    description = "Schema and distribution drift of current data against a reference."
    spec_model = DriftJob
    result_model = DriftResult
    result_version = "1"
    backend = "charter.jobs.drift"
    packages = ("numpy", "pandas", "scipy")
    section = "drift"

    def reads(self, repo: Any, uc: UseCase, job: Any) -> Reads:
        return Reads(spec={}, data=[job.reference, job.current])

    def crossref(self, check: Checker, uc: UseCase, job: Any, loc: Loc) -> None:
        data_ids = [d.id for d in uc.data]
        check.ref(loc + ["reference"], job.reference, data_ids, "data source")
        check.ref(loc + ["current"], job.current, data_ids, "data source")
        if job.reference == job.current:
            check.err("CH034", loc + ["current"], "drift compares two different data sources")
        for k, f in enumerate(job.features or []):
            if job.reference in data_ids:
                check.column(loc + ["features", k], uc, job.reference, f)

    def format(self, result: DriftResult) -> list[str]:
        out = [f"  {result.current} vs {result.reference}: drift share {num(result.drift_share)}"
               f" ({'drifted' if result.drifted else 'no drift'})"]
        sc = result.schema_changes
        if any(sc.get(k) for k in ("added", "removed", "retyped")):
            out.append(f"  schema changes: {json.dumps(sc, ensure_ascii=False)}")
        rows = [["feature", "kind", "method", "statistic", "p-value", "psi", "threshold", "drifted"]]
        for f in result.features:
            rows.append([f.name, f.kind, f.method, num(f.statistic), num(f.p_value), num(f.psi), num(f.threshold),
                         "yes" if f.drifted else "no"])
        out.extend(table(rows))
        return out


KIND = Drift()
