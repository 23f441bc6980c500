"""Fairness values against fairlearn (the oracle) to 1e-9."""

from __future__ import annotations

import json
import math
import warnings

import numpy as np
import pandas as pd
import pytest
import sklearn.metrics as skm
from fairlearn.metrics import (
    MetricFrame,
    demographic_parity_difference,
    demographic_parity_ratio,
    equal_opportunity_difference,
    equal_opportunity_ratio,
    equalized_odds_difference,
    equalized_odds_ratio,
    false_negative_rate,
    false_positive_rate,
    selection_rate,
    true_positive_rate,
)

from charter.metrics import MISSING_LABEL, available_disparities, fairness_report
from charter.metrics.bootstrap import multinomial_cells
from charter.metrics.catalog import FAIRNESS_METRICS
from charter.metrics.groups import ERR_MISSING, factorize

TOL = 1e-9

FL_METRICS = {
    "selection_rate": selection_rate,
    "tpr": true_positive_rate,
    "fpr": false_positive_rate,
    "fnr": false_negative_rate,
    "precision": lambda yt, yp: skm.precision_score(yt, yp, zero_division=0),
    "accuracy": skm.accuracy_score,
}
FL_DISPARITIES = {
    "demographic_parity_difference": demographic_parity_difference,
    "demographic_parity_ratio": demographic_parity_ratio,
    "equalized_odds_difference": equalized_odds_difference,
    "equalized_odds_ratio": equalized_odds_ratio,
    "equal_opportunity_difference": equal_opportunity_difference,
    "equal_opportunity_ratio": equal_opportunity_ratio,
}


def _group_key(value):
    return value if isinstance(value, tuple) else (value,)


def _same(ours, theirs):
    """Equal to TOL; None (ours) matches NaN (fairlearn)."""
    if ours is None:
        return theirs is None or (isinstance(theirs, float) and math.isnan(theirs))
    return theirs is not None and not math.isnan(theirs) and abs(ours - theirs) <= TOL


def assert_matches_fairlearn(yt, yp, sf: pd.DataFrame, report, *, nan_as=None, functions=False):
    """Every group metric and disparity of every attribute equals fairlearn's.

    ``functions=True`` also checks the named fairness functions of fairlearn
    (each builds its own MetricFrame, which is slow, so only some tests do).
    """
    if nan_as is not None:
        sf = sf.astype(object).where(sf.notna(), nan_as)
    checked = 0
    for name, attr in report["attributes"].items():
        cols = attr["columns"]
        feats = sf[cols] if len(cols) > 1 else sf[cols[0]]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            mf = MetricFrame(metrics=FL_METRICS, y_true=yt, y_pred=yp, sensitive_features=feats)
            assert len(mf.by_group) == len(attr["groups"]), name
            for g in attr["groups"]:
                key = tuple(g["values"][c] for c in cols)
                row = mf.by_group.loc[key if len(cols) > 1 else key[0]]
                for m in FL_METRICS:
                    assert _same(g["metrics"][m], float(row[m])), (name, key, m, g["metrics"][m], row[m])
                    checked += 1
            diffs, ratios = mf.difference(), mf.ratio()
            for m in FL_METRICS:
                assert _same(attr["disparities"][f"{m}_difference"]["value"], float(diffs[m])), (name, m)
                assert _same(attr["disparities"][f"{m}_ratio"]["value"], float(ratios[m])), (name, m)
                checked += 2
            for disp, fn in FL_DISPARITIES.items() if functions else ():
                theirs = float(fn(yt, yp, sensitive_features=feats))
                ours = attr["disparities"][disp]["value"]
                assert _same(ours, theirs), (name, disp, ours, theirs)
                checked += 1
    return checked


def _data(seed, n=600, cards=(2, 3)):
    rng = np.random.default_rng(seed)
    sf = pd.DataFrame({f"a{i}": rng.choice([f"v{j}" for j in range(k)], n) for i, k in enumerate(cards)})
    yt = rng.integers(0, 2, n)
    yp = np.where(rng.random(n) < 0.7, yt, 1 - yt)
    return yt, yp, sf


def test_random_data_matches_fairlearn():
    yt, yp, sf = _data(0)
    report = fairness_report(yt, yp, sf, n_boot=0)
    assert list(report["attributes"]) == ["a0", "a1", "a0 & a1"]
    assert [len(a["groups"]) for a in report["attributes"].values()] == [2, 3, 6]
    assert assert_matches_fairlearn(yt, yp, sf, report, functions=True) == (2 + 3 + 6) * 6 + 3 * (12 + 6)


