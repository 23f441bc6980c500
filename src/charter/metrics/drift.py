"""Data drift between a reference (training / evaluation) frame and a current one.

Schema drift: columns added, removed, or retyped. A column is *retyped* when its
type family changes (numeric, bool, categorical/text, datetime, timedelta);
changes within a family (``int64`` -> ``float64``, ``object`` -> ``category``) are
listed under ``dtype_changes`` and do not count as drift.

Distribution drift per feature, with every statistic reported and the deciding
method recorded:

* numeric: PSI over quantile bins of the reference (``bins`` bins, default 10;
  inner edges are the reference quantiles, duplicates removed, so heavy ties give
  fewer bins; intervals are right-closed and the outer bins are open-ended) and
  the two-sample Kolmogorov–Smirnov p-value (``scipy.stats.ks_2samp``);
* categorical (non-numeric or bool columns, and any listed in ``categorical``):
  chi-squared p-value of the 2 x k contingency table of reference vs current
  counts (``scipy.stats.chi2_contingency`` with its defaults, so Yates'
  correction when there are two categories) and PSI over the categories.
  Missing values are a category of their own (``"<missing>"``).

PSI: ``sum((c - r) * ln(c / r))`` over bins of the reference (r) and current (c)
proportions; a proportion of 0 is replaced by ``PSI_EPSILON`` = 1e-4 (not
renormalised), so a bin present on one side only adds a large but finite term.

Which statistic decides (``method``): p-value tests flag negligible shifts once
samples are large, while PSI with a fixed number of bins is noisy on small
samples. So by default the test decides (KS for numeric, chi-squared for
categorical) when the smaller of the two samples has at most ``large_sample``
(default 1000) non-missing values, and PSI decides above that. ``methods``
overrides this per feature or for all. Drift: PSI above its threshold, or a
p-value below its threshold. Missing values are dropped for numeric statistics;
their shares are reported.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from .bootstrap import to_float
from .catalog import DRIFT_DEFAULT_THRESHOLDS
from .groups import MISSING_LABEL, did_you_mean, jsonable

PSI_EPSILON = 1e-4
DEFAULT_BINS = 10
DEFAULT_LARGE_SAMPLE = 1000
MAX_LISTED_CATEGORIES = 20

NUMERIC_METHODS = ("psi", "ks")
CATEGORICAL_METHODS = ("psi", "chi2")

ERR_THRESHOLD = "unknown drift threshold {name!r}{hint}"
ERR_THRESHOLD_VALUE = "drift threshold {name!r} must be a number, got {value!r}"
ERR_METHOD = "drift method {method!r} is not valid for {kind} feature {feature!r}; choose from {choices}"
ERR_BINS = "bins must be an integer >= 2, got {!r}"
ERR_FRAME = "{what} must be a pandas DataFrame"


def type_family(dtype: Any) -> str:
    if pd.api.types.is_bool_dtype(dtype):
        return "bool"
    if pd.api.types.is_numeric_dtype(dtype):
        return "numeric"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "datetime"
    if pd.api.types.is_timedelta64_dtype(dtype):
        return "timedelta"
    return "categorical"


def psi(reference_share: np.ndarray, current_share: np.ndarray, epsilon: float = PSI_EPSILON) -> float:
    """Population stability index of two proportion vectors over the same bins."""
    r = np.asarray(reference_share, dtype=np.float64)
    c = np.asarray(current_share, dtype=np.float64)
    r = np.where(r == 0, epsilon, r)
    c = np.where(c == 0, epsilon, c)
    return float(np.sum((c - r) * np.log(c / r)))


def quantile_edges(reference: np.ndarray, bins: int = DEFAULT_BINS) -> np.ndarray:
    """Inner bin edges: reference quantiles at 1/bins .. (bins-1)/bins, de-duplicated."""
    qs = np.linspace(0.0, 1.0, bins + 1)[1:-1]
    return np.unique(np.quantile(reference, qs))


def binned_shares(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Share of values per right-closed bin ``(-inf, e1], (e1, e2], ..., (e_last, inf)``."""
    idx = np.searchsorted(edges, values, side="left")
    counts = np.bincount(idx, minlength=len(edges) + 1)
    return counts / counts.sum()


