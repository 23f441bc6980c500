"""Drift from per-partition statistics that merge: the partitioned counterpart of :mod:`.drift`.

Each column of each side (reference, current) is reduced batch by batch to a
:class:`ColumnStats`, merged in partition order:

* its pandas dtype (the dtype the batches' dtypes combine to, as when the
  partitions are read whole), from which schema drift follows;
* categorical features: exact counts per value, in order of first appearance,
  and the missing values: chi-squared and PSI equal the in-memory ones exactly;
* numeric features: rows and finite values, min and max, and then the most
  exact summary the data allow:

  1. ``values``: the finite values themselves while a side has at most
     :data:`KEEP_VALUES` (scipy's limit for its exact Kolmogorov–Smirnov
     p-value). With both sides kept, the statistics are the in-memory ones.
  2. ``counts``: exact counts per distinct value while a side has at most
     :data:`EXACT_DISTINCT` distinct values. Quantile edges (numpy's linear
     interpolation on the order statistics), PSI, the KS statistic and its
     asymptotic p-value (scipy's, used above ``KEEP_VALUES`` rows) are then exact.
  3. ``grid``: otherwise a second pass counts both sides on a :class:`Grid` between
     the smallest and largest value of either side: :data:`GRID_CELLS` equal cells
     and, for the positive and the negative values each, at most
     :data:`RELATIVE_CELLS` cells of equal relative width (the values' float64
     representation without its lowest bits, for heavy tails), cells
     ``(g[i-1], g[i]]``, so the empirical distribution functions are exact at
     every point of either grid. KS: the statistic lies between the largest
     difference at grid points and the largest difference a cell allows; the
     midpoint is reported with half that width as ``bound.ks_statistic`` and the
     p-values of both ends as ``bound.p_value``. PSI: each quantile edge is the
     upper end of the grid cell holding the reference quantile's lower order
     statistic (``bound.psi_edges``: how far that may be from the quantile), and the
     PSI is exact for those edges.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as sps

from .drift import numeric_compare, psi, type_family
from .groups import MISSING_LABEL, jsonable

KEEP_VALUES = 10_000
"""Finite values of a numeric feature kept whole per side (scipy's exact two-sample KS works up to this size)."""
EXACT_DISTINCT = 1 << 16
"""Distinct values of a numeric feature counted exactly per side before falling back to a grid."""
GRID_CELLS = 1 << 16
"""Equal cells of the grid numeric features fall back to."""
RELATIVE_CELLS = 1 << 18
"""Most cells of equal relative width of that grid."""
MAX_CATEGORIES = 1 << 20
"""Distinct values a categorical feature may have on a partitioned data set (its counts are kept in memory)."""


def common_dtype(a: Any, b: Any) -> Any:
    """The dtype pandas gives a column concatenated from parts of dtypes ``a`` and ``b``."""
    if a is None:
        return b
    if b is None or str(a) == str(b):
        return a
    return pd.concat([pd.Series([], dtype=a), pd.Series([], dtype=b)], ignore_index=True).dtype


def _plain(v: Any) -> Any:
    return v.item() if isinstance(v, np.generic) else v


@dataclass
class ColumnStats:
    """One column of one side, merged over batches and partitions (see the module docstring)."""

    dtype: Any = None
    rows: int = 0
    kind: str | None = None
    """``"categorical"``, ``"numeric"`` or None (nothing collected)."""
    counts: dict[Any, int] | None = field(default_factory=dict)
    """Categorical: rows per value, in order of first appearance (None: more than MAX_CATEGORIES)."""
    missing: int = 0
    finite: int = 0
    low: float = math.inf
    high: float = -math.inf
    low_positive: float = math.inf
    """Numeric: the smallest positive and the largest negative value (where the relative grid starts)."""
    high_negative: float = -math.inf
    values: np.ndarray | None = None
    """Numeric: the finite values while there are at most KEEP_VALUES."""
    distinct: tuple[np.ndarray, np.ndarray] | None = None
    """Numeric: (sorted distinct finite values, their counts) while there are at most EXACT_DISTINCT."""

    @classmethod
    def of(cls, series: pd.Series, collect: str | None) -> ColumnStats:
        out = cls(dtype=series.dtype, rows=len(series), kind=collect)
        if collect == "categorical":
            codes, uniques = pd.factorize(series.astype(object), use_na_sentinel=True)
            out.missing = int((codes < 0).sum())
            per = np.bincount(codes[codes >= 0], minlength=len(uniques))
            out.counts = {_plain(u): int(k) for u, k in zip(uniques, per.tolist(), strict=True)}
        elif collect == "numeric":
            x = pd.to_numeric(series, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
            ok = x[np.isfinite(x)]
            out.finite = int(len(ok))
            out.missing = out.rows - out.finite
            if len(ok):
                out.low, out.high = float(ok.min()), float(ok.max())
                pos, neg = ok[ok > 0], ok[ok < 0]
                out.low_positive = float(pos.min()) if len(pos) else math.inf
                out.high_negative = float(neg.max()) if len(neg) else -math.inf
            out.values = ok if len(ok) <= KEEP_VALUES else None
            vals, cnt = np.unique(ok, return_counts=True)
            out.distinct = (vals, cnt.astype(np.int64)) if len(vals) <= EXACT_DISTINCT else None
        return out

    def merge(self, other: ColumnStats) -> ColumnStats:
        out = ColumnStats(dtype=common_dtype(self.dtype, other.dtype), rows=self.rows + other.rows,
                          kind=self.kind or other.kind, missing=self.missing + other.missing,
                          finite=self.finite + other.finite, low=min(self.low, other.low),
                          high=max(self.high, other.high),
                          low_positive=min(self.low_positive, other.low_positive),
                          high_negative=max(self.high_negative, other.high_negative))
        if self.counts is None or other.counts is None:
            out.counts = None
        else:
            merged = dict(self.counts)
            for v, k in other.counts.items():
                merged[v] = merged.get(v, 0) + k
            out.counts = merged if len(merged) <= MAX_CATEGORIES else None
        if out.finite <= KEEP_VALUES:
            parts = [v for v in (self.values, other.values) if v is not None]
            out.values = np.concatenate(parts) if parts else np.empty(0)
        if self.distinct is not None and other.distinct is not None:
            vals = np.concatenate([self.distinct[0], other.distinct[0]])
            cnt = np.concatenate([self.distinct[1], other.distinct[1]])
            uniq, inv = np.unique(vals, return_inverse=True)
            if len(uniq) <= EXACT_DISTINCT:
                out.distinct = (uniq, np.bincount(inv, weights=cnt, minlength=len(uniq)).astype(np.int64))
        return out

    @property
    def summary(self) -> str:
        """How exactly the numeric values are known: ``values``, ``counts`` or ``grid``."""
        if self.values is not None and len(self.values) == self.finite:
            return "values"
        return "counts" if self.distinct is not None else "grid"

    def exact_counts(self) -> tuple[np.ndarray, np.ndarray]:
        if self.distinct is not None:
            return self.distinct
        assert self.values is not None
        vals, cnt = np.unique(self.values, return_counts=True)
        return vals, cnt.astype(np.int64)


def merge_columns(parts: list[dict[str, ColumnStats]]) -> dict[str, ColumnStats]:
    """Per-column statistics of several batches or partitions merged in order."""
    out: dict[str, ColumnStats] = {}
    for part in parts:
        for name, st in part.items():
            out[name] = out[name].merge(st) if name in out else st
    return out


def frame_stats(frame: pd.DataFrame, collect: dict[str, str]) -> dict[str, ColumnStats]:
    """Each column's statistics in one batch; ``collect`` says how, per column name (``"*"``: the others).

    ``"categorical"`` or ``"numeric"``; ``"auto"``: by the column's type family
    (text and bool categorical, numbers numeric); ``"dtype"`` (the default): the
    dtype and row count only.
    """
    out: dict[str, ColumnStats] = {}
    for name in frame.columns:
        name = str(name)
        how = collect.get(name, collect.get("*", "dtype"))
        kind: str | None = how if how in ("categorical", "numeric") else None
        if how == "auto":
            fam = type_family(frame[name].dtype)
            kind = "categorical" if fam in ("bool", "categorical") else "numeric" if fam == "numeric" else None
        out[name] = ColumnStats.of(frame[name], kind)
    return out


# --------------------------------------------------------------------------- exact statistics from counts


def quantiles_from_counts(values: np.ndarray, counts: np.ndarray, qs: np.ndarray) -> np.ndarray:
    """``np.quantile`` (linear method) of the sample with these sorted distinct values and counts, bit for bit."""
    n = int(counts.sum())
    cum = np.cumsum(counts)
    virtual = (n - 1) * qs
    prev = np.floor(virtual)
    nxt = prev + 1
    above = virtual >= n - 1
    prev[above], nxt[above] = n - 1, n - 1
    below = virtual < 0
    prev[below], nxt[below] = 0, 0
    gamma = virtual - np.where(above, -1.0, prev)  # numpy takes the last index as -1 there (a == b then)

    def at(order: np.ndarray) -> np.ndarray:
        return values[np.searchsorted(cum, order.astype(np.int64), side="right")]

    a, b = at(prev), at(nxt)
    diff = b - a
    out = a + diff * gamma
    return np.where(gamma >= 0.5, b - diff * (1 - gamma), out)


def ks_asymptotic_pvalue(d: float, n1: int, n2: int) -> float:
    """scipy's two-sided ``ks_2samp`` p-value for statistic ``d`` when it uses Smirnov's asymptotic formula."""
    m, n = sorted([float(n1), float(n2)], reverse=True)
    en = m * n / (m + n)
    return float(np.clip(sps.kstwo.sf(d, np.round(en)), 0, 1))


def _ks_statistic(cdf1: np.ndarray, cdf2: np.ndarray) -> float:
    """scipy's two-sided statistic from the two distribution functions at every observed value."""
    diffs = cdf1 - cdf2
    min_s = float(np.clip(-diffs.min(), 0, 1))
    max_s = float(diffs.max())
    return min_s if min_s > max_s else max_s


def compare_counts(r: tuple[np.ndarray, np.ndarray], c: tuple[np.ndarray, np.ndarray], bins: int) -> dict[str, Any]:
    """:func:`charter.metrics.drift.numeric_compare` from exact counts per distinct value (more than KEEP_VALUES rows)."""
    rv, rc = r
    cv, cc = c
    n1, n2 = int(rc.sum()), int(cc.sum())
    qs = np.linspace(0.0, 1.0, bins + 1)[1:-1]
    edges = np.unique(quantiles_from_counts(rv, rc, qs))
    r_bins = np.bincount(np.searchsorted(edges, rv, side="left"), weights=rc, minlength=len(edges) + 1)
    c_bins = np.bincount(np.searchsorted(edges, cv, side="left"), weights=cc, minlength=len(edges) + 1)
    both = np.union1d(rv, cv)
    cum1 = np.concatenate([[0], np.cumsum(rc)])[np.searchsorted(rv, both, side="right")]
    cum2 = np.concatenate([[0], np.cumsum(cc)])[np.searchsorted(cv, both, side="right")]
    d = _ks_statistic(cum1 / n1, cum2 / n2)
    if max(n1, n2) <= KEEP_VALUES:  # not reached from the runner (such samples are kept whole)
        raise ValueError("samples of at most KEEP_VALUES rows are compared from their values")
    return {
        "stats": {"psi": psi(r_bins.astype(np.int64) / n1, c_bins.astype(np.int64) / n2),
                  "ks": ks_asymptotic_pvalue(d, n1, n2), "ks_statistic": d},
        "bins": int(len(edges) + 1),
        "bin_edges": [float(e) for e in edges],
    }


# --------------------------------------------------------------------------- the grid

_LOW_BITS = np.int64(0x7FFFFFFFFFFFFFFF)


def _keys(x: np.ndarray) -> np.ndarray:
    """Integers ordered as the finite doubles ``x`` are (``-0.0`` taken as ``0.0``)."""
    b = (np.asarray(x, dtype=np.float64) + 0.0).view(np.int64)
    return np.where(b < 0, b ^ _LOW_BITS, b)


def _doubles(k: np.ndarray) -> np.ndarray:
    """The doubles of keys; key -1 (``-0.0``, which no value has) is the largest negative double instead."""
    k = np.where(k == -1, np.int64(-2), k).astype(np.int64)
    return np.where(k < 0, k ^ _LOW_BITS, k).view(np.float64)


def _key(x: float) -> int:
    return int(_keys(np.array([x]))[0])


@dataclass(frozen=True)
class Grid:
    """A grid over ``[low, high]`` whose counts are exact at every point: both sides are counted on it.

    * ``GRID_CELLS`` equal cells (``g[0] = low``, cells ``(g[i-1], g[i]]``), fine where the values
      are dense on a linear scale;
    * for the positive and for the negative values, at most ``RELATIVE_CELLS`` cells of equal
      relative width between the one nearest zero and the one farthest from it (the values'
      float64 representation with its ``shift`` lowest bits dropped): fine for heavy tails and
      values spanning orders of magnitude.

    The distribution functions are exact at every point of each grid, so their union is the
    grid the statistics use.
    """

    low: float
    high: float
    segments: tuple[tuple[int, int, int, float], ...]
    """Relative cells: (first cell's key, cells, shift, highest value) per side of zero."""

    @classmethod
    def of(cls, low: float, high: float, low_positive: float = math.inf, high_negative: float = -math.inf) -> Grid:
        segments = []
        for a, b in ((low, high_negative), (low_positive, high)):
            if not (math.isfinite(a) and math.isfinite(b)) or a > b:
                continue
            ka, kb = _key(a), _key(b)
            shift = next(s for s in range(64) if (kb >> s) - (ka >> s) + 1 <= RELATIVE_CELLS)
            segments.append((ka >> shift, (kb >> shift) - (ka >> shift) + 1, shift, float(b)))
        return cls(float(low), float(high), tuple(segments))

    @property
    def linear(self) -> np.ndarray:
        return np.linspace(self.low, self.high, GRID_CELLS + 1)

    def counts(self, values: np.ndarray) -> np.ndarray:
        """Counts per cell: linear cells, then per relative segment the values below it and its cells."""
        g = self.linear
        parts = [np.bincount(np.searchsorted(g, values, side="left"), minlength=len(g))[: len(g)]]
        keys = _keys(values)
        for base, cells, shift, _ in self.segments:
            idx = np.clip((keys >> shift) - base + 1, 0, cells + 1)  # 0: below the segment, cells + 1: above
            parts.append(np.bincount(idx, minlength=cells + 2)[: cells + 1])
        return np.concatenate(parts).astype(np.int64)

    def cumulative(self, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(sorted points of the grid, how many values are at most each point) from :meth:`counts`."""
        g = self.linear
        points, cum = [g], [np.cumsum(counts[: len(g)])]
        at = len(g)
        for base, cells, shift, top in self.segments:
            upper = ((np.arange(cells, dtype=np.int64) + base) << shift) + ((1 << shift) - 1)
            points.append(np.minimum(_doubles(upper), top))
            cum.append(np.cumsum(counts[at: at + cells + 1])[1:])  # the values below the segment included
            at += cells + 1
        pts, cm = np.concatenate(points), np.concatenate(cum)
        order = np.argsort(pts, kind="stable")
        pts, cm = pts[order], cm[order]
        keep = np.concatenate([pts[1:] != pts[:-1], [True]])  # one count per point (the grids agree)
        return pts[keep], cm[keep]


def compare_grid(points: np.ndarray, r_cum: np.ndarray, c_cum: np.ndarray, bins: int) -> dict[str, Any]:
    """KS (midpoint and bound) and PSI (edges on the grid, bound) from both sides' counts up to each grid point."""
    n1, n2 = int(r_cum[-1]), int(c_cum[-1])
    f1 = r_cum / n1  # exact distribution functions at every grid point
    f2 = c_cum / n2
    d_low = float(np.abs(f1 - f2).max())
    p1, p2 = np.concatenate([[0.0], f1[:-1]]), np.concatenate([[0.0], f2[:-1]])  # at the cells' lower ends
    d_high = float(max(np.max(f1 - p2), np.max(f2 - p1), d_low))
    d = 0.5 * (d_low + d_high)
    # PSI edges: the reference quantile's two order statistics fall in known cells
    qs = np.linspace(0.0, 1.0, bins + 1)[1:-1]
    order = np.floor((n1 - 1) * qs).astype(np.int64)
    lo_cell = np.searchsorted(r_cum, order, side="right")
    hi_cell = np.searchsorted(r_cum, np.minimum(order + 1, n1 - 1), side="right")
    edge_bound = 0.0
    for lo, hi in zip(lo_cell.tolist(), hi_cell.tolist(), strict=True):
        below = points[lo - 1] if lo > 0 else points[0]
        edge_bound = max(edge_bound, float(points[lo] - below), float(points[hi] - points[lo]))
    cells = np.unique(lo_cell)
    edges = points[cells]

    def shares(cum: np.ndarray) -> np.ndarray:
        # cells are right-closed: the values up to an edge are whole cells
        per = np.diff(np.concatenate([[0], cum[cells], [cum[-1]]]))
        return per / cum[-1]

    return {
        "stats": {"psi": psi(shares(r_cum), shares(c_cum)), "ks": ks_asymptotic_pvalue(d, n1, n2), "ks_statistic": d},
        "bins": int(len(edges) + 1),
        "bin_edges": [float(e) for e in edges],
        "bound": {"grid_points": int(len(points)), "ks_statistic": 0.5 * (d_high - d_low),
                  "p_value": [ks_asymptotic_pvalue(d_high, n1, n2), ks_asymptotic_pvalue(d_low, n1, n2)],
                  "psi_edges": edge_bound},
    }


def compare_numeric(r: ColumnStats, c: ColumnStats, bins: int, grid: tuple[Grid, np.ndarray, np.ndarray] | None
                    ) -> dict[str, Any]:
    """A numeric feature's statistics from both sides' merged summaries (and the grid counts, when needed)."""
    if r.summary == "values" and c.summary == "values":
        assert r.values is not None and c.values is not None
        return {**numeric_compare(r.values, c.values, bins), "summary": "values"}
    if r.summary != "grid" and c.summary != "grid":
        return {**compare_counts(r.exact_counts(), c.exact_counts(), bins), "summary": "counts"}
    if grid is None:
        raise ValueError("a numeric feature summarised on a grid needs the grid counts")
    g, r_counts, c_counts = grid
    points, r_cum = g.cumulative(r_counts)
    _, c_cum = g.cumulative(c_counts)
    return {**compare_grid(points, r_cum, c_cum, bins), "summary": "grid"}


def categorical_counts(r: ColumnStats, c: ColumnStats) -> tuple[list[Any], np.ndarray, np.ndarray]:
    """Labels and reference/current counts in the in-memory order: first appearance, reference first; missing last."""
    assert r.counts is not None and c.counts is not None
    keys = list(dict.fromkeys([*r.counts, *c.counts]))
    labels = [jsonable(k) for k in keys]
    rc = [r.counts.get(k, 0) for k in keys]
    cc = [c.counts.get(k, 0) for k in keys]
    if r.missing or c.missing:
        labels.append(MISSING_LABEL)
        rc.append(r.missing)
        cc.append(c.missing)
    return labels, np.asarray(rc, dtype=np.int64), np.asarray(cc, dtype=np.int64)