def test_group_without_positives_and_single_row_group():
    yt = np.array([1, 0, 1, 0, 1, 0, 0, 0, 0, 1])
    yp = np.array([1, 1, 0, 0, 1, 0, 1, 0, 0, 0])
    sex = np.array(["f", "f", "f", "f", "m", "m", "x", "x", "x", "y"])  # x: no positives; y: one row
    sf = pd.DataFrame({"sex": sex})
    report = fairness_report(yt, yp, sf, n_boot=0, min_group_size=2)
    assert_matches_fairlearn(yt, yp, sf, report, functions=True)
    groups = {g["label"]: g for g in report["attributes"]["sex"]["groups"]}
    assert groups["x"]["metrics"]["tpr"] == 0.0
    assert "tpr" in groups["x"]["undefined"] and "fnr" in groups["x"]["undefined"]
    assert groups["y"]["count"] == 1 and groups["y"]["small"] is True
    assert report["attributes"]["sex"]["small_groups"] == ["y"]
    assert any("minimum size 2" in w for w in report["warnings"])


def test_categorical_and_integer_labels():
    rng = np.random.default_rng(5)
    n = 400
    sf = pd.DataFrame(
        {
            "band": pd.Categorical(
                rng.choice(["young", "mid", "old"], n), categories=["young", "mid", "old", "unused"]
            ),
            "region": rng.integers(1, 4, n),
        }
    )
    yt = rng.integers(0, 2, n)
    yp = rng.integers(0, 2, n)
    report = fairness_report(yt, yp, sf, n_boot=0)
    labels = [g["label"] for g in report["attributes"]["band"]["groups"]]
    assert labels == ["young", "mid", "old"]  # category order, unused category dropped
    assert report["attributes"]["region"]["groups"][0]["values"] == {"region": 1}
    assert_matches_fairlearn(yt, yp, sf, report)
    json.dumps(report, allow_nan=False)


def test_missing_sensitive_values_form_their_own_group():
    yt, yp, sf = _data(7, n=300)
    sf.loc[sf.index[:17], "a1"] = np.nan
    with pytest.raises(ValueError, match="missing values"):
        MetricFrame(metrics=selection_rate, y_true=yt, y_pred=yp, sensitive_features=sf["a1"])
    with pytest.raises(ValueError) as err:
        fairness_report(yt, yp, sf, missing="error", n_boot=0)
    assert str(err.value) == ERR_MISSING.format(name="a1", count=17)
    report = fairness_report(yt, yp, sf, n_boot=0)
    groups = report["attributes"]["a1"]["groups"]
    assert groups[-1]["label"] == MISSING_LABEL and groups[-1]["count"] == 17
    assert any("17 missing" in w for w in report["warnings"])
    assert_matches_fairlearn(yt, yp, sf, report, nan_as=MISSING_LABEL)


def test_zero_rates_give_undefined_ratios_like_fairlearn():
    # nobody is selected: every selection rate, TPR and FPR is 0 -> ratios 0/0
    yt = np.array([0, 1, 0, 1, 0, 1])
    yp = np.zeros(6, dtype=int)
    sf = pd.DataFrame({"g": list("aabbcc")})
    report = fairness_report(yt, yp, sf, n_boot=50)
    assert_matches_fairlearn(yt, yp, sf, report, functions=True)
    disp = report["attributes"]["g"]["disparities"]
    assert disp["demographic_parity_ratio"]["value"] is None
    assert "0/0" in disp["demographic_parity_ratio"]["reason"]
    assert disp["equalized_odds_ratio"]["value"] is None
    assert disp["demographic_parity_difference"]["value"] == 0.0


def test_equalized_odds_ratio_when_only_fpr_ratio_is_undefined():
    # no false positives anywhere: FPR ratio 0/0; fairlearn then returns the TPR ratio
    yt = np.array([1, 1, 0, 1, 1, 0, 1, 0])
    yp = np.array([1, 0, 0, 1, 1, 0, 1, 0])
    sf = pd.DataFrame({"g": list("aaabbbcc")})
    report = fairness_report(yt, yp, sf, n_boot=0)
    assert_matches_fairlearn(yt, yp, sf, report, functions=True)
    eo = report["attributes"]["g"]["disparities"]["equalized_odds_ratio"]
    assert eo["value"] == pytest.approx(0.5)
    assert "tpr ratio" in eo["reason"]


