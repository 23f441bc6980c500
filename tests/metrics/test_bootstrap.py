"""Bootstrap helpers: quantiles against numpy, resampling schemes, result shape."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import charter.metrics as metrics_api
from charter.metrics.bootstrap import (
    estimate,
    multinomial_cells,
    percentile_interval,
    row_count_chunks,
)


def test_percentile_interval_matches_numpy_with_undefined_replicates():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(999, 6))
    x[rng.random(x.shape) < 0.2] = np.nan
    x[3, 2] = np.inf
    x[:, 4] = np.nan
    lo, hi, defined = percentile_interval(x, 0.9)
    clean = np.where(np.isfinite(x), x, np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        np.testing.assert_allclose(lo, np.nanquantile(clean, 0.05, axis=0), rtol=0, atol=1e-12)
        np.testing.assert_allclose(hi, np.nanquantile(clean, 0.95, axis=0), rtol=0, atol=1e-12)
    assert defined.tolist() == np.isfinite(x).sum(axis=0).tolist()
    assert np.isnan(lo[4]) and np.isnan(hi[4])


def test_estimate_reports_undefined_values_and_sparse_intervals():
    assert estimate(float("nan"), None, 0.95, reason="no positives") == {
        "value": None, "ci": None, "reason": "no positives", "method": None
    }
    samples = np.r_[np.full(30, np.nan), np.linspace(0, 1, 70)]
    res = estimate(0.5, samples, 0.95)
    assert res["ci"] is not None and "70 of 100" in res["reason"]
    res = estimate(0.5, np.r_[np.full(60, np.nan), np.linspace(0, 1, 40)], 0.95)
    assert res["ci"] is None and "only 40 of 100" in res["reason"]
    res = estimate(5.0, np.linspace(0, 1, 100), 0.95)
    assert "outside" in res["reason"]


def test_multinomial_cells_preserve_totals_and_means():
    counts = np.array([[50, 10], [5, 35]])
    draws = multinomial_cells(counts, 20000, np.random.default_rng(1))
    assert draws.shape == (20000, 2, 2)
    assert (draws.sum(axis=(1, 2)) == 100).all()
    np.testing.assert_allclose(draws.mean(axis=0), counts, rtol=0.02)
    # variance of a cell count under row resampling: n p (1 - p)
    p = counts / 100
    np.testing.assert_allclose(draws.var(axis=0), 100 * p * (1 - p), rtol=0.08)


def test_row_count_chunks_cover_all_replicates():
    chunks = list(row_count_chunks(1000, 37, np.random.default_rng(2)))
    w = np.concatenate(chunks)
    assert w.shape == (37, 1000)
    assert (w.sum(axis=1) == 1000).all()
    assert 0.55 < (w > 0).mean() < 0.71  # about 1 - 1/e of the rows appear in a replicate


def test_public_api():
    assert set(metrics_api.__all__) >= {
        "evaluate", "evaluate_classification", "evaluate_regression", "fairness_report", "drift_report"
    }
    for name in metrics_api.__all__:
        assert hasattr(metrics_api, name), name
    with pytest.raises(ValueError, match="task must be one of"):
        metrics_api.evaluate("clustering", [1], [1])
