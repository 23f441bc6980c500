"""Evaluation, fairness and data contracts on a partitioned Parquet data set, partition by partition.

A data source whose path is a folder (:mod:`charter.loading.datasets`) is never
loaded whole by these runners: each partition is read in batches of
``BATCH_ROWS`` rows, only the columns the job needs, and reduced to the
mergeable statistics of :mod:`charter.metrics.sufficient`. Peak memory is one
batch plus the statistics, whatever the number of rows.

Partitions are independent tasks. In a job running on a ``dask.distributed``
worker (``charter run --executor dask``) they are submitted to the same cluster
(the job's thread leaves the worker's pool while it waits, so the partitions use
every worker); elsewhere they run one after another in the job's process. The
per-partition statistics merge in one fixed pairwise tree either way
(:func:`reduce_partitions`), so the result does not depend on where they ran.

Results equal the in-memory runners' on the same rows (``tests/dask``): counts,
and every metric and interval computed from counts, exactly; log loss and Brier
up to floating-point rounding; ROC AUC within the bound recorded in the result's
``bootstrap.sketch``. Score metrics carry no bootstrap interval. Regression
evaluation: MAE, RMSE and R² from per-slice sums (:mod:`charter.metrics.sufficient_regression`)
up to floating-point rounding, without intervals. Drift: :mod:`charter.jobs.partitioned_drift`.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from ..loading.datasets import is_dataset, partition_name, partitions
from .base import JobContext, JobError, JobOutput

BATCH_ROWS = 1_000_000
"""Rows read at once from a partition (bounds memory for partitions of any size)."""


def is_partitioned(ctx: JobContext, data_id: str | None) -> bool:
    """Whether the data source ``data_id`` is a partitioned data set (a folder); its hash is not checked here."""
    if data_id is None:
        return False
    src = ctx.use_case.source(data_id)
    if src is None:
        return False
    from ..loading.files import PathEscape, resolve_inside

    try:
        return is_dataset(resolve_inside(ctx.root, ctx.usecase_dir, src.path))
    except PathEscape:
        return False


def _pyarrow() -> Any:
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise JobError("reading a partitioned Parquet data set needs 'pyarrow' "
                       "(pip install 'charter-governance[parquet]')") from None
    return pq


def batches(path: Path, columns: list[str] | None, label: str, batch_rows: int = BATCH_ROWS) -> Iterator[Any]:
    """DataFrames of at most ``batch_rows`` rows of one partition (only ``columns``), each with its row offset."""
    pq = _pyarrow()
    try:
        pf = pq.ParquetFile(path)
        have = set(pf.schema_arrow.names)
        if columns is not None:
            missing = [c for c in dict.fromkeys(columns) if c not in have]
            if missing:
                raise JobError(f"{label} has no column(s) {', '.join(repr(c) for c in missing)}; columns: "
                               f"{', '.join(list(pf.schema_arrow.names)[:20])}")
        offset = 0
        for batch in pf.iter_batches(batch_size=batch_rows, columns=columns, use_pandas_metadata=False):
            frame = batch.to_pandas()
            frame.columns = [str(c) for c in frame.columns]
            frame.index = range(offset, offset + len(frame))
            offset += len(frame)
            yield frame
    except JobError:
        raise
    except (OSError, ValueError) as exc:  # pyarrow's ArrowInvalid is a ValueError
        raise JobError(f"{label} cannot be read as Parquet: {exc}") from None


def read_dataset(path: Path, *, label: str, columns: list[str] | None = None) -> Any:
    """The whole data set as one DataFrame (runners without a partitioned path; small data sets)."""
    import pandas as pd

    parts: list[Any] = []
    for part in partitions(path):
        parts.extend(batches(part, None, f"{label} partition '{partition_name(path, part)}'"))
    frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    if columns is not None:
        from .data import require_columns

        require_columns(frame, columns, label)
    return frame


def _in_dask_worker() -> bool:
    # a dask worker has imported distributed; importing it only to ask would cost a local job 0.4 s
    if "distributed" not in sys.modules:
        return False
    from distributed import get_worker

    try:
        get_worker()
    except ValueError:
        return False
    return True


def map_partitions(fn: Callable[..., Any], parts: list[Path], *args: Any, client: Any = None) -> list[Any]:
    """``[fn(part, *args) for part in parts]``: on the dask cluster this job runs on (or ``client``), else here."""
    if client is not None:
        futures = client.map(fn, parts, *[[a] * len(parts) for a in args], pure=False)
        return list(client.gather(futures))
    if len(parts) > 1 and _in_dask_worker():
        from distributed import worker_client

        with worker_client() as wc:  # leaves the worker's thread pool while the partitions run
            futures = wc.map(fn, parts, *[[a] * len(parts) for a in args], pure=False)
            return list(wc.gather(futures))
    return [fn(p, *args) for p in parts]


def reduce_partitions(fn: Callable[..., Any], merge: Callable[[Any, Any], Any], parts: list[Path], *args: Any,
                      client: Any = None) -> Any:
    """``fn(part, *args)`` of every partition merged with ``merge`` into one, in a fixed pairwise tree.

    The tree pairs neighbours (0 with 1, 2 with 3, ...; an odd last one goes up alone) level by
    level, wherever it runs, so floating-point sums come out the same on a cluster and here. On a
    cluster each task reduces a block of the tree (:func:`blocks`) and this process merges the
    blocks' results above them, a few per cluster thread rather than one a partition.
    """
    if client is None and len(parts) > 1 and _in_dask_worker():
        from distributed import worker_client

        with worker_client() as wc:  # leaves the worker's thread pool while the partitions run
            return _tree(wc, fn, merge, parts, args)
    if client is not None:
        return _tree(client, fn, merge, parts, args)
    return _streamed(fn, merge, parts, args)


def _streamed(fn: Callable[..., Any], merge: Callable[[Any, Any], Any], parts: list[Any],
              args: tuple[Any, ...]) -> Any:
    """The pairwise tree over ``parts``, computed here as they come: one partial result per level is alive."""
    return _fold(((0, fn(p, *args)) for p in parts), merge)


def _fold(subtrees: Iterable[tuple[int, Any]], merge: Callable[[Any, Any], Any]) -> Any:
    """The pairwise tree's root from its subtrees ``(height, value)``, left to right as they come.

    Single partitions (height 0) or the aligned blocks of :func:`blocks` (a whole node each, never
    larger than the one before): a subtree merges with the one on its left while their heights are
    equal (they are siblings); what is left at the end merges from the right, where the tree's odd
    last nodes went up alone.
    """
    stack: list[tuple[int, Any]] = []
    for height, value in subtrees:
        while stack and stack[-1][0] == height:
            value = merge(stack.pop()[1], value)
            height += 1
        stack.append((height, value))
    while len(stack) > 1:
        right = stack.pop()[1]
        stack[-1] = (stack[-1][0], merge(stack[-1][1], right))
    return stack[0][1] if stack else None


SHARES_PER_THREAD = 1
"""How finely a cluster's tasks split the partitions still to do: a task takes at most the remainder's
1/(this × the cluster's threads), so tasks shrink towards the end and the workers finish together."""


def blocks(n: int, threads: int) -> list[tuple[int, int]]:
    """The cluster's leaf tasks for ``n`` partitions: ``(level, index)`` nodes of the pairwise tree, largest first.

    A node at level ``h`` covers partitions ``[index·2^h, (index+1)·2^h)`` (cut at ``n``), and one task
    reduces it with the same streamed tree as here, so the result does not depend on the cut. Every
    task costs the scheduler, the worker's event loop and the client a few milliseconds, a partition's
    statistics tens: large blocks first, then ever smaller ones, so that no worker waits long for the
    last one (sizes that never grow keep every block aligned to its size: a node of the tree).
    """
    out: list[tuple[int, int]] = []
    start = 0
    while start < n:
        share = max(1, (n - start) // (SHARES_PER_THREAD * max(1, threads)))
        level = share.bit_length() - 1
        while start % (1 << level):
            level -= 1
        out.append((level, start >> level))
        start += 1 << level
    return out


def _block(parts: list[Any], fn: Callable[..., Any], merge: Callable[[Any, Any], Any], args: tuple[Any, ...]) -> Any:
    return _streamed(fn, merge, parts, args)


def _tree(client: Any, fn: Callable[..., Any], merge: Callable[[Any, Any], Any], parts: list[Any],
          args: tuple[Any, ...]) -> Any:
    """The pairwise tree on a cluster: :func:`blocks` as tasks (the largest first), merged here as they come.

    The merges are not tasks: a merge task waits on a worker for its inputs to come from the other
    worker, holding one of that worker's task slots while it waits (the workers sat idle up to half a
    second at a time). A job has a few blocks per cluster thread, each result the size of one
    partition's statistics. A block that fails (or a Ctrl-C here) cancels the blocks still to come.
    """
    if not parts:
        return None
    try:
        threads = sum(client.nthreads().values())
    except Exception:  # noqa: BLE001 - a client that cannot say: one task a partition
        threads = len(parts)
    leaves = blocks(len(parts), threads)
    futures = [client.submit(_block, parts[index << level:(index + 1) << level], fn, merge, args, pure=False,
                             priority=-rank)  # earlier blocks run first: they are the larger ones
               for rank, (level, index) in enumerate(leaves)]
    try:
        return _fold(((level, _taken(future)) for (level, _), future in zip(leaves, futures, strict=True)), merge)
    finally:
        for future in futures:
            if not future.done():  # none when all went well; the rest of a failed job's blocks otherwise
                future.cancel()


def _taken(future: Any) -> Any:
    """A block's result, which its worker may then forget."""
    value = future.result()
    future.release()
    return value


def merge_prediction_stats(a: tuple[Any, Any], b: tuple[Any, Any]) -> tuple[Any, Any]:
    """Two :func:`prediction_stats` outcomes as one (counts and score grids merged key set by key set)."""
    counts = [x.merge(y) for x, y in zip(a[0], b[0], strict=True)]
    hists = None if a[1] is None else [x.merge(y) for x, y in zip(a[1], b[1], strict=True)]
    return counts, hists


# --------------------------------------------------------------------------- predictions' statistics


def _prediction_columns(ref: Any, extra: list[str]) -> list[str]:
    return list(dict.fromkeys([c for c in (ref.label, ref.score, ref.prediction) if c] + extra))


def arrow_batches(path: Path, columns: list[str], label: str, batch_rows: int = BATCH_ROWS) -> Iterator[Any]:
    """pyarrow RecordBatches of at most ``batch_rows`` rows of one partition, only ``columns``, with their offset."""
    pq = _pyarrow()
    try:
        import pyarrow as pa

        pf = pq.ParquetFile(path)
        text = [f.name for f in pf.schema_arrow if f.name in columns and pa.types.is_string(f.type)]
        if text:  # text columns as dictionaries: the codes come without hashing every value again
            pf = pq.ParquetFile(path, read_dictionary=text)
        names = list(pf.schema_arrow.names)
        missing = [c for c in dict.fromkeys(columns) if c not in names]
        if missing:
            raise JobError(f"{label} has no column(s) {', '.join(repr(c) for c in missing)}; columns: "
                           f"{', '.join(names[:20])}")
        offset = 0
        # in a dask worker the cluster's processes already fill the cores (dask sets OMP_NUM_THREADS=1
        # there for the same reason): decoding on more threads would only make them compete
        threads = not _in_dask_worker()
        for batch in pf.iter_batches(batch_size=batch_rows, columns=list(dict.fromkeys(columns)),
                                     use_threads=threads):
            yield batch, offset
            offset += batch.num_rows
    except JobError:
        raise
    except (OSError, ValueError) as exc:  # pyarrow's ArrowInvalid is a ValueError
        raise JobError(f"{label} cannot be read as Parquet: {exc}") from None


def _first_null(column: Any) -> int:
    import numpy as np

    return int(np.flatnonzero(column.is_null().to_numpy(zero_copy_only=False))[0])


def prediction_stats(part: Path, spec: dict[str, Any]) -> tuple[Any, Any]:
    """(KeyCounts per key set, ScoreHistogram per key set or None) of one partition; ``spec`` says what to count.

    ``spec``: ``label``, ``score``, ``prediction`` (column names or None),
    ``threshold``, ``groups`` (a list of column lists, one KeyCounts each),
    ``hist_groups`` (column lists for score histograms), ``bins``, ``name``.
    The predicted label is the prediction column, else ``score >= threshold``
    (the key then holds True/False, mapped to labels once they are known).
    Columns are read as Arrow arrays and dictionary-encoded: no per-value Python objects.
    """
    from ..metrics.sufficient import KeyCounts, ScoreHistogram

    label = spec["name"]
    cols = list(dict.fromkeys([c for c in (spec["label"], spec["score"], spec["prediction"]) if c]
                              + [c for g in spec["groups"] + spec["hist_groups"] for c in g]))
    counts = [KeyCounts(tuple(g) + ("y", "p")) for g in spec["groups"]]
    hists = [ScoreHistogram(spec["bins"]) for _ in spec["hist_groups"]]
    for batch, offset in arrow_batches(part, cols, label):
        col = {name: batch.column(i) for i, name in enumerate(batch.schema.names)}
        y = col[spec["label"]]
        if y.null_count:
            raise JobError(f"label column '{spec['label']}' of {label} has {y.null_count} missing value(s) "
                           f"(first at row {offset + _first_null(y)})")
        score = _numeric(col[spec["score"]], f"score column '{spec['score']}'", label, offset) \
            if spec["score"] else None
        if spec["prediction"]:
            p: Any = col[spec["prediction"]]
            if p.null_count:
                raise JobError(f"prediction column '{spec['prediction']}' of {label} has {p.null_count} missing "
                               f"value(s) (first at row {offset + _first_null(p)})")
        else:
            assert score is not None
            p = score >= spec["threshold"]
        for i, g in enumerate(spec["groups"]):
            counts[i] = counts[i].merge(KeyCounts.of(counts[i].columns, [col[c] for c in g] + [y, p]))
        if score is not None:
            for i, g in enumerate(spec["hist_groups"]):
                hists[i].add(ScoreHistogram.of([col[c] for c in g] + [y], score, spec["bins"]))
    return counts, (hists if spec["score"] else None)


def _scan(ctx: JobContext, data_id: str, spec: dict[str, Any]) -> tuple[list[Any], list[Any] | None]:
    path = ctx.data_path(data_id)  # the pinned hash is checked first
    parts = partitions(path)
    src = ctx.source(data_id)
    counts, hists = reduce_partitions(_partition_stats, merge_prediction_stats, parts,
                                      {**spec, "root": str(path), "source": src.path})
    return counts, (hists if spec["score"] else None)


def _partition_stats(part: Path, spec: dict[str, Any]) -> tuple[Any, Any]:
    name = f"'{spec['source']}' partition '{partition_name(Path(spec['root']), part)}'"
    return prediction_stats(part, {**spec, "name": name})


# --------------------------------------------------------------------------- evaluate


def _decision(task: str, from_scores: bool, ref: Any, pos: Any) -> tuple[Any, dict[str, str]]:
    """The decision rule behind the label metrics, and why no curve is drawn (the in-memory runner's wording)."""
    from ..kinds.runners.evaluate import Decision

    curves = ("roc", "pr", "calibration")
    if task != "binary-classification":
        why = "recorded for binary tasks only (a multiclass task records its confusion matrix)"
        return None, dict.fromkeys(curves, why)
    if not from_scores:
        return (Decision(threshold=None, positive_label=pos, rule=f"the labels in column '{ref.prediction}' of "
                         f"data:{ref.data}"), dict.fromkeys(curves, "no scores given"))
    threshold = float(ref.threshold)
    why = ("not drawn on a partitioned data set: its scores are summarised by a histogram (AUC within the "
           "recorded bound)")
    return (Decision(threshold=threshold, positive_label=pos,
                     rule=f"predicted {pos} when the score of {pos} is at least {threshold:g}"),
            dict.fromkeys(curves, why))


def evaluate(ctx: JobContext) -> JobOutput:
    """Runner ``evaluate`` on a partitioned data source of precomputed predictions."""
    from ..kinds.runners.evaluate import EvaluateResult
    from ..metrics.groups import jsonable
    from ..metrics.sufficient import DEFAULT_BINS, evaluate_from_counts, sorted_labels
    from .evaluate import report_estimates
    from .predictions import positive_label

    job, uc = ctx.job, ctx.use_case
    ref = job.predictions
    if uc.task is None:
        raise JobError("evaluation needs the use case's task")
    if job.champion is not None:
        raise JobError("a champion comparison needs both predictions in memory; it is not available on a "
                       "partitioned data set")
    if uc.task.type.value == "regression":
        return evaluate_regression(ctx)
    slices = list(job.slices)
    spec = {"label": ref.label, "score": ref.score, "prediction": ref.prediction, "threshold": ref.threshold,
            "groups": [slices], "hist_groups": [slices], "bins": DEFAULT_BINS}
    (counts,), hists = _scan(ctx, ref.data, spec)
    hist = hists[0] if hists else None
    if counts.total == 0:
        raise JobError(f"data:{ref.data} holds no rows to evaluate")
    ys = sorted_labels(counts.values_of("y"))
    ps = counts.values_of("p")
    from_scores = ref.prediction is None
    t = uc.task.type.value
    kind = "binary" if t == "binary-classification" or (len(ys) <= 2 and hist is not None) else "multiclass"
    if from_scores and kind == "multiclass":
        raise JobError(f"data:{ref.data}: more than two labels need a prediction column")
    if kind == "binary":
        seen = sorted({*ys}, key=str)
        if uc.task.positive_label is not None or set(seen) <= {0, 1} or set(seen) <= {-1, 1}:
            pos = positive_label(seen, uc.task.positive_label)
        else:
            pos = None
        observed = sorted_labels(ys if from_scores else [*ys, *ps])
        from ..metrics.groups import resolve_pos_label
        import numpy as np

        pos = resolve_pos_label(np.asarray(observed, dtype=object), pos)
        others = [v for v in observed if not v == pos]
        if len(others) > 1:
            raise JobError(f"cannot evaluate data:{ref.data}: a binary task needs at most two labels, got {observed}")
        neg = others[0] if others else (0 if pos == 1 else None)
        if from_scores:  # the key holds score >= threshold
            counts.counts = _relabel_flags(counts.counts, pos, neg)
        classes = [jsonable(neg), jsonable(pos)]
    else:
        classes = sorted_labels([*ys, *ps])
        pos = None
    try:
        report = evaluate_from_counts(
            counts, hist, kind=kind, classes=classes, pos=pos, slice_columns=slices,
            n_boot=job.bootstrap.replicates, confidence=job.bootstrap.confidence, seed=job.bootstrap.seed,
            threshold=float(ref.threshold) if from_scores and kind == "binary" else None)
    except ValueError as exc:
        raise JobError(f"cannot evaluate data:{ref.data}: {exc}") from None
    metrics, out_slices = report_estimates(report)
    cm = report["overall"].get("confusion_matrix")
    decision, skipped = _decision(t, from_scores, ref, jsonable(pos) if pos is not None else None)
    result = EvaluateResult(task=t, source=f"data:{ref.data}", n=report["n"], labels=report.get("labels", []),
                            metrics=metrics, confusion_matrix=cm["matrix"] if cm else None, slices=out_slices,
                            champion=None, bootstrap=report.get("bootstrap", {}),
                            warnings=list(report.get("warnings", [])), decision=decision,
                            curves_skipped=skipped)
    return JobOutput("pass", None, result)


def _relabel_flags(counts: dict[tuple[Any, ...], int], pos: Any, neg: Any) -> dict[tuple[Any, ...], int]:
    out: dict[tuple[Any, ...], int] = {}
    for key, k in counts.items():
        new = key[:-1] + (pos if key[-1] else neg,)
        out[new] = out.get(new, 0) + k
    return out


# --------------------------------------------------------------------------- regression


def _numeric(column: Any, what: str, label: str, offset: int) -> Any:
    """A numeric Arrow column of one batch as float64 values; missing or non-numeric values are an error naming the row."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    if column.null_count:
        raise JobError(f"{what} of {label} has {column.null_count} missing value(s) "
                       f"(first at row {offset + _first_null(column)})")
    if not pa.types.is_floating(column.type) and not pa.types.is_integer(column.type):
        try:
            column = pc.cast(column, pa.float64())
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            raise JobError(f"{what} of {label} is not numeric ({column.type})") from None
    values = column.to_numpy(zero_copy_only=False).astype(np.float64, copy=False)
    bad = ~np.isfinite(values)
    if bad.any():
        raise JobError(f"{what} of {label} has {int(bad.sum())} missing or infinite value(s) "
                       f"(first at row {offset + int(np.flatnonzero(bad)[0])})")
    return values


def regression_stats(part: Path, spec: dict[str, Any]) -> Any:
    """The :class:`~charter.metrics.sufficient_regression.RegressionSums` of one partition, batch by batch.

    ``spec``: ``label`` and ``prediction`` (column names), ``slices`` (columns), ``name``.
    """
    from ..metrics.sufficient_regression import RegressionSums

    label = spec["name"]
    slices = list(spec["slices"])
    sums = RegressionSums(tuple(slices))
    for batch, offset in arrow_batches(part, [spec["label"], spec["prediction"], *slices], label):
        col = {name: batch.column(i) for i, name in enumerate(batch.schema.names)}
        y = _numeric(col[spec["label"]], f"label column '{spec['label']}'", label, offset)
        yp = _numeric(col[spec["prediction"]], f"prediction column '{spec['prediction']}'", label, offset)
        sums = sums.merge(RegressionSums.of(slices, [col[c] for c in slices], y, yp))
    return sums


def _partition_regression(part: Path, spec: dict[str, Any]) -> Any:
    name = f"'{spec['source']}' partition '{partition_name(Path(spec['root']), part)}'"
    return regression_stats(part, {**spec, "name": name})


def evaluate_regression(ctx: JobContext) -> JobOutput:
    """Runner ``evaluate`` of a regression task on a partitioned data source of precomputed predictions.

    MAE, RMSE and R² overall and per slice from per-partition sums (equal to the
    in-memory values to rounding); no bootstrap interval; no residual bins.
    """
    from ..kinds.runners.evaluate import EvaluateResult
    from ..metrics.sufficient_regression import RegressionSums, regression_from_sums
    from .evaluate import report_estimates

    job = ctx.job
    ref = job.predictions
    predicted = ref.prediction if ref.prediction is not None else ref.score
    if predicted is None:
        raise JobError(f"data:{ref.data} gives no predictions")
    path = ctx.data_path(ref.data)  # the pinned hash is checked first
    src = ctx.source(ref.data)
    slices = list(job.slices)
    spec = {"label": ref.label, "prediction": predicted, "slices": slices, "root": str(path), "source": src.path}
    sums = reduce_partitions(_partition_regression, RegressionSums.merge, partitions(path), spec)
    if sums is None or not sums.sums:
        raise JobError(f"data:{ref.data} holds no rows to evaluate")
    try:
        report = regression_from_sums(sums, slices, n_boot=job.bootstrap.replicates,
                                      confidence=job.bootstrap.confidence, seed=job.bootstrap.seed)
    except ValueError as exc:
        raise JobError(f"cannot evaluate data:{ref.data}: {exc}") from None
    metrics, out_slices = report_estimates(report)
    result = EvaluateResult(
        task="regression", source=f"data:{ref.data}", n=report["n"], labels=[],
        metrics=metrics, confusion_matrix=None,
        slices=out_slices, champion=None, bootstrap=report["bootstrap"], warnings=list(report["warnings"]),
        decision=None, curves_skipped={"residuals": "not drawn on a partitioned data set: residual bins need "
                                                    "the rows sorted by prediction"})
    return JobOutput("pass", None, result)


# --------------------------------------------------------------------------- fairness


def fairness(ctx: JobContext) -> JobOutput:
    """Runner ``fairness`` on a partitioned data source of precomputed predictions."""
    from ..kinds.runners.fairness import fairness_attributes, min_group_size
    from ..metrics.sufficient import fairness_from_counts, sorted_labels
    from .fairness import _result, report_views
    from .predictions import positive_label

    job, uc = ctx.job, ctx.use_case
    ref = job.predictions
    if uc.task is None:
        raise JobError("fairness needs the use case's task")
    if uc.task.type.value == "regression":
        raise JobError("fairness on a partitioned data set supports classification tasks; regression "
                       "disparities need the rows in memory")
    attrs = fairness_attributes(uc, job)
    if not attrs:
        raise JobError("no sensitive attributes: declare them on the data source or list them in the job")
    explicit = "threshold" in ref.model_fields_set
    from_scores = ref.score is not None and (ref.prediction is None or explicit)
    spec = {"label": ref.label, "score": ref.score if from_scores else None,
            "prediction": None if from_scores else ref.prediction, "threshold": ref.threshold,
            "groups": [list(attrs)], "hist_groups": [], "bins": 1}
    if spec["prediction"] is None and spec["score"] is None:
        raise JobError(f"data:{ref.data} gives neither predicted labels nor scores")
    (counts,), _ = _scan(ctx, ref.data, spec)
    if counts.total == 0:
        raise JobError(f"cannot compute fairness metrics for data:{ref.data}: no rows")
    labels = sorted({*counts.values_of("y")}, key=str)
    min_size = min_group_size(ctx.policy)
    kind, pos = "binary", None
    if len(labels) > 2:
        kind = "multiclass"
        if from_scores:
            raise JobError(f"data:{ref.data} gives no predicted labels")
    else:
        pos = positive_label(list(labels), uc.task.positive_label)
        if from_scores:
            others = [lab for lab in labels if lab != pos]
            neg: Any = others[0] if others else (0 if pos == 1 else None)
            counts.counts = _relabel_flags(counts.counts, pos, neg)
        union = {str(v) for v in [*counts.values_of("y"), *counts.values_of("p")]}
        if len(union) > 2:
            kind = "multiclass"
    if kind == "binary":
        import numpy as np

        from ..metrics.groups import resolve_pos_label

        pos = resolve_pos_label(np.asarray(sorted_labels([*counts.values_of("y"), *counts.values_of("p")]),
                                           dtype=object), pos)
    try:
        report = fairness_from_counts(counts, attrs, kind=kind, pos=pos, intersections=job.intersections,
                                      min_group_size=min_size, n_boot=job.bootstrap.replicates,
                                      confidence=job.bootstrap.confidence, seed=job.bootstrap.seed,
                                      views=report_views(ctx.policy, uc, list(attrs)))
    except ValueError as exc:
        raise JobError(f"cannot compute fairness metrics for data:{ref.data}: {exc}") from None
    return JobOutput("pass", None, _result(uc.task.type.value, f"data:{ref.data}", min_size, report))


# --------------------------------------------------------------------------- data contracts


def validate_source(ctx: JobContext, data_id: str, regex_budget: Any) -> Any:
    """A data contract checked on every partition; each failing value is reported with its partition and row.

    Checks of one value (type, range, allowed values, pattern, missing values) run
    on each batch; checks of the whole data set run on what every partition adds
    up to: the row bounds on the total, ``unique`` across partitions (the values of
    unique columns are remembered, so that memory grows with their number) and
    ``minDistinct`` on the distinct values seen (at most ``k`` are kept). Examples
    are ``{"partition", "row", "value"}`` with ``row`` the position inside the
    partition file.
    """
    import pandera.errors as pa_errors

    from ..kinds.runners.data_contract import ContractFailure, ContractSource
    from .data_contract import MAX_EXAMPLES, MIN_DISTINCT, _failures, _json_value, build_schema

    src = ctx.source(data_id)
    contract = src.contract
    if contract is None:
        raise JobError(f"data source '{data_id}' has no contract to validate")
    path = ctx.data_path(data_id)
    per_value = contract.model_copy(update={
        "rows": None,
        "columns": {n: c.model_copy(update={"unique": False, "min_distinct": None}) for n, c in contract.columns.items()},
    })
    schema = build_schema(per_value, regex_budget)
    found: dict[tuple[str | None, str], ContractFailure] = {}

    def add(f: ContractFailure, examples: list[Any]) -> None:
        key = (f.column, f.check)
        old = found.get(key)
        if old is None:
            found[key] = f.model_copy(update={"examples": examples[:MAX_EXAMPLES]})
            return
        single = f.check in ("undeclared_column", "missing_column")
        more = [e for e in examples if e not in old.examples][: max(0, MAX_EXAMPLES - len(old.examples))]
        found[key] = old.model_copy(update={"failures": old.failures if single else old.failures + f.failures,
                                            "examples": old.examples + more})

    unique_cols = [n for n, c in contract.columns.items() if c.unique]
    seen_unique: dict[str, dict[Any, tuple[str, int]]] = {n: {} for n in unique_cols}
    distinct_cols = {n: c.min_distinct for n, c in contract.columns.items() if c.min_distinct is not None}
    distinct: dict[str, dict[Any, int]] = {n: {} for n in distinct_cols}
    missing_of: dict[str, int] = {n: 0 for n in distinct_cols}
    total = 0
    for part in partitions(path):
        name = partition_name(path, part)
        label = f"'{src.path}' partition '{name}'"
        try:
            for frame in batches(part, None, label):
                total += len(frame)
                try:
                    schema.validate(frame, lazy=True)
                except pa_errors.SchemaErrors as exc:
                    for f in _failures(exc, len(frame)):
                        examples = [{"partition": name, **e} if isinstance(e, dict) else e for e in f.examples]
                        if f.check in ("undeclared_column", "missing_column"):
                            examples = [{"partition": name}]
                        add(f, examples)
                for col in unique_cols:
                    if col not in frame.columns:
                        continue
                    seen = seen_unique[col]
                    values = frame[col]
                    dup_rows, dup_examples = 0, list[Any]()
                    for row, v in zip(frame.index.tolist(), values.tolist(), strict=True):
                        if v is None or (isinstance(v, float) and v != v):
                            continue
                        if v in seen:
                            dup_rows += 1
                            if len(dup_examples) < MAX_EXAMPLES:
                                dup_examples.append({"partition": name, "row": row, "value": _json_value(v),
                                                     "first": {"partition": seen[v][0], "row": seen[v][1]}})
                        else:
                            seen[v] = (name, row)
                    if dup_rows:
                        add(ContractFailure(column=col, check="unique", failures=dup_rows), dup_examples)
                for col, k in distinct_cols.items():
                    if col not in frame.columns:
                        continue
                    values = frame[col]
                    missing_of[col] += int(values.isna().sum())
                    counts = distinct[col]
                    if len(counts) <= k:
                        for v, n in values.value_counts(dropna=True).items():
                            counts[v] = counts.get(v, 0) + int(n)
        except JobError as exc:
            add(ContractFailure(column=None, check="readable", failures=1), [f"{name}: {exc}"])
    for col, k in distinct_cols.items():
        counts = distinct[col]
        if len(counts) < k:
            ordered = sorted(counts.items(), key=lambda kv: (-kv[1], str(kv[0])))
            observed: list[Any] = [{"distinct": len(counts), "missing": missing_of[col]}]
            observed += [{"value": _json_value(v), "rows": n} for v, n in ordered[:MAX_EXAMPLES]]
            found[(col, f"{MIN_DISTINCT}({k})")] = ContractFailure(column=col, check=f"{MIN_DISTINCT}({k})",
                                                                   failures=1, examples=observed)
    rows = contract.rows
    if rows is not None and rows.min is not None and total < rows.min:
        found[(None, f"rows_min({rows.min})")] = ContractFailure(column=None, check=f"rows_min({rows.min})",
                                                                 failures=1, examples=[total])
    if rows is not None and rows.max is not None and total > rows.max:
        found[(None, f"rows_max({rows.max})")] = ContractFailure(column=None, check=f"rows_max({rows.max})",
                                                                 failures=1, examples=[total])
    regex_budget.raise_if_exhausted(data_id)
    failures = sorted(found.values(), key=lambda f: (f.column or "", f.check))
    return ContractSource(data=data_id, path=src.path, sha256=src.sha256, rows=total, passed=not failures,
                          failures=failures)