def test_string_labels_need_pos_label():
    yt = np.array(["yes", "no", "yes", "no"])
    yp = np.array(["yes", "yes", "no", "no"])
    sf = {"g": np.array(["a", "a", "b", "b"])}
    with pytest.raises(ValueError, match="pos_label"):
        fairness_report(yt, yp, sf, n_boot=0)
    report = fairness_report(yt, yp, sf, pos_label="yes", n_boot=0)
    assert report["pos_label"] == "yes"
    ours = report["attributes"]["g"]["disparities"]["demographic_parity_difference"]["value"]
    theirs = demographic_parity_difference(
        (yt == "yes").astype(int), (yp == "yes").astype(int), sensitive_features=sf["g"]
    )
    assert ours == pytest.approx(theirs, abs=TOL)


def test_explicit_intersections_and_unknown_names():
    rng = np.random.default_rng(3)
    n = 300
    sf = pd.DataFrame({c: rng.choice(list("pq"), n) for c in ("x", "y", "z")})
    yt, yp = rng.integers(0, 2, n), rng.integers(0, 2, n)
    report = fairness_report(yt, yp, sf, intersections=[["x", "z"]], n_boot=0)
    assert list(report["attributes"]) == ["x", "y", "z", "x & z"]
    assert_matches_fairlearn(yt, yp, sf, report)
    assert list(fairness_report(yt, yp, sf, intersections=False, n_boot=0)["attributes"]) == ["x", "y", "z"]
    with pytest.raises(ValueError, match="did you mean 'y'"):
        fairness_report(yt, yp, sf, intersections=[["x", "yy"]], n_boot=0)
    with pytest.raises(ValueError, match="did you mean 'demographic_parity_ratio'"):
        fairness_report(yt, yp, sf, disparities=["demographic_parity_ration"], n_boot=0)


def test_regression_group_errors_match_fairlearn():
    rng = np.random.default_rng(11)
    n = 500
    sf = pd.DataFrame({"s": rng.choice(["f", "m"], n), "r": rng.choice(["n", "e", "w"], n)})
    yt = rng.normal(10, 2, n)
    yp = yt + rng.normal(0, 1, n) * np.where(sf["s"] == "f", 1.0, 1.5)
    report = fairness_report(yt, yp, sf, task="regression", n_boot=0)
    assert set(report["overall"]) == {"count", "mae", "rmse"}
    metrics = {"mae": skm.mean_absolute_error, "rmse": skm.root_mean_squared_error}
    for attr in report["attributes"].values():
        cols = attr["columns"]
        feats = sf[cols] if len(cols) > 1 else sf[cols[0]]
        mf = MetricFrame(metrics=metrics, y_true=yt, y_pred=yp, sensitive_features=feats)
        for g in attr["groups"]:
            key = tuple(g["values"][c] for c in cols)
            row = mf.by_group.loc[key if len(cols) > 1 else key[0]]
            for m in metrics:
                assert g["metrics"][m] == pytest.approx(float(row[m]), rel=TOL, abs=TOL)
        for m in metrics:
            assert attr["disparities"][f"{m}_difference"]["value"] == pytest.approx(float(mf.difference()[m]), abs=TOL)
            assert attr["disparities"][f"{m}_ratio"]["value"] == pytest.approx(float(mf.ratio()[m]), abs=TOL)


def test_disparity_names_come_from_the_catalog():
    assert set(available_disparities("binary")) <= set(FAIRNESS_METRICS)
    assert set(available_disparities("regression")) == {"mae_difference", "mae_ratio", "rmse_difference", "rmse_ratio"}
    assert "equalized_odds_ratio" in available_disparities("binary")
    assert available_disparities("multiclass") == ["accuracy_difference", "accuracy_ratio"]
    with pytest.raises(ValueError, match="task must be one of"):
        fairness_report([0, 1], [0, 1], {"g": ["a", "b"]}, task="ranking")


# ----------------------------------------------------------------------------- bootstrap


def test_bootstrap_is_deterministic_and_brackets_the_estimate():
    yt, yp, sf = _data(21, n=4000, cards=(2, 2))
    a = fairness_report(yt, yp, sf, n_boot=300, seed=123)
    b = fairness_report(yt, yp, sf, n_boot=300, seed=123)
    c = fairness_report(yt, yp, sf, n_boot=300, seed=124)
    assert a == b
    # rate disparities have closed-form intervals: no dependence on the seed
    assert a["attributes"]["a0"]["disparities"] == c["attributes"]["a0"]["disparities"]
    methods = {d["method"] for d in a["attributes"]["a0"]["disparities"].values()}
    assert methods == {"newcombe", "katz-log"}
    for name in ("a0", "a1"):
        for disp, res in a["attributes"][name]["disparities"].items():
            lo, hi = res["ci"]
            assert lo <= hi
            if disp.endswith("_ratio") or "difference" in disp:
                assert 0.0 <= lo and hi <= 1.0
    # ratio-type statistics of two large groups: the estimate lies within the interval
    for disp in ("demographic_parity_ratio", "equal_opportunity_ratio", "accuracy_ratio"):
        lo, hi = a["attributes"]["a0"]["disparities"][disp]["ci"]
        assert lo <= a["attributes"]["a0"]["disparities"][disp]["value"] <= hi, disp
    assert a["bootstrap"]["replicates"] == 300 and a["bootstrap"]["seed"] == 123


