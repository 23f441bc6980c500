"""Ranking metrics and fairness of exposure, vectorised over queries.

Input: one row per (query, item) with a relevance grade and the system's score.
Conventions (documented here, tested against ``sklearn.metrics.ndcg_score`` and
``ranx``):

* **Order.** Within a query, items are ranked by score, highest first; ties are
  broken by item id in ascending order, so the ranking is deterministic.
* **Relevance.** An item is relevant when its grade is ≥ ``relevant_grade``
  (default 1). NDCG gains are the grade itself (linear gain, Järvelin &
  Kekäläinen, as ``sklearn.metrics.ndcg_score`` and ranx's ``ndcg``), 0 for
  grades below ``relevant_grade``; discount ``1 / log2(1 + rank)``; the ideal
  ranking orders the query's own rows by grade.
* ``precision@k`` = relevant items in the top k / k (trec_eval: a query with
  fewer than k items still divides by k); ``recall@k`` = relevant in the top k /
  relevant in the query; ``map@k`` = the sum of precision@i over the relevant
  items at ranks i ≤ k, divided by the number of relevant items in the query
  (ranx and trec_eval); ``mrr`` = 1 / rank of the first relevant item.
* **Queries with no relevant item** make every metric but precision undefined.
  ``no_relevant="error"`` refuses them, ``"exclude"`` leaves them out of every
  average (their number is reported), ``"zero"`` scores them 0 (ranx).

Everything is computed for all queries at once: one sort of the rows by
(query, score, item), ``np.bincount`` by query for sums and
``np.maximum.reduceat`` for the first relevant rank. Intervals resample queries:
a bootstrap replicate is a matrix of how often each query is drawn, and every
metric's replicate means are one matrix product with the per-query values.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .bootstrap import check_bootstrap_args, estimates, make_rng

BASE_METRICS = ("ndcg", "map", "precision", "recall")
"""Metrics with a cut-off: ``<name>@<k>``."""
NO_CUTOFF = ("mrr",)

_BOOT_ELEMENTS = 4_000_000  # replicates x queries held at once


class RankingDataError(ValueError):
    """Input that cannot be evaluated; ``row`` is the 0-based data row it was found in."""

    def __init__(self, message: str, row: int | None = None, first: int | None = None) -> None:
        super().__init__(message)
        self.row = row
        self.first = first
        """For a duplicate: the 0-based row of its first occurrence."""


def metric_names(cutoffs: list[int] | tuple[int, ...]) -> list[str]:
    return [f"{m}@{k}" for m in BASE_METRICS for k in cutoffs] + list(NO_CUTOFF)


@dataclass(frozen=True)
class Ranked:
    """Rows sorted by (query, score descending, item id), with per-row rank and relevance."""

    order: np.ndarray
    """Position in the input of each sorted row."""
    q: np.ndarray
    """Query index (0..n_queries-1) of each sorted row."""
    query_ids: np.ndarray
    """Query id of each query index."""
    starts: np.ndarray
    counts: np.ndarray
    rank0: np.ndarray
    """0-based rank of each sorted row inside its query."""
    gain: np.ndarray
    relevant: np.ndarray
    n_relevant: np.ndarray
    """Relevant items per query."""

    @property
    def n_queries(self) -> int:
        return len(self.starts)


def _text(values: Any) -> np.ndarray:
    """Ids as text (ids compare as strings: '10' sorts before '9')."""
    arr = np.asarray(values)
    if arr.dtype.kind == "O" and all(isinstance(v, str) for v in arr):
        return arr
    # object arrays of str hash faster than fixed-width unicode arrays
    return arr.astype(str).astype(object)


def _codes(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct values and each value's index among them (hashing, then sorting the distinct values)."""
    import pandas as pd

    codes, uniq = pd.factorize(values, sort=True)
    return np.asarray(uniq), codes.astype(np.int64)


