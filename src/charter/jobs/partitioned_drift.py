"""Runner ``drift`` when the reference or the current data (or both) is a partitioned Parquet data set.

Neither side is loaded whole: each partition is read in batches of
``partitioned.BATCH_ROWS`` rows and reduced to the mergeable column statistics of
:mod:`charter.metrics.sufficient_drift` (first pass); numeric features with too
many distinct values for exact counts are counted on a grid in a second pass.
Partitions are tasks on the job's Dask cluster when it runs on one
(:func:`charter.jobs.partitioned.map_partitions`). A side that is one Parquet
file is read the same way (as one partition); a CSV side is read in memory.

Every partition of a side must have the same columns (a clear error names the
first that differs). Categorical statistics and schema drift equal the
in-memory runner's exactly; numeric ones exactly unless a feature falls back to
the grid, whose bounds are recorded on the feature (``bound``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..loading.datasets import is_dataset, partition_name, partitions
from .base import JobContext, JobError
from .data import PARQUET_SUFFIXES


def _label(spec: dict[str, Any], part: Path) -> str:
    if spec["root"] == str(part):
        return f"'{spec['source']}'"
    return f"'{spec['source']}' partition '{partition_name(Path(spec['root']), part)}'"


def column_stats(part: Path, spec: dict[str, Any]) -> tuple[list[str], dict[str, Any]]:
    """First pass over one partition: its column names and each column's statistics (``spec["collect"]`` says which)."""
    from ..metrics.sufficient_drift import frame_stats, merge_columns
    from .partitioned import batches

    label = _label(spec, part)
    names: list[str] | None = None
    merged: dict[str, Any] = {}
    for frame in batches(part, None, label):
        if names is None:
            names = [str(c) for c in frame.columns]
            wanted = [c for c in spec["required"] if c not in names]
            if wanted:
                raise JobError(f"{label} has no column(s) {', '.join(repr(c) for c in wanted)}; columns: "
                               f"{', '.join(names[:20])}")
        merged = merge_columns([merged, frame_stats(frame, spec["collect"])])
    if names is None:  # no row at all: the schema still gives the columns and their dtypes
        import pyarrow.parquet as pq

        frame = pq.ParquetFile(part).schema_arrow.empty_table().to_pandas()
        names = [str(c) for c in frame.columns]
        merged = frame_stats(frame, spec["collect"])
    return names, merged


