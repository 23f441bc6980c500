"""Runner kind ``ranking-evaluate``: ranking metrics and fairness of exposure, intervals by query bootstrap.

Execution: :mod:`charter.jobs.ranking`; the metrics: :mod:`charter.metrics.ranking`.
Its result carries ``metrics``, ``slices``, ``champion`` and ``bootstrap`` like the
``evaluate`` kind's, so the ``metric`` requirement judges ranking metrics
(``ndcg@10``, ``mrr``...) unchanged; the ``exposure`` requirement judges the
exposure disparities. It stands for ``evaluate`` where a requirement asks for
offline evaluation evidence (``stands_for``, read by :func:`.base.standing_for`).
"""

from __future__ import annotations

from typing import Any, ClassVar

from ...evidence.records import Estimate
from ...spec.usecase import RankingEvaluateJob, UseCase
from ._shared import ResultModel, est, num, table, warnings_text
from .base import Checker, Loc, Reads, RunnerKind, task_spec
from .evaluate import MetricsBlock


class ExposureGroup(ResultModel):
    group: str
    items: int
    small: bool
    """Fewer items than the job's `minGroupSize`: reported, not compared."""
    exposure_share: float
    """Mean over queries of the group's share of the position-discounted attention."""
    relevant_share: float
    """Mean over queries of the group's share of the relevant items."""
    ratio: Estimate
    """exposure_share / relevant_share (1 = attention in proportion to relevance)."""


class ExposureBlock(ResultModel):
    attribute: str
    cutoff: int | None
    min_group_size: int
    n_queries: int
    groups: list[ExposureGroup]
    disparities: dict[str, Estimate]
    """exposure_ratio (min/max of the groups' ratios) and exposure_difference (max |exposure − relevance share|)."""
    small_groups: list[str] = []


class RankingResult(ResultModel):
    task: str = "ranking"
    source: str
    """'data:<id>'."""
    n: int
    """Rows (query, item pairs)."""
    n_queries: int
    """Queries the averages are over."""
    excluded_queries: int = 0
    """Queries without a relevant item left out (`noRelevant: exclude`)."""
    cutoffs: list[int]
    metrics: dict[str, Estimate]
    slices: dict[str, dict[str, MetricsBlock]] = {}
    """Slice column → value → metrics (``n`` counts queries)."""
    champion: dict[str, Estimate] | None = None
    exposure: dict[str, ExposureBlock] = {}
    """Group attribute → fairness of exposure."""
    bootstrap: dict[str, Any] = {}
    warnings: list[str] = []


class RankingEvaluate(RunnerKind[RankingResult]):
    name = "ranking-evaluate"
    description = "Ranking metrics (NDCG@k, MAP@k, MRR, precision@k, recall@k) and fairness of exposure."
    spec_model = RankingEvaluateJob
    result_model = RankingResult
    result_version = "1"
    backend = "charter.jobs.ranking"
    packages = ("numpy", "pandas")
    section = "evaluation"
    stands_for: ClassVar[tuple[str, ...]] = ("evaluate",)
    """A ranking use case's offline evaluation: it satisfies requirements asking for `evaluate` evidence."""

    def reads(self, repo: Any, uc: UseCase, job: Any) -> Reads:
        return Reads(spec={"task": task_spec(uc)}, data=[job.data], seed=job.bootstrap.seed)

    def crossref(self, check: Checker, uc: UseCase, job: Any, loc: Loc) -> None:
        if uc.task is None:
            check.err("CH034", loc, "ranking evaluation needs the use case's 'task'")
        elif uc.task.type.value != "ranking":
            check.err("CH034", loc + ["runner"], f"'ranking-evaluate' evaluates ranking tasks, not "
                      f"{uc.task.type.value}", "use `runner: evaluate`, or set `task.type: ranking`")
        if not check.ref(loc + ["data"], job.data, [d.id for d in uc.data], "data source"):
            return
        for attr in ("query", "item", "grade", "score"):
            check.column(loc + [attr], uc, job.data, getattr(job, attr))
        for i, col in enumerate(job.slices):
            check.column(loc + ["slices", i], uc, job.data, col)
        for i, e in enumerate(job.exposure):
            check.column(loc + ["exposure", i, "attribute"], uc, job.data, e.attribute)
        if len(set(job.cutoffs)) != len(job.cutoffs):
            check.err("CH034", loc + ["cutoffs"], "a cut-off is listed twice", "list each k once")

    def format(self, result: RankingResult) -> list[str]:
        boot = result.bootstrap
        ci = f"{int(boot.get('confidence', 0.95) * 100)}% interval over queries" if boot.get("replicates") \
            else "no intervals"
        out = [f"  ranking on {result.n} rows, {result.n_queries} queries from {result.source} ({ci})"]
        if result.excluded_queries:
            out.append(f"  {result.excluded_queries} queries without a relevant item left out")
        out.extend(table([[m, est(e)] for m, e in result.metrics.items()]))
        for col, values in result.slices.items():
            out.append(f"  slices by {col}:")
            names = list(next(iter(values.values())).metrics) if values else []
            rows = [["value", "queries"] + names]
            rows += [[val, str(b.n)] + [num(b.metrics[m].value) for m in names] for val, b in values.items()]
            out.extend(table(rows))
        for attr, block in result.exposure.items():
            top = f"top {block.cutoff}" if block.cutoff else "whole list"
            out.append(f"  exposure by {attr} ({top}, groups under {block.min_group_size} items flagged):")
            rows = [["group", "items", "exposure", "relevant", "ratio"]]
            rows += [[g.group + (" (small)" if g.small else ""), str(g.items), num(g.exposure_share),
                      num(g.relevant_share), est(g.ratio)] for g in block.groups]
            out.extend(table(rows))
            out.extend(table([[d, est(e)] for d, e in block.disparities.items()]))
        out.extend(warnings_text(result.warnings))
        return out


KIND = RankingEvaluate()