def test_cell_multinomial_bootstrap_matches_row_resampling():
    # The multinomial over (group, label, prediction) cells must have the same
    # distribution as resampling rows: compare against an explicit row bootstrap.
    yt, yp, sf = _data(4, n=800, cards=(2,))
    g = (sf["a0"] == "v1").to_numpy()
    cells = np.bincount(2 * g + (yp == 1), minlength=4).reshape(2, 2)  # (group, predicted)
    draws = multinomial_cells(cells, 4000, np.random.default_rng(9)).astype(float)
    rates = draws[..., 1] / draws.sum(axis=-1)
    ours = np.quantile(np.abs(rates[:, 1] - rates[:, 0]), [0.025, 0.975]).tolist()
    rng = np.random.default_rng(99)
    vals = []
    for _ in range(4000):
        idx = rng.integers(0, len(yt), len(yt))
        gi, pi = g[idx], yp[idx]
        vals.append(abs(pi[gi].mean() - pi[~gi].mean()))
    ref = np.quantile(vals, [0.025, 0.975])
    assert ours == pytest.approx(list(ref), abs=0.006)


def test_regression_bootstrap_matches_row_resampling():
    rng = np.random.default_rng(8)
    n = 400
    g = rng.choice(["a", "b"], n)
    yt = rng.normal(size=n)
    yp = yt + rng.normal(size=n) * np.where(g == "a", 1.0, 1.3)
    report = fairness_report(yt, yp, {"g": g}, task="regression", n_boot=2000, seed=1, disparities=["mae_difference"])
    ours = report["attributes"]["g"]["disparities"]["mae_difference"]["ci"]
    err = np.abs(yp - yt)
    vals = []
    for _ in range(2000):
        idx = rng.integers(0, n, n)
        e, gi = err[idx], g[idx] == "a"
        vals.append(abs(e[gi].mean() - e[~gi].mean()))
    ref = np.quantile(vals, [0.025, 0.975])
    assert ours == pytest.approx(list(ref), abs=0.03)


def test_report_is_strict_json():
    yt, yp, sf = _data(2, n=200)
    report = fairness_report(yt, yp, sf, n_boot=20)
    text = json.dumps(report, allow_nan=False)
    assert json.loads(text) == report


def test_factorize_sorts_and_marks_missing():
    codes, labels = factorize(pd.Series(["b", None, "a", "b"]))
    assert labels == ["a", "b", MISSING_LABEL]
    assert codes.tolist() == [1, 2, 0, 1]


def test_equalized_odds_ratio_undefined_when_tpr_ratio_is():
    # no true positives anywhere (TPR ratio 0/0) but a false positive (FPR ratio 0):
    # fairlearn's min([tpr_ratio, fpr_ratio]) is NaN, and so is ours
    yt = np.array([0, 0, 0, 0, 1, 1])
    yp = np.array([1, 0, 0, 0, 0, 0])
    sf = pd.DataFrame({"g": list("aaabbb")})
    report = fairness_report(yt, yp, sf, n_boot=0)
    assert_matches_fairlearn(yt, yp, sf, report, functions=True)
    disp = report["attributes"]["g"]["disparities"]
    assert disp["equalized_odds_ratio"]["value"] is None
    assert disp["fpr_ratio"]["value"] == 0.0


def test_bootstrap_drops_groups_absent_from_a_replicate():
    # A one-row group is missing from ~37% of the replicates; there it must not
    # count as a group with rate 0 (fairlearn would not see the group at all).
    rng = np.random.default_rng(0)
    n = 400
    g = np.array(["solo"] + ["a"] * (n // 2) + ["b"] * (n // 2 - 1))
    yp = rng.integers(0, 2, n)
    yp[0] = 1
    yt = rng.integers(0, 2, n)
    report = fairness_report(yt, yp, {"g": g}, n_boot=1000, seed=2, disparities=["demographic_parity_difference"])
    res = report["attributes"]["g"]["disparities"]["demographic_parity_difference"]
    assert res["value"] > 0.4
    assert res["ci"][0] < 0.2  # replicates without "solo" give small gaps between a and b
