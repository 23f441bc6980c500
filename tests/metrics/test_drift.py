"""Drift statistics against scipy (the oracle) and an independent PSI computation."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from charter.metrics import PSI_EPSILON, drift_report, psi
from charter.metrics.catalog import DRIFT_DEFAULT_THRESHOLDS


def psi_by_hand(ref, cur, bins=10):
    """PSI with pandas.cut on the reference deciles (independent of the module's binning)."""
    edges = np.unique(np.quantile(ref, np.linspace(0, 1, bins + 1)[1:-1]))
    cuts = np.concatenate([[-np.inf], edges, [np.inf]])
    r = pd.cut(ref, cuts, right=True).value_counts(normalize=True, sort=False).to_numpy()
    c = pd.cut(cur, cuts, right=True).value_counts(normalize=True, sort=False).to_numpy()
    r = np.where(r == 0, PSI_EPSILON, r)
    c = np.where(c == 0, PSI_EPSILON, c)
    return float(np.sum((c - r) * np.log(c / r)))


def frames(seed=0, n_ref=3000, n_cur=3000, shift=0.0):
    rng = np.random.default_rng(seed)
    ref = pd.DataFrame(
        {
            "income": rng.lognormal(10, 0.5, n_ref),
            "age": rng.integers(18, 90, n_ref),
            "channel": rng.choice(["web", "app", "branch"], n_ref, p=[0.5, 0.3, 0.2]),
        }
    )
    cur = pd.DataFrame(
        {
            "income": rng.lognormal(10 + shift, 0.5, n_cur),
            "age": rng.integers(18, 90, n_cur),
            "channel": rng.choice(["web", "app", "branch"], n_cur, p=[0.5, 0.3, 0.2]),
        }
    )
    return ref, cur


def test_psi_known_value():
    assert psi([0.5, 0.5], [0.5, 0.5]) == 0.0
    expected = (0.5 - 0.25) * np.log(0.5 / 0.25) + (0.5 - 0.75) * np.log(0.5 / 0.75)
    assert psi([0.25, 0.75], [0.5, 0.5]) == pytest.approx(expected, rel=1e-12)
    # an empty bin uses the epsilon instead of an infinite term
    assert psi([1.0, 0.0], [0.5, 0.5]) == pytest.approx(
        (0.5 - 1.0) * np.log(0.5) + (0.5 - PSI_EPSILON) * np.log(0.5 / PSI_EPSILON), rel=1e-12
    )


def test_numeric_statistics_match_scipy_and_hand_psi():
    ref, cur = frames(shift=0.15)
    report = drift_report(ref, cur)
    f = report["features"]["income"]
    ks = stats.ks_2samp(ref["income"], cur["income"])
    assert f["stats"]["ks"] == pytest.approx(ks.pvalue, rel=1e-12)
    assert f["stats"]["ks_statistic"] == pytest.approx(ks.statistic, rel=1e-12)
    assert f["stats"]["psi"] == pytest.approx(psi_by_hand(ref["income"], cur["income"]), rel=1e-12)
    assert f["method"] == "psi" and f["threshold"] == DRIFT_DEFAULT_THRESHOLDS["psi"]
    assert f["drifted"] == (f["stats"]["psi"] > 0.1)
    assert f["bins"] == 10


def test_integer_feature_with_ties_and_fewer_bins():
    rng = np.random.default_rng(1)
    ref = pd.DataFrame({"n_products": rng.poisson(0.7, 4000)})
    cur = pd.DataFrame({"n_products": rng.poisson(1.2, 4000)})
    f = drift_report(ref, cur)["features"]["n_products"]
    assert f["bins"] < 10  # duplicated quantile edges collapse
    assert f["stats"]["psi"] == pytest.approx(psi_by_hand(ref["n_products"], cur["n_products"]), rel=1e-12)
    assert f["drifted"] is True


def test_categorical_statistics_match_scipy():
    ref, cur = frames(seed=2)
    cur.loc[cur.index[:200], "channel"] = "partner"  # a new category
    f = drift_report(ref, cur)["features"]["channel"]
    cats = ["web", "app", "branch", "partner"]
    table = np.array([[int((frame["channel"] == c).sum()) for c in cats] for frame in (ref, cur)])
    chi = stats.chi2_contingency(table)
    assert f["stats"]["chi2"] == pytest.approx(chi.pvalue, rel=1e-9)
    assert f["stats"]["chi2_statistic"] == pytest.approx(chi.statistic, rel=1e-12)
    assert f["stats"]["chi2_dof"] == 3
    shares = table / table.sum(axis=1, keepdims=True)
    assert f["stats"]["psi"] == pytest.approx(psi(shares[0], shares[1]), rel=1e-12)
    assert f["kind"] == "categorical" and f["new_categories"] == ["partner"]


def test_small_samples_are_decided_by_tests_large_by_psi():
    ref, cur = frames(seed=3, n_ref=400, n_cur=300, shift=0.3)
    report = drift_report(ref, cur)
    assert report["features"]["income"]["method"] == "ks"
    assert report["features"]["channel"]["method"] == "chi2"
    assert report["features"]["income"]["drifted"] is True  # p-value far below 0.05
    big_ref, big_cur = frames(seed=3, n_ref=20000, n_cur=20000, shift=0.02)
    big = drift_report(big_ref, big_cur)["features"]["income"]
    # a negligible shift: KS is significant on this many rows, PSI is not
    assert big["stats"]["ks"] < 0.05 and big["method"] == "psi" and big["drifted"] is False


def test_method_override_and_thresholds():
    ref, cur = frames(seed=4, shift=0.05)
    report = drift_report(ref, cur, methods={"income": "ks"}, thresholds={"ks": 1e-300, "drift_share": 0.2})
    f = report["features"]["income"]
    assert f["method"] == "ks" and f["threshold"] == 1e-300 and f["method_reason"] == "set by the caller"
    assert f["drifted"] == (f["stats"]["ks"] < 1e-300)
    assert report["thresholds"]["drift_share"] == 0.2
    with pytest.raises(ValueError, match="did you mean 'psi'"):
        drift_report(ref, cur, thresholds={"psii": 0.2})
    with pytest.raises(ValueError, match="not valid for categorical"):
        drift_report(ref, cur, methods="ks")


def test_drift_share_and_overall_flag():
    ref, cur = frames(seed=5, shift=1.0)
    cur["age"] = cur["age"] + 30
    report = drift_report(ref, cur)
    assert report["n_compared"] == 3
    assert {k for k, f in report["features"].items() if f["drifted"]} == {"income", "age"}
    assert report["drift_share"] == pytest.approx(2 / 3)
    assert report["drifted"] is True
    assert drift_report(ref, cur, thresholds={"drift_share": 0.9})["drifted"] is False


def test_schema_drift():
    ref, cur = frames(seed=6)
    cur = cur.drop(columns=["age"]).assign(score=1.0, channel=cur["channel"].astype("category"))
    ref = ref.assign(flag=np.arange(len(ref)) % 2 == 0)
    cur = cur.assign(flag=np.where(np.arange(len(cur)) % 2 == 0, "yes", "no"))
    report = drift_report(ref, cur)
    schema = report["schema"]
    assert schema["added"] == ["score"] and schema["removed"] == ["age"]
    assert [r["column"] for r in schema["retyped"]] == ["flag"]
    assert schema["retyped"][0]["reference_family"] == "bool"
    assert [r["column"] for r in schema["dtype_changes"]] == ["channel"]  # text -> category: same family
    assert schema["changed"] is True
    assert set(report["features"]) == {"income", "channel"}
    explicit = drift_report(ref, cur, features=["income", "age"])
    assert explicit["skipped"] == {"age": "not in the current data"}


def test_missing_values_are_reported_and_dropped():
    ref, cur = frames(seed=7)
    cur.loc[cur.index[:300], "income"] = np.nan
    cur.loc[cur.index[:100], "channel"] = None
    report = drift_report(ref, cur)
    inc = report["features"]["income"]
    assert inc["missing_current"] == pytest.approx(0.1) and inc["n_current"] == 2700
    ks = stats.ks_2samp(ref["income"], cur["income"].dropna())
    assert inc["stats"]["ks"] == pytest.approx(ks.pvalue, rel=1e-12)
    ch = report["features"]["channel"]
    assert ch["new_categories"] == ["<missing>"]
    json.dumps(report, allow_nan=False)


def test_numeric_feature_forced_categorical_and_all_missing():
    ref = pd.DataFrame({"code": [1, 2, 3, 1, 2] * 40, "empty": [np.nan] * 200})
    cur = pd.DataFrame({"code": [1, 1, 3, 1, 2] * 40, "empty": [1.0] * 200})
    report = drift_report(ref, cur, categorical=["code"])
    assert report["features"]["code"]["kind"] == "categorical"
    assert report["skipped"]["empty"].startswith("no non-missing values in the reference")
    assert report["n_compared"] == 1
