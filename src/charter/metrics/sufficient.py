"""Sufficient statistics that merge across partitions, and the metrics computed from them.

A data set too large for memory is read partition by partition (batch by
batch); each batch yields statistics that merge by addition, so the order and
the grouping of partitions (one process, or the workers of a cluster) do not
change the result:

* :class:`KeyCounts` — rows per distinct key (the values of a few columns: a
  sensitive group, a slice value, the label and the prediction). Confusion
  matrices per group and per slice are sums of these counts, so every
  count-based metric (accuracy, precision, recall, F1, balanced accuracy,
  selection rate, TPR, FPR, FNR) and its interval (Wilson, the closed-form
  disparity intervals, the multinomial bootstrap over confusion-matrix cells with
  the same seed) is *exactly* the in-memory computation's;
* :class:`ScoreHistogram` — per key, the counts of scores on a fixed grid of
  ``bins`` equal cells over [0, 1], and the sums of the log-loss and Brier terms.
  ROC AUC from the grid orders every pair of scores in different cells exactly
  and counts a pair of a positive and a negative in the same cell as a half; its
  distance to the exact AUC is at most ``0.5 * sum(pos_b * neg_b) / (P * N)``,
  computed from the same counts and recorded with the value (zero when no cell
  holds both classes). Log loss and Brier are sums of per-row terms: equal to the
  in-memory values up to floating-point rounding of the summation order.

:func:`evaluate_from_counts` and :func:`fairness_from_counts` give the reports of
:func:`charter.metrics.evaluate_classification` and
:func:`charter.metrics.fairness_report` (classification) from those statistics.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .bootstrap import bootstrap_info, check_bootstrap_args, estimate, estimates, multinomial_cells, \
    spawn_rngs
from .classification import BINARY_METRICS, MULTICLASS_METRICS, REASON_NO_SCORES, REASON_NOT_PROBA, \
    SCORE_METRICS, _confusion_reasons, _rate_counts, confusion_metrics, rate_estimates
from .groups import DEFAULT_MIN_GROUP_SIZE, MISSING_LABEL, fairness_envelope, jsonable
from .intervals import cell_jackknife

DEFAULT_BINS = 1 << 16
"""Score grid of :class:`ScoreHistogram`: 65,536 cells over [0, 1] (scores given to 4 decimals fall one per cell)."""

_EPS = np.finfo(np.float64).eps


class _Missing:
    """The one key value standing for a missing value (NaN and None alike), so keys merge across batches."""

    _instance: _Missing | None = None

    def __new__(cls) -> _Missing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "<missing>"

    def __reduce__(self) -> tuple[Any, ...]:
        return (_Missing, ())


MISSING = _Missing()


def is_missing(v: Any) -> bool:
    return v is MISSING


CHUNK_ROWS = 8192
"""Rows per piece of numpy work. Pieces stay in a core's cache, so two workers on two cores do not
compete for memory bandwidth (whole-batch temporaries made the cluster barely faster than one
process), and a piece's temporaries (64 KiB) stay under glibc's mmap threshold: where
``MALLOC_TRIM_THRESHOLD_`` is set (dask's nanny sets it for its workers) larger ones are mapped and
unmapped every time, which more than doubled the cost of a score histogram."""

_SMALL_RANGE = 1 << 16


def _uniques(values: Any) -> tuple[np.ndarray, list[Any]]:
    """Integer codes of the values and the distinct values (missing ones as :data:`MISSING`, last).

    The distinct values may include some that no row has (a small integer range is coded by
    offset, without hashing); counts drop keys with no rows, so they never show.
    """
    if hasattr(values, "dictionary_encode"):  # a pyarrow array: encode without converting every value
        ranged = _arrow_range(values)
        if ranged is not None:
            return ranged
        encoded = values if hasattr(values, "indices") else values.dictionary_encode()
        out = [_plain(u) for u in encoded.dictionary.to_pylist()]
        idx = encoded.indices
        codes = idx.to_numpy(zero_copy_only=False) if idx.null_count == 0 else \
            idx.fill_null(len(out)).to_numpy(zero_copy_only=False)
        if idx.null_count:
            out.append(MISSING)
        return codes, out
    if isinstance(values, np.ndarray) and values.dtype == np.bool_:
        return values.view(np.int8), [False, True]
    codes, uniques = pd.factorize(np.asarray(values) if not isinstance(values, pd.Series) else values,
                                  use_na_sentinel=True)
    out = [_plain(u) for u in uniques]
    if (codes < 0).any():
        codes = np.where(codes < 0, len(out), codes)
        out.append(MISSING)
    return np.asarray(codes, dtype=np.int64), out


def _arrow_range(values: Any) -> tuple[np.ndarray, list[Any]] | None:
    """Codes of a null-free Arrow boolean or small-range integer array by offset (no hash table)."""
    import pyarrow as pa

    t = values.type
    if values.null_count or not (pa.types.is_integer(t) or pa.types.is_boolean(t)) or len(values) == 0:
        return None
    if pa.types.is_boolean(t):
        return np.asarray(values.to_numpy(zero_copy_only=False)).view(np.int8), [False, True]
    a = values.to_numpy(zero_copy_only=True)
    low, high = int(a.min()), int(a.max())
    if high - low >= _SMALL_RANGE:
        return None
    codes = a if low == 0 else (a.astype(np.int64) - low)
    return codes, list(range(low, high + 1))


def _combine(coded: Sequence[tuple[np.ndarray, list[Any]]], start: int, stop: int) -> np.ndarray:
    """Row-major codes of the key tuples of rows ``start:stop`` (as ``np.ravel_multi_index``)."""
    out = coded[0][0][start:stop].astype(np.int64)
    for codes, uniques in coded[1:]:
        out *= len(uniques)
        out += codes[start:stop]
    return out


def _key_counts(coded: Sequence[tuple[np.ndarray, list[Any]]], size: int) -> np.ndarray:
    """Rows per combined code, counted a cache-sized piece at a time."""
    n = len(coded[0][0])
    per = np.zeros(size, dtype=np.int64)
    for start in range(0, n, CHUNK_ROWS):
        per += np.bincount(_combine(coded, start, min(n, start + CHUNK_ROWS)), minlength=size)
    return per


def _plain(v: Any) -> Any:
    """A numpy scalar as the Python value (keys hash and compare alike whichever batch they came from)."""
    if isinstance(v, np.generic):
        return v.item()
    return v


@dataclass
class KeyCounts:
    """Rows per distinct tuple of column values; merges by addition."""

    columns: tuple[str, ...]
    counts: dict[tuple[Any, ...], int] = field(default_factory=dict)

    @classmethod
    def of(cls, columns: Sequence[str], values: Sequence[Any]) -> KeyCounts:
        """The counts of one batch: ``values`` are the batch's arrays, in ``columns`` order."""
        out = cls(tuple(columns))
        if not values or len(values[0]) == 0:
            return out
        coded = [_uniques(v) for v in values]
        cards = [len(u) for _, u in coded]
        size = int(np.prod(cards))
        if size <= 4 * len(coded[0][0]) + (1 << 20):
            per = _key_counts(coded, size)
            found = np.flatnonzero(per)
            counts = per[found]
        else:
            found, counts = np.unique(_combine(coded, 0, len(coded[0][0])), return_counts=True)
        idx = np.unravel_index(found, cards) if len(coded) > 1 else (found,)
        for i, k in enumerate(counts.tolist()):
            key = tuple(coded[j][1][int(idx[j][i])] for j in range(len(coded)))
            out.counts[key] = out.counts.get(key, 0) + int(k)
        return out

    def merge(self, other: KeyCounts) -> KeyCounts:
        if other.columns != self.columns:
            raise ValueError(f"cannot merge counts of {other.columns} into counts of {self.columns}")
        out = dict(self.counts)
        for key, k in other.counts.items():
            out[key] = out.get(key, 0) + k
        return KeyCounts(self.columns, out)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def values_of(self, column: str) -> list[Any]:
        j = self.columns.index(column)
        return list(dict.fromkeys(key[j] for key in self.counts))

    def margin(self, columns: Sequence[str]) -> KeyCounts:
        """Counts over a subset of the columns (the others summed out)."""
        idx = [self.columns.index(c) for c in columns]
        out: dict[tuple[Any, ...], int] = {}
        for key, k in self.counts.items():
            sub = tuple(key[j] for j in idx)
            out[sub] = out.get(sub, 0) + k
        return KeyCounts(tuple(columns), out)


@dataclass
class ScoreHistogram:
    """Per key: score counts on a grid of ``bins`` cells over [0, 1] and the sums log-loss and Brier need.

    ``sums[key]`` holds, for the rows of the key, the sums of ``-log(clip(s))``,
    ``-log(clip(1 - s))``, ``s**2`` and ``(1 - s)**2``: the per-row terms for a
    positive and for a negative row, chosen once the positive label is known.
    """

    bins: int = DEFAULT_BINS
    hist: dict[tuple[Any, ...], np.ndarray] = field(default_factory=dict)
    sums: dict[tuple[Any, ...], np.ndarray] = field(default_factory=dict)
    low: float = np.inf
    high: float = -np.inf

    @classmethod
    def of(cls, keys: Sequence[Any], scores: np.ndarray, bins: int = DEFAULT_BINS) -> ScoreHistogram:
        """One batch: ``keys`` the batch's key arrays (may be empty: one key for every row)."""
        out = cls(bins)
        scores = np.asarray(scores, dtype=np.float64)
        if len(scores) == 0:
            return out
        if keys:
            coded = [_uniques(v) for v in keys]
            cards = [len(u) for _, u in coded]
        else:
            coded, cards = [], [1]
        size = int(np.prod(cards))
        n = len(scores)
        cells = np.empty(n, dtype=np.int64)
        sums = np.zeros((size, 4))
        low, high = np.inf, -np.inf
        for start in range(0, n, CHUNK_ROWS):  # cache-sized pieces (see CHUNK_ROWS)
            stop = min(n, start + CHUNK_ROWS)
            s = scores[start:stop]
            low, high = min(low, float(s.min())), max(high, float(s.max()))
            kc = _combine(coded, start, stop) if coded else np.zeros(stop - start, dtype=np.int64)
            cell = np.floor(s * bins)
            np.clip(cell, 0, bins - 1, out=cell)
            np.add(kc * bins, cell.astype(np.int64), out=cells[start:stop])
            terms = (-np.log(np.clip(s, _EPS, 1 - _EPS)), -np.log(np.clip(1.0 - s, _EPS, 1 - _EPS)),
                     s * s, (1.0 - s) ** 2)
            for j, t in enumerate(terms):
                sums[:, j] += np.bincount(kc, weights=t, minlength=size)
        out.low, out.high = low, high
        hist = np.bincount(cells, minlength=size * bins).reshape(size, bins)
        present = np.flatnonzero(hist.sum(axis=1))
        idx = np.unravel_index(present, cards) if coded else ()
        for i, flat in enumerate(present.tolist()):
            key = tuple(coded[j][1][int(idx[j][i])] for j in range(len(coded)))
            out.hist[key] = hist[flat]  # views of one array: no copy per key
            out.sums[key] = sums[flat]
        return out

    def add(self, other: ScoreHistogram) -> None:
        """Merge ``other`` into this one in place (a partition's batches: no new grid per batch).

        ``other`` is taken over: its arrays become this one's, so it must not be used afterwards.
        """
        if other.bins != self.bins:
            raise ValueError("cannot merge score histograms of different grids")
        self.low, self.high = min(self.low, other.low), max(self.high, other.high)
        for key, h in other.hist.items():
            if key in self.hist:
                self.hist[key] += h
                self.sums[key] += other.sums[key]
            else:
                self.hist[key] = h
                self.sums[key] = other.sums[key]

    def merge(self, other: ScoreHistogram) -> ScoreHistogram:
        if other.bins != self.bins:
            raise ValueError("cannot merge score histograms of different grids")
        out = ScoreHistogram(self.bins, dict(self.hist), dict(self.sums), min(self.low, other.low),
                             max(self.high, other.high))
        for key, h in other.hist.items():
            out.hist[key] = out.hist[key] + h if key in out.hist else h
            out.sums[key] = out.sums[key] + other.sums[key] if key in out.sums else other.sums[key]
        return out

    def __getstate__(self) -> dict[str, Any]:
        """Sent between processes as its non-empty cells only (most of a fine grid is empty)."""
        sparse = {}
        for key, h in self.hist.items():
            nz = np.flatnonzero(h)
            sparse[key] = (nz.astype(np.int32), h[nz])
        return {"bins": self.bins, "sparse": sparse, "sums": self.sums, "low": self.low, "high": self.high}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.bins, self.sums, self.low, self.high = state["bins"], state["sums"], state["low"], state["high"]
        self.hist = {}
        for key, (nz, counts) in state["sparse"].items():
            h = np.zeros(self.bins, dtype=np.int64)
            h[nz] = counts
            self.hist[key] = h

    @property
    def proba(self) -> bool:
        return bool(self.low >= 0.0 and self.high <= 1.0)


# --------------------------------------------------------------------------- AUC from a grid


def grid_auc(pos: np.ndarray, neg: np.ndarray) -> tuple[float, float]:
    """(ROC AUC, bound on its distance to the exact AUC) from per-cell counts of positives and negatives."""
    pos = np.asarray(pos, dtype=np.float64)
    neg = np.asarray(neg, dtype=np.float64)
    p, n = pos.sum(), neg.sum()
    if p == 0 or n == 0:
        return float("nan"), 0.0
    below = np.cumsum(neg) - neg
    auc = float((pos * (below + 0.5 * neg)).sum() / (p * n))
    bound = float(0.5 * (pos * neg).sum() / (p * n))
    return auc, bound


# --------------------------------------------------------------------------- evaluation


def sorted_labels(values: Iterable[Any]) -> list[Any]:
    """Values in the order :func:`charter.metrics.groups.factorize` gives them; missing last."""
    present = [v for v in dict.fromkeys(values) if not is_missing(v)]
    try:
        ordered = sorted(present)
    except TypeError:
        ordered = sorted(present, key=str)
    if len(present) != len(list(dict.fromkeys(values))):
        ordered.append(MISSING)
    return ordered


def _cm(counts: KeyCounts, classes: list[Any], kind: str, pos: Any, where: dict[str, Any]) -> np.ndarray:
    """Confusion matrix [true, pred] of the rows matching ``where`` (``y``/``p`` columns hold raw labels)."""
    k = len(classes)
    cm = np.zeros((k, k), dtype=np.int64)
    yi, pi = counts.columns.index("y"), counts.columns.index("p")
    filt = [(counts.columns.index(c), v) for c, v in where.items()]
    index = {c: i for i, c in enumerate(classes)}
    for key, n in counts.counts.items():
        if any(key[j] != v and not (is_missing(v) and is_missing(key[j])) for j, v in filt):
            continue
        y, p = key[yi], key[pi]
        if kind == "binary":
            cm[int(y == pos), int(p == pos)] += n
        else:
            cm[index[y], index[p]] += n
    return cm


def _block(cm: np.ndarray, kind: str, wanted: list[str], n_boot: int, confidence: float,
           rng: np.random.Generator, score_point: dict[str, float], score_reasons: dict[str, str]
           ) -> dict[str, Any]:
    """One block's report from its confusion matrix (as ``_evaluate_block`` without row-level scores)."""
    label_wanted = [m for m in wanted if m not in SCORE_METRICS]
    point: dict[str, Any] = {m: v for m, v in confusion_metrics(cm, kind).items() if m in label_wanted}
    point.update(score_point)
    reasons = _confusion_reasons(cm, kind)
    reasons.update(score_reasons)
    rates = _rate_counts(cm, kind)
    bca_wanted = [m for m in label_wanted if m not in rates]
    boot = jack = jack_w = None
    if n_boot and bca_wanted:
        bcm = multinomial_cells(cm, n_boot, rng)
        boot = {m: v for m, v in confusion_metrics(bcm, kind).items() if m in bca_wanted}
        tables, jack_w = cell_jackknife(cm)
        jack = {m: v for m, v in confusion_metrics(tables, kind).items() if m in bca_wanted}
    metrics = estimates({m: point.get(m) for m in bca_wanted}, boot, confidence, reasons, jack, jack_w)
    rate_estimates(metrics, wanted, rates, point, n_boot, confidence, reasons)
    for m in wanted:
        if m not in rates and m in SCORE_METRICS:
            v = point.get(m)
            metrics[m] = estimate(None if v is None or np.isnan(v) else float(v), None, confidence,
                                  reason=reasons.get(m))
    return {"n": int(cm.sum()), "metrics": {m: metrics[m] for m in wanted},
            "confusion_matrix": {"labels": [], "matrix": cm.astype(int).tolist()}}


def _score_point(hist: ScoreHistogram | None, keys: list[tuple[Any, ...]], pos_of: Any, wanted: list[str]
                 ) -> tuple[dict[str, float], dict[str, str], float | None]:
    """Score metrics of the rows of ``keys`` (histogram keys ``(..., y)``); (values, reasons, AUC bound)."""
    out: dict[str, float] = {}
    reasons: dict[str, str] = {}
    if hist is None:
        return out, reasons, None
    pos = np.zeros(hist.bins)
    neg = np.zeros(hist.bins)
    loss = brier = 0.0
    n = 0
    for key in keys:
        if key not in hist.hist:
            continue
        h, s = hist.hist[key], hist.sums[key]
        is_pos = bool(pos_of(key[-1]))
        if is_pos:
            pos += h
        else:
            neg += h
        loss += s[0] if is_pos else s[1]
        brier += s[3] if is_pos else s[2]
        n += int(h.sum())
    bound = None
    if "roc_auc" in wanted:
        auc, bound = grid_auc(pos, neg)
        out["roc_auc"] = auc
        if np.isnan(auc):
            reasons["roc_auc"] = "only one class present in y_true (roc_auc is undefined)"
    if "log_loss" in wanted:
        out["log_loss"] = loss / n if n else float("nan")
    if "brier" in wanted:
        out["brier"] = brier / n if n else float("nan")
    return out, reasons, bound


def evaluate_from_counts(
    counts: KeyCounts,
    hist: ScoreHistogram | None,
    *,
    kind: str,
    classes: list[Any],
    pos: Any,
    slice_columns: Sequence[str] = (),
    n_boot: int,
    confidence: float,
    seed: int | None,
    threshold: float | None = None,
    min_slice_size: int = DEFAULT_MIN_GROUP_SIZE,
) -> dict[str, Any]:
    """The report of :func:`charter.metrics.evaluate_classification` from merged statistics.

    ``counts`` has columns ``(*slice_columns, "y", "p")`` (raw labels, ``p`` the
    predicted label); ``hist`` (or None: no scores) keys ``(*slice_columns, "y")``.
    Label metrics and their intervals equal the in-memory ones; score metrics
    carry no interval and ROC AUC its grid bound (``sketch`` in the report).
    """
    check_bootstrap_args(n_boot, confidence)
    available = BINARY_METRICS if kind == "binary" else MULTICLASS_METRICS
    skipped: dict[str, str] = {}
    wanted: list[str] = []
    for m in available:
        if m in SCORE_METRICS and (hist is None or kind != "binary"):
            skipped[m] = REASON_NO_SCORES
        elif m in ("log_loss", "brier") and hist is not None and not hist.proba:
            skipped[m] = REASON_NOT_PROBA
        elif m == "roc_auc" and hist is not None and not hist.proba:
            skipped[m] = "scores are not probabilities in [0, 1] (the partitioned AUC uses a grid on [0, 1])"
        else:
            wanted.append(m)
    slice_specs: list[tuple[str, Any]] = []
    for col in slice_columns:
        for v in sorted_labels(counts.values_of(col)):
            slice_specs.append((col, v))
    rngs = spawn_rngs(seed, 1 + len(slice_specs))
    pos_of = (lambda y: y == pos) if kind == "binary" else (lambda y: False)
    hist_keys = list(hist.hist) if hist is not None else []

    def score_part(where: dict[str, Any]) -> tuple[dict[str, float], dict[str, str], float | None]:
        cols = list(slice_columns)
        keys = [k for k in hist_keys if all(_same(k[cols.index(c)], v) for c, v in where.items())]
        return _score_point(hist, keys, pos_of, [m for m in wanted if m in SCORE_METRICS])

    sp, sr, bound = score_part({})
    overall = _block(_cm(counts, classes, kind, pos, {}), kind, wanted, n_boot, confidence, rngs[0], sp, sr)
    overall["confusion_matrix"]["labels"] = list(classes)
    sketch: dict[str, Any] = {}
    if bound is not None:
        sketch = {"roc_auc": {"grid": f"{hist.bins if hist else 0} equal cells over [0, 1]",
                              "error_bound": {"overall": bound}}}
    warnings: list[str] = []
    out_slices = []
    for (col, v), rng in zip(slice_specs, rngs[1:], strict=True):
        sp, sr, b = score_part({col: v})
        block = _block(_cm(counts, classes, kind, pos, {col: v}), kind, wanted, n_boot, confidence, rng, sp, sr)
        block["confusion_matrix"]["labels"] = list(classes)
        label = MISSING_LABEL if is_missing(v) else jsonable(v)
        size = block["n"]
        entry = {"name": f"{col}={label}", "column": col, "value": label, "n": size,
                 "small": size < min_slice_size, "metrics": block["metrics"],
                 "confusion_matrix": block["confusion_matrix"]}
        if entry["small"]:
            warnings.append(f"slice {entry['name']!r} has {size} rows, below the minimum {min_slice_size}")
        if b is not None:
            sketch["roc_auc"]["error_bound"][entry["name"]] = b
        out_slices.append(entry)
    info = bootstrap_info(n_boot, confidence, seed, "multinomial over confusion-matrix cells")
    if sketch:
        info["sketch"] = sketch
        info["score_metrics"] = "from per-partition score histograms and sums; no bootstrap interval"
    return {
        "task": "binary-classification" if kind == "binary" else "multiclass-classification",
        "n": int(counts.total),
        "labels": list(classes),
        "pos_label": classes[1] if kind == "binary" else None,
        "threshold": threshold,
        "overall": overall,
        "slices": out_slices,
        "skipped": skipped,
        "warnings": warnings,
        "bootstrap": info,
    }


def _same(a: Any, b: Any) -> bool:
    return a == b or (is_missing(a) and is_missing(b))


# --------------------------------------------------------------------------- fairness


def fairness_from_counts(
    counts: KeyCounts,
    sensitive: Sequence[str],
    *,
    kind: str,
    pos: Any,
    intersections: bool | Sequence[Sequence[str]] = True,
    min_group_size: int = DEFAULT_MIN_GROUP_SIZE,
    n_boot: int,
    confidence: float,
    seed: int | None,
    views: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
) -> dict[str, Any]:
    """The report of :func:`charter.metrics.fairness_report` (binary or multiclass) from merged counts.

    ``counts`` has columns ``(*sensitive, "y", "p")``. Group metrics and their
    disparity intervals are closed-form functions of the (group, label,
    prediction) cells, so the report equals the in-memory one exactly.
    """
    from .groups import (
        CLASSIFICATION_GROUP_METRICS,
        MULTICLASS_GROUP_METRICS,
        _build_partition,
        _classification_undefined,
        _disparities,
        _disparity_reason,
        _disparity_table,
        _extremes,
        _rate_counts as group_rate_counts,
        _rate_disparities,
        confusion_rates,
        group_extras,
        attribute_views,
        rate_subset,
        multiclass_rates,
        to_float,
    )

    check_bootstrap_args(n_boot, confidence)
    keys = list(counts.counts)
    weights = np.array([counts.counts[k] for k in keys], dtype=np.int64)
    n = int(weights.sum())
    if n == 0:
        raise ValueError("no rows to compute fairness metrics on")
    cols = {name: pd.Series([None if is_missing(k[j]) else k[j] for k in keys], dtype=object)
            for j, name in enumerate(sensitive)}
    fine_of_key, attributes, _ = _build_partition(cols, len(keys), intersections, "group")
    warnings: list[str] = []
    for j, name in enumerate(sensitive):
        k_missing = int(sum(w for key, w in zip(keys, weights.tolist(), strict=True) if is_missing(key[j])))
        if k_missing:
            warnings.append(f"sensitive feature {name!r}: {k_missing} missing value(s) grouped as {MISSING_LABEL!r}")
    n_fine = int(fine_of_key.max()) + 1
    yi, pi = counts.columns.index("y"), counts.columns.index("p")
    fine_stats: np.ndarray
    group_metrics: tuple[str, ...]
    if kind == "binary":
        cell = np.array([4 * f + 2 * int(k[yi] == pos) + int(k[pi] == pos) for f, k in zip(fine_of_key, keys,
                                                                                           strict=True)])
        fine_stats = np.bincount(cell, weights=weights, minlength=n_fine * 4).astype(np.int64).reshape(n_fine, 2, 2)
        group_metrics = CLASSIFICATION_GROUP_METRICS
        method = "closed form from the (group, label, prediction) cells"
        rates_of = confusion_rates
    else:
        cell = np.array([2 * f + int(str(k[yi]) == str(k[pi]) if type(k[yi]) is not type(k[pi]) else k[yi] == k[pi])
                         for f, k in zip(fine_of_key, keys, strict=True)])
        fine_stats = np.bincount(cell, weights=weights, minlength=n_fine * 2).astype(np.int64).reshape(n_fine, 2)
        group_metrics = MULTICLASS_GROUP_METRICS
        method = "closed form from the (group, correct) cells"
        rates_of = multiclass_rates
    table = _disparity_table(kind)
    wanted = list(table)
    overall_rates = rates_of(fine_stats.sum(axis=0))
    overall: dict[str, Any] = {"count": n}
    overall.update({m: to_float(overall_rates[m]) for m in group_metrics})
    out_attrs: dict[str, Any] = {}
    for attr in attributes:
        memb = attr.membership()
        stats = np.tensordot(memb.T, fine_stats.astype(np.float64), axes=(1, 0))
        point = rates_of(stats)
        labels = [attr.label(g) for g in range(attr.n_groups)]
        groups, small = [], []
        for g in range(attr.n_groups):
            count = int(round(point["count"][g]))
            if count < min_group_size:
                small.append(labels[g])
            groups.append({"label": labels[g], "values": attr.values[g], "count": count,
                           "small": count < min_group_size,
                           "metrics": {m: to_float(point[m][g]) for m in group_metrics},
                           "undefined": _classification_undefined(stats[g]) if kind == "binary" else {}})
        for entry, extra in zip(groups, group_extras(stats, kind, confidence), strict=True):
            entry.update(extra)
        point_disp = _disparities(point, np.ones(attr.n_groups, dtype=bool), wanted, table)
        reasons = {name: _disparity_reason(name, table[name], point, labels) for name in wanted}
        disp_out = _rate_disparities(point_disp, group_rate_counts(stats, kind), wanted, table, confidence,
                                     reasons, bool(n_boot))
        for name in wanted:
            disp_out[name].update(_extremes(table[name], point, labels))
        if small:
            warnings.append(f"{attr.name}: {len(small)} group(s) below the minimum size {min_group_size}: "
                            + ", ".join(small))
        subset = rate_subset(stats, point, labels, kind, wanted, table, confidence, n_boot)
        out_attrs[attr.name] = {"columns": list(attr.columns), "groups": groups, "small_groups": small,
                                "disparities": disp_out,
                                "views": attribute_views(attr.name, labels, point, subset, stats, kind, confidence,
                                                      min_group_size, views)}
    return fairness_envelope(kind, n, pos, min_group_size, overall, out_attrs, warnings,
                             bootstrap_info(n_boot, confidence, seed, method))