def rank(query: Any, item: Any, grade: Any, score: Any, *, relevant_grade: float = 1.0) -> Ranked:
    """Sort and rank the rows; raises :class:`RankingDataError` for duplicate (query, item) pairs."""
    query = _text(query)
    item = _text(item)
    grade = np.asarray(grade, dtype=np.float64)
    score = np.asarray(score, dtype=np.float64)
    n = len(query)
    if not (len(item) == len(grade) == len(score) == n):
        raise RankingDataError("query, item, grade and score columns differ in length")
    if n == 0:
        raise RankingDataError("no rows to rank")
    query_ids, qc = _codes(query)
    _, ic = _codes(item)
    order = np.lexsort((ic, -score, qc))
    q = qc[order]
    pair_order = np.lexsort((ic, qc))
    pq, pi = qc[pair_order], ic[pair_order]
    same = np.flatnonzero((pq[1:] == pq[:-1]) & (pi[1:] == pi[:-1]))
    if same.size:
        a, b = sorted((int(pair_order[same[0]]), int(pair_order[same[0] + 1])))
        raise RankingDataError(f"duplicate (query, item) pair: query '{query[b]}', item '{item[b]}'", row=b, first=a)
    starts = np.flatnonzero(np.r_[True, q[1:] != q[:-1]])
    counts = np.diff(np.r_[starts, n])
    rank0 = np.arange(n) - np.repeat(starts, counts)
    g = grade[order]
    relevant = g >= relevant_grade
    gain = np.where(relevant, g, 0.0)
    n_relevant = np.bincount(q, weights=relevant, minlength=len(starts))
    return Ranked(order, q, query_ids, starts, counts, rank0, gain, relevant, n_relevant)


def per_query(r: Ranked, cutoffs: list[int] | tuple[int, ...]) -> dict[str, np.ndarray]:
    """Every metric's value per query (NaN where undefined: no relevant item)."""
    nq = r.n_queries
    q, rank0, gain, rel = r.q, r.rank0, r.gain, r.relevant.astype(np.float64)
    disc = 1.0 / np.log2(rank0 + 2.0)
    # the ideal order: the same rows by gain, highest first (ranks and query blocks unchanged)
    ideal_gain = gain[np.lexsort((-gain, q))]
    cum = np.cumsum(rel)
    before = np.repeat(cum[r.starts] - rel[r.starts], r.counts)
    hits_so_far = cum - before
    prec_at_row = hits_so_far / (rank0 + 1.0)
    R = r.n_relevant
    has = R > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        out: dict[str, np.ndarray] = {}
        for k in cutoffs:
            top = rank0 < k
            dcg = np.bincount(q, weights=gain * disc * top, minlength=nq)
            idcg = np.bincount(q, weights=ideal_gain * disc * top, minlength=nq)
            hits = np.bincount(q, weights=rel * top, minlength=nq)
            ap = np.bincount(q, weights=rel * top * prec_at_row, minlength=nq)
            out[f"ndcg@{k}"] = np.where(has, dcg / np.where(idcg > 0, idcg, 1.0), np.nan)
            out[f"map@{k}"] = np.where(has, ap / R, np.nan)
            out[f"precision@{k}"] = hits / k
            out[f"recall@{k}"] = np.where(has, hits / R, np.nan)
        rr = np.where(r.relevant, 1.0 / (rank0 + 1.0), 0.0)
        out["mrr"] = np.where(has, np.maximum.reduceat(rr, r.starts), np.nan)
    # order the keys as metric_names does
    return {m: out[m] for m in metric_names(cutoffs)}


