"""Regression metrics against scikit-learn (the oracle)."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
import sklearn.metrics as skm

from charter.metrics import evaluate_regression
from charter.metrics.catalog import TaskType, metrics_for_task
from charter.metrics.regression import REASON_CONSTANT, _moments

TOL = 1e-9


def data(seed, n=400):
    rng = np.random.default_rng(seed)
    yt = rng.gamma(2.0, 50.0, n) + 1e4  # a large offset tests the numerical stability of r2
    yp = yt + rng.normal(0, 20, n)
    return yt, yp


def sk(yt, yp):
    return {
        "mae": skm.mean_absolute_error(yt, yp),
        "rmse": skm.root_mean_squared_error(yt, yp),
        "r2": skm.r2_score(yt, yp),
    }


@pytest.mark.parametrize("seed", [0, 1])
def test_metrics_match_sklearn(seed):
    yt, yp = data(seed)
    report = evaluate_regression(yt, yp, n_boot=0)
    got = {m: r["value"] for m, r in report["overall"]["metrics"].items()}
    assert set(got) == set(metrics_for_task(TaskType.REGRESSION))
    for m, v in sk(yt, yp).items():
        assert got[m] == pytest.approx(v, rel=TOL, abs=TOL), m


def test_constant_target_makes_r2_undefined():
    yt = np.full(10, 3.0)
    yp = np.linspace(2, 4, 10)
    assert skm.r2_score(yt, yp) == 0.0  # scikit-learn's placeholder
    with np.errstate(divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        assert np.isneginf(skm.r2_score(yt, yp, force_finite=False))
    r2 = evaluate_regression(yt, yp, n_boot=50)["overall"]["metrics"]["r2"]
    assert r2 == {"value": None, "ci": None, "reason": REASON_CONSTANT, "method": None}


def test_slices_and_pandas_input():
    yt, yp = data(2, n=600)
    df = pd.DataFrame({"y": yt, "p": yp, "segment": np.random.default_rng(0).choice(["a", "b"], 600)})
    report = evaluate_regression(df["y"], df["p"], slices={"segment": df["segment"], "big": df["y"] > 1e4 + 100},
                                 n_boot=0)
    assert [s["name"] for s in report["slices"]] == ["segment=a", "segment=b", "big"]
    for s in report["slices"]:
        sel = (df["segment"] == s["value"]).to_numpy() if s["column"] else (df["y"] > 1e4 + 100).to_numpy()
        for m, v in sk(yt[sel], yp[sel]).items():
            assert s["metrics"][m]["value"] == pytest.approx(v, rel=TOL, abs=TOL), (s["name"], m)


def test_weighted_moments_equal_sklearn_on_repeated_rows():
    yt, yp = data(3, n=150)
    rng = np.random.default_rng(5)
    w = np.bincount(rng.integers(0, 150, 150), minlength=150).astype(float)
    rep = np.repeat(np.arange(150), w.astype(int))
    e = yp - yt
    yc = yt - yt.mean()
    x = np.stack([np.ones(150), np.abs(e), e * e, yc, yc * yc], axis=1)
    got = {m: v[0] for m, v in _moments(x, w[None, :]).items()}
    for m, v in sk(yt[rep], yp[rep]).items():
        assert got[m] == pytest.approx(v, rel=1e-7), m


def test_bootstrap_deterministic_contains_estimate_and_json():
    yt, yp = data(4, n=1000)
    a = evaluate_regression(yt, yp, n_boot=300, seed=11)
    assert a == evaluate_regression(yt, yp, n_boot=300, seed=11)
    assert a != evaluate_regression(yt, yp, n_boot=300, seed=12)
    for m, r in a["overall"]["metrics"].items():
        lo, hi = r["ci"]
        assert lo < r["value"] < hi, m
    json.dumps(a, allow_nan=False)


def test_rejects_bad_input():
    with pytest.raises(ValueError, match="missing or infinite"):
        evaluate_regression([1.0, np.nan], [1.0, 2.0])
    with pytest.raises(ValueError, match="did you mean 'rmse'"):
        evaluate_regression([1.0, 2.0], [1.0, 2.0], metrics=["rmsee"])
    with pytest.raises(ValueError, match="rows"):
        evaluate_regression([1.0, 2.0], [1.0])