def grid_pass(part: Path, spec: dict[str, Any]) -> dict[str, Any]:
    """Second pass over one partition: per feature of ``spec["grids"]``, its values' counts on that grid."""
    import numpy as np
    import pandas as pd

    from .partitioned import batches

    grids: dict[str, Any] = spec["grids"]
    out: dict[str, Any] = {}
    for frame in batches(part, list(grids), _label(spec, part)):
        for name, g in grids.items():
            x = pd.to_numeric(frame[name], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
            counts = g.counts(x[np.isfinite(x)])
            out[name] = out[name] + counts if name in out else counts
    return out


class _Side:
    """One data source: its partitions (a Parquet file is one), or its rows in memory (CSV)."""

    def __init__(self, ctx: JobContext, data_id: str) -> None:
        src = ctx.source(data_id)
        self.path = ctx.data_path(data_id)  # the pinned hash is checked first
        self.base = {"root": str(self.path), "source": src.path}
        self.frame: Any = None
        if is_dataset(self.path):
            self.parts = partitions(self.path)
        elif self.path.name.lower().endswith(PARQUET_SUFFIXES):
            self.parts = [self.path]
        else:
            self.parts = []
            self.frame = ctx.read(data_id)

    def stats(self, collect: dict[str, str], required: list[str]) -> tuple[list[str], dict[str, Any]]:
        from ..metrics.sufficient_drift import frame_stats, merge_columns
        from .partitioned import map_partitions

        if self.frame is not None:
            from .data import require_columns

            require_columns(self.frame, required, f"'{self.base['source']}'")
            return [str(c) for c in self.frame.columns], frame_stats(self.frame, collect)
        outs = map_partitions(column_stats, self.parts, {**self.base, "collect": collect, "required": required})
        names = outs[0][0] if outs else []
        for part, (cols, _) in zip(self.parts, outs, strict=True):
            if cols != names:
                missing = [c for c in names if c not in cols]
                extra = [c for c in cols if c not in names]
                what = "; ".join(x for x in (f"missing {', '.join(map(repr, missing))}" if missing else "",
                                             f"extra {', '.join(map(repr, extra))}" if extra else "",
                                             "in another order" if not (missing or extra) else "") if x)
                raise JobError(f"{_label(self.base, part)} does not have the columns of "
                               f"{_label(self.base, self.parts[0])} ({what}); every partition needs the same columns")
        return names, merge_columns([o[1] for o in outs])

    def grid(self, grids: dict[str, Any]) -> dict[str, Any]:
        import numpy as np
        import pandas as pd

        from .partitioned import map_partitions

        if not grids:
            return {}
        if self.frame is not None:
            out = {}
            for name, g in grids.items():
                x = pd.to_numeric(self.frame[name], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
                out[name] = g.counts(x[np.isfinite(x)])
            return out
        parts = map_partitions(grid_pass, self.parts, {**self.base, "grids": grids})
        total: dict[str, Any] = {}
        for p in parts:  # a partition without rows has no counts
            for name, counts in p.items():
                total[name] = total[name] + counts if name in total else counts
        return total


def drift_report(ctx: JobContext) -> dict[str, Any]:
    """The report of :func:`charter.metrics.drift_report` for the job's sources, partition by partition."""
    from ..metrics.drift import DEFAULT_BINS, DEFAULT_LARGE_SAMPLE, _thresholds, compare_features, \
        numeric_shares, schema_changes
    from ..metrics.bootstrap import to_float
    from ..metrics.sufficient_drift import MAX_CATEGORIES, Grid, categorical_counts, compare_numeric
    from ..metrics.drift import categorical_compare

    job = ctx.job
    try:
        limits = _thresholds(dict(job.thresholds))
    except ValueError as exc:
        raise JobError(f"cannot compute drift: {exc}") from None
    ref_side, cur_side = _Side(ctx, job.reference), _Side(ctx, job.current)
    features = list(job.features) if job.features else None
    cat = [str(c) for c in (job.categorical or [])]
    collect: dict[str, str] = {"*": "auto" if features is None else "dtype"}
    for f in features or []:
        collect[f] = "auto"
    for name in cat:
        collect[name] = "categorical"
    ref_cols, ref = ref_side.stats(collect, features or [])
    cur_cols, cur = cur_side.stats(collect, [])
    ref_dtypes = {n: ref[n].dtype for n in ref_cols}
    cur_dtypes = {n: cur[n].dtype for n in cur_cols}
    bins = DEFAULT_BINS

    grids: dict[str, Any] = {}
    for name in ref_cols:
        rs, cs = ref[name], cur.get(name)
        if cs is None or rs.kind != "numeric" or cs.kind != "numeric" or not rs.finite or not cs.finite:
            continue
        if rs.summary == "grid" or cs.summary == "grid":
            grids[name] = Grid.of(min(rs.low, cs.low), max(rs.high, cs.high), min(rs.low_positive, cs.low_positive),
                                  max(rs.high_negative, cs.high_negative))
    ref_grid, cur_grid = ref_side.grid(grids), cur_side.grid(grids)

    def numeric(name: str) -> dict[str, Any]:
        r, c = ref[name], cur[name]
        if r.kind != "numeric" or c.kind != "numeric":
            return {"skip": "not summarised as numeric on every partition"}
        out = numeric_shares(r.rows, r.finite, c.rows, c.finite)
        if "reason" in out:
            return out
        grid = (grids[name], ref_grid[name], cur_grid[name]) if name in grids else None
        out.update(compare_numeric(r, c, bins, grid))
        return out

    def categorical_of(name: str) -> dict[str, Any]:
        r, c = ref[name], cur[name]
        if r.kind != "categorical" or c.kind != "categorical":
            return {"skip": "not summarised as categorical on every partition"}
        if r.counts is None or c.counts is None:
            return {"skip": f"more than {MAX_CATEGORIES:,} distinct values: not counted on a partitioned data set"}
        labels, rc, cc = categorical_counts(r, c)
        return categorical_compare(labels, rc, cc, to_float(r.missing / r.rows) if r.rows else None,
                                   to_float(c.missing / c.rows) if c.rows else None)

    try:
        return compare_features(schema_changes(ref_dtypes, cur_dtypes), ref_dtypes, cur_dtypes, numeric,
                                categorical_of, features=features, categorical=cat, limits=limits, methods=None,
                                large_sample=DEFAULT_LARGE_SAMPLE)
    except ValueError as exc:
        raise JobError(f"cannot compute drift: {exc}") from None


def is_partitioned_drift(ctx: JobContext) -> bool:
    """Whether either side of the drift job is a partitioned data set."""
    from .partitioned import is_partitioned

    return is_partitioned(ctx, ctx.job.reference) or is_partitioned(ctx, ctx.job.current)
