"""Runner ``ranking-evaluate``: ranking metrics and fairness of exposure on one data source.

The rows are read as text first so every malformed value can be reported with the
file and its line (the header is line 1): a missing query or item id, a grade
or score that is not a number (or a negative grade), a duplicate (query, item)
pair, a query with no relevant item (unless the job's ``noRelevant`` accepts it).
The job passes when the metrics were computed; thresholds are judged by gates.
"""

from __future__ import annotations

from typing import Any

from ..evidence.records import Estimate
from ..kinds.runners.evaluate import MetricsBlock
from ..kinds.runners.ranking import ExposureBlock, ExposureGroup, RankingResult
from .base import JobContext, JobError, JobOutput
from .data import read_table, require_columns


def _estimate(d: dict[str, Any]) -> Estimate:
    ci = d.get("ci")
    return Estimate(value=d.get("value"), low=ci[0] if ci else None, high=ci[1] if ci else None,
                    reason=d.get("reason"))


def _line(row: int) -> int:
    """File line of a 0-based data row (line 1 is the header)."""
    return row + 2


def load(ctx: JobContext) -> tuple[Any, str]:
    """The job's columns as text, checked row by row; (frame, label)."""
    import numpy as np
    import pandas as pd

    job = ctx.job
    src = ctx.source(job.data)
    label = f"'{src.path}'"
    path = ctx.data_path(job.data)
    cols = list(dict.fromkeys([job.query, job.item, job.grade, job.score, *job.slices,
                               *(e.attribute for e in job.exposure)]))
    if path.name.lower().endswith((".parquet", ".pq")):
        df = read_table(path, label=label, columns=cols)
        df = df[cols].astype(object).where(df[cols].notna(), None)
        df = df.apply(lambda c: c.map(lambda v: None if v is None else str(v)))
    else:
        try:
            df = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[], encoding="utf-8",
                             encoding_errors="strict", sep="\t" if path.name.lower().endswith(".tsv") else ",")
        except UnicodeDecodeError as exc:
            raise JobError(f"{label} is not valid UTF-8 (byte {exc.start}): {exc.reason}") from None
        except pd.errors.EmptyDataError:
            raise JobError(f"{label} is empty: no columns to read") from None
        except pd.errors.ParserError as exc:
            raise JobError(f"{label} cannot be parsed as CSV: {str(exc).strip()}") from None
        df.columns = [str(c) for c in df.columns]
        require_columns(df, cols, label)
        df = df[cols].apply(lambda c: c.str.strip()).replace("", None)
    if len(df) == 0:
        raise JobError(f"{label} holds no rows to rank")
    for col, what in ((job.query, "query id"), (job.item, "item id")):
        bad = np.flatnonzero(df[col].isna().to_numpy())
        if bad.size:
            raise JobError(f"{label} line {_line(int(bad[0]))}: missing {what} (column '{col}')"
                           + (f"; {bad.size} rows in all" if bad.size > 1 else ""))
    for col, what in ((job.grade, "relevance grade"), (job.score, "score")):
        raw = df[col]
        nums = pd.to_numeric(raw, errors="coerce")
        bad = np.flatnonzero((nums.isna() | ~np.isfinite(nums.fillna(0.0))).to_numpy())
        if bad.size:
            i = int(bad[0])
            shown = raw.iloc[i]
            raise JobError(f"{label} line {_line(i)}: {what} {shown!r} in column '{col}' is not a number"
                           if shown is not None else f"{label} line {_line(i)}: missing {what} (column '{col}')")
        df[col] = nums.astype(np.float64)
    neg = np.flatnonzero((df[job.grade] < 0).to_numpy())
    if neg.size:
        i = int(neg[0])
        raise JobError(f"{label} line {_line(i)}: relevance grade {df[job.grade].iloc[i]:g} is negative")
    for col in [*job.slices, *(e.attribute for e in job.exposure)]:
        bad = np.flatnonzero(df[col].isna().to_numpy())
        if bad.size:
            raise JobError(f"{label} line {_line(int(bad[0]))}: missing value in column '{col}'")
    return df, label


def run(ctx: JobContext) -> JobOutput:
    from ..metrics.ranking import RankingDataError, evaluate_ranking, exposure_report

    job = ctx.job
    df, label = load(ctx)
    b = job.bootstrap
    try:
        report = evaluate_ranking(
            df[job.query].to_numpy(), df[job.item].to_numpy(), df[job.grade].to_numpy(), df[job.score].to_numpy(),
            cutoffs=list(job.cutoffs), relevant_grade=float(job.relevant_grade), no_relevant=job.no_relevant,
            slices={c: df[c].to_numpy() for c in job.slices}, n_boot=b.replicates, confidence=b.confidence,
            seed=b.seed)
    except RankingDataError as exc:
        where = f" line {_line(exc.row)}" if exc.row is not None else ""
        first = f" (first on line {_line(exc.first)})" if exc.first is not None else ""
        raise JobError(f"{label}{where}: {exc}{first}") from None
    warnings: list[str] = []
    if report["excluded_queries"]:
        warnings.append(f"{report['excluded_queries']} queries without a relevant item are left out of every average")
    slices: dict[str, dict[str, MetricsBlock]] = {}
    for s in report["slices"]:
        slices.setdefault(s["column"], {})[s["value"]] = MetricsBlock(
            n=s["n_queries"], metrics={m: _estimate(v) for m, v in s["metrics"].items()})
        if s["n_queries"] < 30:
            warnings.append(f"slice {s['column']}={s['value']} has only {s['n_queries']} queries")
    exposure: dict[str, ExposureBlock] = {}
    for i, e in enumerate(job.exposure):
        rep = exposure_report(report["ranked"], df[e.attribute].to_numpy(), keep=report["keep"], cutoff=e.cutoff,
                              min_group_size=e.min_group_size, n_boot=b.replicates, confidence=b.confidence,
                              seed=b.seed + 1 + i)
        exposure[e.attribute] = ExposureBlock(
            attribute=e.attribute, cutoff=e.cutoff, min_group_size=e.min_group_size, n_queries=rep["n_queries"],
            groups=[ExposureGroup(group=g["group"], items=g["items"], small=g["small"],
                                  exposure_share=g["exposure_share"], relevant_share=g["relevant_share"],
                                  ratio=_estimate(g["ratio"])) for g in rep["groups"]],
            disparities={d: _estimate(v) for d, v in rep["disparities"].items()},
            small_groups=rep["small_groups"])
        if rep["small_groups"]:
            warnings.append(f"exposure by {e.attribute}: groups under {e.min_group_size} items are not compared: "
                            + ", ".join(rep["small_groups"]))
    result = RankingResult(
        source=f"data:{job.data}", n=report["n_rows"], n_queries=report["n_queries"],
        excluded_queries=report["excluded_queries"], cutoffs=list(job.cutoffs),
        metrics={m: _estimate(v) for m, v in report["metrics"].items()}, slices=slices, exposure=exposure,
        bootstrap={"replicates": b.replicates, "confidence": b.confidence, "seed": b.seed, "interval": "percentile",
                   "method": "queries resampled with replacement"},
        warnings=warnings)
    return JobOutput("pass", None, result)