def _thresholds(thresholds: Mapping[str, float] | None) -> dict[str, float]:
    out = dict(DRIFT_DEFAULT_THRESHOLDS)
    for name, value in (thresholds or {}).items():
        if name not in out:
            raise ValueError(ERR_THRESHOLD.format(name=name, hint=did_you_mean(name, list(out))))
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(ERR_THRESHOLD_VALUE.format(name=name, value=value))
        out[name] = float(value)
    return out


def _schema(reference: pd.DataFrame, current: pd.DataFrame) -> dict[str, Any]:
    return schema_changes({str(c): reference[c].dtype for c in reference.columns},
                          {str(c): current[c].dtype for c in current.columns})


def schema_changes(reference: Mapping[str, Any], current: Mapping[str, Any]) -> dict[str, Any]:
    """Added, removed and retyped columns from the columns' dtypes (in column order) on either side."""
    ref_cols, cur_cols = list(reference), list(current)
    ref_set, cur_set = set(ref_cols), set(cur_cols)
    retyped, dtype_changes = [], []
    for col in ref_cols:
        if col not in cur_set:
            continue
        rd, cd = reference[col], current[col]
        if str(rd) == str(cd):
            continue
        item = {"column": col, "reference": str(rd), "current": str(cd)}
        if type_family(rd) != type_family(cd):
            item.update({"reference_family": type_family(rd), "current_family": type_family(cd)})
            retyped.append(item)
        else:
            dtype_changes.append(item)
    added = [c for c in cur_cols if c not in ref_set]
    removed = [c for c in ref_cols if c not in cur_set]
    return {
        "added": added,
        "removed": removed,
        "retyped": retyped,
        "dtype_changes": dtype_changes,
        "changed": bool(added or removed or retyped),
    }


def _decide(method: str, value: float | None, limits: dict[str, float]) -> bool:
    if value is None:
        return False
    if method == "psi":
        return value > limits["psi"]
    return value < limits[method]