def _query_weights(nq: int, n_boot: int, rng: np.random.Generator) -> Any:
    """Chunks of the replicate × query draw-count matrix (queries resampled with replacement)."""
    per = max(1, _BOOT_ELEMENTS // max(nq, 1))
    done = 0
    while done < n_boot:
        b = min(per, n_boot - done)
        idx = rng.integers(0, nq, size=(b, nq))
        w = np.bincount((np.arange(b)[:, None] * nq + idx).reshape(-1), minlength=b * nq).reshape(b, nq)
        yield w.astype(np.float64)
        done += b


def _boot_means(values: np.ndarray, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """(n_boot, metrics) means of per-query ``values`` (queries × metrics) over resampled queries."""
    nq = values.shape[0]
    chunks = [w @ values / nq for w in _query_weights(nq, n_boot, rng)]
    return np.concatenate(chunks, axis=0) if chunks else np.empty((0, values.shape[1]))


def _summary(values: dict[str, np.ndarray], n_boot: int, confidence: float, rng: np.random.Generator) -> dict[str, Any]:
    names = list(values)
    mat = np.stack([values[m] for m in names], axis=1) if names else np.empty((0, 0))
    nq = mat.shape[0]
    if nq == 0:
        return {m: {"value": None, "ci": None, "reason": "no query to evaluate"} for m in names}
    points = {m: float(mat[:, i].mean()) for i, m in enumerate(names)}
    samples = None
    if n_boot:
        boot = _boot_means(mat, n_boot, rng)
        samples = {m: boot[:, i] for i, m in enumerate(names)}
    return estimates(points, samples, confidence)


def evaluate_ranking(
    query: Any, item: Any, grade: Any, score: Any, *, cutoffs: list[int] | tuple[int, ...],
    relevant_grade: float = 1.0, no_relevant: str = "error", slices: dict[str, Any] | None = None,
    n_boot: int = 1000, confidence: float = 0.95, seed: int = 0,
) -> dict[str, Any]:
    """Ranking metrics overall and per slice (a query-level column), with query-bootstrap intervals.

    Returns ``{"n_rows", "n_queries", "excluded_queries", "metrics": {name: {"value", "ci", "reason"}},
    "slices": [{"column", "value", "n_queries", "metrics"}], "per_query": {name: array}, "ranked": Ranked}``.
    """
    check_bootstrap_args(n_boot, confidence)
    if not cutoffs or any(int(k) < 1 for k in cutoffs):
        raise RankingDataError("cut-offs must be positive integers")
    r = rank(query, item, grade, score, relevant_grade=relevant_grade)
    values = per_query(r, cutoffs)
    keep = r.n_relevant > 0
    missing = np.flatnonzero(~keep)
    if missing.size and no_relevant == "error":
        qi = int(missing[0])
        row = int(r.order[r.starts[qi]:r.starts[qi] + r.counts[qi]].min())
        raise RankingDataError(
            f"query '{r.query_ids[qi]}' has no relevant item (no grade ≥ {relevant_grade:g})"
            + (f", and {missing.size - 1} more such queries" if missing.size > 1 else "")
            + "; set the job's `noRelevant` to `exclude` or `zero` to accept them", row=row)
    if no_relevant == "zero":
        values = {m: np.nan_to_num(v, nan=0.0) for m, v in values.items()}
        keep = np.ones(r.n_queries, dtype=bool)
    rng = make_rng(seed)
    overall = _summary({m: v[keep] for m, v in values.items()}, n_boot, confidence, rng)
    out_slices = []
    for col, raw in (slices or {}).items():
        vals = np.asarray(raw).astype(str)[r.order]
        first = vals[r.starts]
        differs = np.flatnonzero(vals != np.repeat(first, r.counts))
        if differs.size:
            row = int(r.order[differs[0]])
            qi = int(r.q[differs[0]])
            raise RankingDataError(f"slice column '{col}' varies within query '{r.query_ids[qi]}'; "
                                   "slices are query attributes", row=row)
        for value in np.unique(first):
            sel = keep & (first == value)
            out_slices.append({"column": col, "value": str(value), "n_queries": int(sel.sum()),
                               "metrics": _summary({m: v[sel] for m, v in values.items()}, n_boot, confidence, rng)})
    return {"n_rows": int(len(r.q)), "n_queries": int(keep.sum()), "excluded_queries": int((~keep).sum()),
            "metrics": overall, "slices": out_slices, "per_query": values, "keep": keep, "ranked": r}


# --- fairness of exposure ------------------------------------------------------------------

EXPOSURE_DISPARITIES = ("exposure_ratio", "exposure_difference")


def exposure_report(
    r: Ranked, group: Any, *, keep: np.ndarray | None = None, cutoff: int | None = None,
    min_group_size: int = 30, n_boot: int = 1000, confidence: float = 0.95, seed: int = 0,
) -> dict[str, Any]:
    """Share of attention each group receives against its share of relevant items.

    A row's exposure is ``1 / log2(1 + rank)`` (0 beyond ``cutoff`` when given). Per
    query, a group's exposure share is its rows' exposure over the query's total, its
    relevance share its relevant items over the query's relevant items; both are
    averaged over queries (each query is one unit of attention). A group's
    exposure-to-relevance ratio is the quotient (1 = attention in proportion to merit).
    ``exposure_ratio`` = smallest / largest of those ratios (higher is better),
    ``exposure_difference`` = the largest |exposure share − relevance share| (lower
    is better), over the groups with at least ``min_group_size`` items; smaller
    groups are reported and flagged, not compared. Intervals resample queries.
    """
    check_bootstrap_args(n_boot, confidence)
    nq = r.n_queries
    keep = np.ones(nq, dtype=bool) if keep is None else keep
    labels, gc = _codes(_text(group)[r.order])
    G = len(labels)
    expo = 1.0 / np.log2(r.rank0 + 2.0)
    if cutoff is not None:
        expo = expo * (r.rank0 < cutoff)
    cell = r.q * G + gc
    e = np.bincount(cell, weights=expo, minlength=nq * G).reshape(nq, G)
    rel = np.bincount(cell, weights=r.relevant, minlength=nq * G).reshape(nq, G)
    items = np.bincount(gc, minlength=G)
    e, rel = e[keep], rel[keep]
    with np.errstate(divide="ignore", invalid="ignore"):
        e_share = e / e.sum(axis=1, keepdims=True)
        r_share = rel / rel.sum(axis=1, keepdims=True)
    e_share = np.nan_to_num(e_share)
    r_share = np.nan_to_num(r_share)
    big = items >= min_group_size
    m = e_share.shape[0]

    def stats(es: np.ndarray, rs: np.ndarray) -> dict[str, np.ndarray]:
        """es, rs: (..., G) mean shares → group ratios and the two disparities (over big groups)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(rs > 0, es / rs, np.nan)
        rb = ratio[..., big]
        diff = np.abs(es - rs)[..., big]
        out = {"ratio": ratio}
        if rb.shape[-1] >= 2:
            with np.errstate(divide="ignore", invalid="ignore"):
                out["exposure_ratio"] = np.min(rb, axis=-1) / np.max(rb, axis=-1)
            out["exposure_difference"] = np.max(diff, axis=-1)
        return out

    es_point = e_share.mean(axis=0) if m else np.zeros(G)
    rs_point = r_share.mean(axis=0) if m else np.zeros(G)
    point = stats(es_point, rs_point)
    reasons: dict[str, str | None] = {}
    samples = None
    if int(big.sum()) < 2:
        disparities = {d: {"value": None, "ci": None,
                           "reason": f"fewer than two groups with at least {min_group_size} items"}
                       for d in EXPOSURE_DISPARITIES}
        ratio_est = {}
    else:
        if n_boot and m:
            rng = make_rng(seed)
            stacked = np.concatenate([e_share, r_share], axis=1)
            boot = _boot_means(stacked, n_boot, rng)
            bs = stats(boot[:, :G], boot[:, G:])
            samples = {d: bs[d] for d in EXPOSURE_DISPARITIES}
            group_samples = bs["ratio"]
        else:
            group_samples = None
        pts = {d: float(point[d]) for d in EXPOSURE_DISPARITIES}
        for d in EXPOSURE_DISPARITIES:
            reasons[d] = None if np.isfinite(pts[d]) else "a compared group has no relevant item"
        disparities = estimates(pts, samples, confidence, reasons)
        ratio_est = estimates({str(labels[g]): float(point["ratio"][g]) for g in range(G)},
                              None if group_samples is None else
                              {str(labels[g]): group_samples[:, g] for g in range(G)}, confidence)
    groups = []
    for g in range(G):
        groups.append({"group": str(labels[g]), "items": int(items[g]), "small": bool(not big[g]),
                       "exposure_share": float(es_point[g]), "relevant_share": float(rs_point[g]),
                       "ratio": ratio_est.get(str(labels[g]),
                                              {"value": float(point["ratio"][g]) if np.isfinite(point["ratio"][g])
                                               else None, "ci": None, "reason": None})})
    return {"groups": groups, "disparities": disparities,
            "small_groups": [str(labels[g]) for g in range(G) if not big[g]],
            "n_queries": int(m), "cutoff": cutoff, "min_group_size": min_group_size}
