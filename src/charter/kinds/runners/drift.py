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


class DriftBound(ResultModel):
    """How far a numeric feature's statistics of a partitioned data set may lie from the in-memory ones.

    Recorded when the feature had too many distinct values for exact counts and was
    counted on a grid between the smallest and largest value (equal cells and cells of
    equal relative width; :class:`charter.metrics.sufficient_drift.Grid`).
    """

    grid_points: int
    ks_statistic: float
    """The exact Kolmogorov–Smirnov statistic lies within ± this of the recorded one."""
    p_value: list[float]
    """[low, high]: the KS p-values of the largest and smallest statistic the grid allows."""
    psi_edges: float
    """Each PSI bin edge lies within this distance of the reference quantile (PSI is exact for the edges used)."""


class DriftFeature(ResultModel):
    name: str
    kind: Literal["numeric", "categorical"]
    method: str
    statistic: float | None
    p_value: float | None = None
    psi: float | None = None
    threshold: float
    drifted: bool
    summary: Literal["values", "counts", "grid"] | None = None
    """Numeric features of partitioned data: kept whole or counted per distinct value (both exact), or on a grid."""
    bound: DriftBound | None = None
    """Error bounds of a feature counted on a grid."""


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
    result_version = "2"
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
        for f in result.features:
            if f.bound is not None:
                out.append(f"  {f.name}: counted on a grid of {f.bound.grid_points} points; KS statistic within "
                           f"±{num(f.bound.ks_statistic)}, p-value in [{num(f.bound.p_value[0])}, "
                           f"{num(f.bound.p_value[1])}], PSI edges within {num(f.bound.psi_edges)}")
        return out


KIND = Drift()