def _numeric_feature(ref: pd.Series, cur: pd.Series, bins: int) -> dict[str, Any]:
    r = pd.to_numeric(ref, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    c = pd.to_numeric(cur, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    r_ok, c_ok = r[np.isfinite(r)], c[np.isfinite(c)]
    out = numeric_shares(len(r), len(r_ok), len(c), len(c_ok))
    if "reason" in out:
        return out
    out.update(numeric_compare(r_ok, c_ok, bins))
    return out


def numeric_shares(rows_ref: int, ok_ref: int, rows_cur: int, ok_cur: int) -> dict[str, Any]:
    """The counts and missing shares of a numeric feature (with the reason it cannot be compared, if so)."""
    out: dict[str, Any] = {
        "kind": "numeric",
        "n_reference": int(ok_ref),
        "n_current": int(ok_cur),
        "missing_reference": to_float(1 - ok_ref / rows_ref) if rows_ref else None,
        "missing_current": to_float(1 - ok_cur / rows_cur) if rows_cur else None,
    }
    if ok_ref == 0 or ok_cur == 0:
        out["reason"] = "no non-missing values in the " + ("reference" if ok_ref == 0 else "current") + " data"
    return out


def numeric_compare(r_ok: np.ndarray, c_ok: np.ndarray, bins: int) -> dict[str, Any]:
    """PSI and Kolmogorov–Smirnov of two samples of finite values."""
    edges = quantile_edges(r_ok, bins)
    ks = stats.ks_2samp(r_ok, c_ok)
    return {
        "stats": {
            "psi": psi(binned_shares(r_ok, edges), binned_shares(c_ok, edges)),
            "ks": float(ks.pvalue),
            "ks_statistic": float(ks.statistic),
        },
        "bins": int(len(edges) + 1),
        "bin_edges": [float(e) for e in edges],
    }


def _categorical_feature(ref: pd.Series, cur: pd.Series) -> dict[str, Any]:
    both = pd.concat([ref.astype(object), cur.astype(object)], ignore_index=True)
    codes, uniques = pd.factorize(both, use_na_sentinel=True)
    labels = [jsonable(u) for u in uniques]
    if (codes < 0).any():
        codes = np.where(codes < 0, len(labels), codes)
        labels.append(MISSING_LABEL)
    k = len(labels)
    rc = np.bincount(codes[: len(ref)], minlength=k)
    cc = np.bincount(codes[len(ref) :], minlength=k)
    return categorical_compare(labels, rc, cc, to_float(ref.isna().mean()) if len(ref) else None,
                               to_float(cur.isna().mean()) if len(cur) else None)


def categorical_compare(labels: list[Any], rc: np.ndarray, cc: np.ndarray, missing_reference: float | None,
                        missing_current: float | None) -> dict[str, Any]:
    """Chi-squared and PSI of the reference and current counts of each category (in ``labels`` order)."""
    n_ref, n_cur = int(rc.sum()), int(cc.sum())
    k = len(labels)
    out: dict[str, Any] = {
        "kind": "categorical",
        "n_reference": n_ref,
        "n_current": n_cur,
        "missing_reference": missing_reference,
        "missing_current": missing_current,
    }
    if n_ref == 0 or n_cur == 0:
        out["reason"] = "no rows in the " + ("reference" if n_ref == 0 else "current") + " data"
        return out
    if k >= 2:
        chi = stats.chi2_contingency(np.vstack([rc, cc]))
        chi_p, chi_stat, dof = float(chi.pvalue), float(chi.statistic), int(chi.dof)
    else:  # one category on both sides: identical distributions
        chi_p, chi_stat, dof = 1.0, 0.0, 0
    out["stats"] = {
        "psi": psi(rc / rc.sum(), cc / cc.sum()),
        "chi2": chi_p,
        "chi2_statistic": chi_stat,
        "chi2_dof": dof,
    }
    out["categories"] = int(k)
    new = [labels[i] for i in range(k) if rc[i] == 0]
    gone = [labels[i] for i in range(k) if cc[i] == 0]
    out["new_categories"] = new[:MAX_LISTED_CATEGORIES]
    out["missing_categories"] = gone[:MAX_LISTED_CATEGORIES]
    return out


def drift_report(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    features: Sequence[str] | None = None,
    categorical: Sequence[str] | None = None,
    thresholds: Mapping[str, float] | None = None,
    *,
    bins: int = DEFAULT_BINS,
    methods: str | Mapping[str, str] | None = None,
    large_sample: int = DEFAULT_LARGE_SAMPLE,
) -> dict[str, Any]:
    """Schema and distribution drift of ``current`` against ``reference``.

    ``features``: columns to compare (default: the columns present in both with an
    unchanged type family). ``categorical``: columns to treat as categorical even
    if numeric. ``thresholds``: overrides for ``catalog.DRIFT_DEFAULT_THRESHOLDS``
    (``psi``, ``ks``, ``chi2``, ``drift_share``). ``methods``: ``"psi"``, ``"ks"``
    or ``"chi2"`` for every feature, or ``{feature: method}``.

    Returns a JSON-ready dict::

        {"schema": {"added", "removed", "retyped", "dtype_changes", "changed"},
         "features": {<name>: {"kind", "method", "drifted", "score", "threshold",
                               "stats": {...}, "n_reference", "n_current",
                               "missing_reference", "missing_current", ...}},
         "skipped": {<name>: reason},
         "n_compared", "n_drifted", "drift_share", "drifted", "thresholds", "large_sample"}
    """
    if not isinstance(reference, pd.DataFrame):
        raise ValueError(ERR_FRAME.format(what="reference"))
    if not isinstance(current, pd.DataFrame):
        raise ValueError(ERR_FRAME.format(what="current"))
    if isinstance(bins, bool) or not isinstance(bins, (int, np.integer)) or bins < 2:
        raise ValueError(ERR_BINS.format(bins))
    limits = _thresholds(thresholds)
    schema = _schema(reference, current)
    ref_cols = {str(c): c for c in reference.columns}
    cur_cols = {str(c): c for c in current.columns}
    return compare_features(
        schema, {n: reference[c].dtype for n, c in ref_cols.items()}, {n: current[c].dtype for n, c in cur_cols.items()},
        lambda name: _numeric_feature(reference[ref_cols[name]], current[cur_cols[name]], int(bins)),
        lambda name: _categorical_feature(reference[ref_cols[name]], current[cur_cols[name]]),
        features=features, categorical=categorical, limits=limits, methods=methods, large_sample=large_sample)


def compare_features(
    schema: dict[str, Any],
    ref_dtypes: Mapping[str, Any],
    cur_dtypes: Mapping[str, Any],
    numeric: Callable[[str], dict[str, Any]],
    categorical_of: Callable[[str], dict[str, Any]],
    *,
    features: Sequence[str] | None,
    categorical: Sequence[str] | None,
    limits: dict[str, float],
    methods: str | Mapping[str, str] | None,
    large_sample: int,
) -> dict[str, Any]:
    """The report of :func:`drift_report` from each side's column dtypes and per-feature comparisons.

    ``numeric(name)`` / ``categorical_of(name)`` give a feature's statistics
    (:func:`numeric_shares` and :func:`numeric_compare`, :func:`categorical_compare`);
    the in-memory report computes them from the frames, the partitioned one from
    merged per-partition statistics. A result with ``"skip"`` is skipped with that reason.
    """
    retyped = {item["column"] for item in schema["retyped"]}
    if features is None:
        names = [c for c in ref_dtypes if c in cur_dtypes and c not in retyped]
    else:
        names = [str(f) for f in features]
    cat_set = {str(c) for c in (categorical or [])}

    results: dict[str, Any] = {}
    skipped: dict[str, str] = {}
    for name in names:
        if name not in ref_dtypes or name not in cur_dtypes:
            where = "reference" if name not in ref_dtypes else "current"
            skipped[name] = f"not in the {where} data"
            continue
        fam_r, fam_c = type_family(ref_dtypes[name]), type_family(cur_dtypes[name])
        if name in cat_set or fam_r in ("bool", "categorical"):
            if fam_r != fam_c and name not in cat_set:
                skipped[name] = f"type changed from {fam_r} to {fam_c}"
                continue
            res = categorical_of(name)
            allowed = CATEGORICAL_METHODS
            test = "chi2"
        elif fam_r == "numeric":
            if fam_c != "numeric":
                skipped[name] = f"type changed from {fam_r} to {fam_c}"
                continue
            res = numeric(name)
            allowed = NUMERIC_METHODS
            test = "ks"
        else:
            skipped[name] = f"{fam_r} features are not compared"
            continue
        if "skip" in res:
            skipped[name] = res["skip"]
            continue
        if "stats" not in res:
            skipped[name] = res.get("reason", "not comparable")
            continue
        chosen = methods.get(name) if isinstance(methods, Mapping) else methods
        if chosen is None:
            small = min(res["n_reference"], res["n_current"]) <= large_sample
            chosen = test if small else "psi"
            res["method_reason"] = (
                f"smaller sample {'<=' if small else '>'} {large_sample} rows: "
                + ("statistical test" if small else "PSI (tests flag negligible shifts on large samples)")
            )
        else:
            if chosen not in allowed:
                raise ValueError(
                    ERR_METHOD.format(method=chosen, kind=res["kind"], feature=name, choices=list(allowed))
                )
            res["method_reason"] = "set by the caller"
        score = res["stats"][chosen]
        res.update({"method": chosen, "score": to_float(score), "threshold": limits[chosen]})
        res["drifted"] = _decide(chosen, to_float(score), limits)
        results[name] = res

    n_compared = len(results)
    n_drifted = sum(1 for r in results.values() if r["drifted"])
    share = n_drifted / n_compared if n_compared else None
    return {
        "schema": schema,
        "features": results,
        "skipped": skipped,
        "n_compared": n_compared,
        "n_drifted": n_drifted,
        "drift_share": share,
        "drifted": bool(share is not None and share >= limits["drift_share"]),
        "thresholds": limits,
        "large_sample": int(large_sample),
    }
