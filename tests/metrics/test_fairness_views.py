"""Judged views of the fairness report: small groups left out, reference-group comparisons; fairlearn as oracle."""

from __future__ import annotations

import numpy as np
import pytest
from fairlearn.metrics import (
    MetricFrame,
    demographic_parity_difference,
    demographic_parity_ratio,
    equalized_odds_difference,
    selection_rate,
    true_positive_rate,
)
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

from charter.metrics import fairness_report


def _data(seed: int = 0, n: int = 3000):
    rng = np.random.default_rng(seed)
    groups = rng.choice(["a", "b", "c", "tiny"], size=n, p=[0.5, 0.3, 0.195, 0.005])
    y_true = rng.integers(0, 2, n)
    y_pred = (rng.random(n) < np.where(groups == "b", 0.35, 0.45)).astype(int)
    return y_true, y_pred, groups


VIEWS = {"g": [{"min_group_size": 30, "reference_group": "a"}]}


def test_the_judged_view_leaves_small_groups_out_and_says_why() -> None:
    y_true, y_pred, g = _data()
    attr = fairness_report(y_true, y_pred, {"g": g}, min_group_size=30, views=VIEWS)["attributes"]["g"]
    default, ref = attr["views"]
    n_tiny = int((g == "tiny").sum())
    assert n_tiny < 30
    assert default["excluded"] == [{"group": "tiny", "n": n_tiny,
                                    "reason": f"{n_tiny} rows, below the minimum group size 30"}]
    assert default["included"] == ["a", "b", "c"] and default["reference_group"] is None
    keep = g != "tiny"
    for name, fn in (("demographic_parity_difference", demographic_parity_difference),
                     ("demographic_parity_ratio", demographic_parity_ratio),
                     ("equalized_odds_difference", equalized_odds_difference)):
        expected = fn(y_true[keep], y_pred[keep], sensitive_features=g[keep])
        assert default["disparities"][name]["value"] == pytest.approx(expected, abs=1e-9)
        lo, hi = default["disparities"][name]["ci"]
        assert lo <= default["disparities"][name]["value"] <= hi
        # over every group the tiny one counts (what the page shows beside it)
        everything = fn(y_true, y_pred, sensitive_features=g)
        assert attr["disparities"][name]["value"] == pytest.approx(everything, abs=1e-9)
    assert ref["disparities"] == default["disparities"]


def test_each_group_against_the_reference_matches_direct_computation_and_fairlearn() -> None:
    y_true, y_pred, g = _data(1)
    attr = fairness_report(y_true, y_pred, {"g": g}, min_group_size=30, views=VIEWS)["attributes"]["g"]
    ref = attr["views"][1]["reference"]
    assert ref["group"] == "a" and ref["problem"] is None and ref["n"] == int((g == "a").sum())
    frame = MetricFrame(metrics={"selection_rate": selection_rate, "tpr": true_positive_rate},
                        y_true=y_true, y_pred=y_pred, sensitive_features=g)
    assert [c["group"] for c in ref["comparisons"]] == ["b", "c"]  # included groups except the reference
    for c in ref["comparisons"]:
        grp = c["group"]
        pair = np.isin(g, [grp, "a"])
        for metric in ("selection_rate", "tpr"):
            rate = frame.by_group[metric][grp]
            base = frame.by_group[metric]["a"]
            assert c["rates"][metric]["value"] == pytest.approx(rate, abs=1e-12)
            assert c["rates"][metric]["reference"] == pytest.approx(base, abs=1e-12)
            assert c["difference"][metric]["value"] == pytest.approx(rate - base, abs=1e-12)
            assert c["ratio"][metric]["value"] == pytest.approx(rate / base, abs=1e-12)
        # the Wilson interval of the group's rate and the Newcombe interval of its difference (statsmodels)
        mask = g == grp
        k, n = int(y_pred[mask].sum()), int(mask.sum())
        lo, hi = proportion_confint(k, n, method="wilson")
        assert c["rates"]["selection_rate"]["ci"] == pytest.approx([lo, hi], abs=1e-9)
        ka, na = int(y_pred[g == "a"].sum()), int((g == "a").sum())
        dlo, dhi = confint_proportions_2indep(k, n, ka, na, method="newcomb", compare="diff")
        assert c["difference"]["selection_rate"]["ci"] == pytest.approx([dlo, dhi], abs=1e-9)
        # the check's metric over the group and the reference only
        assert c["disparities"]["demographic_parity_difference"]["value"] == pytest.approx(
            demographic_parity_difference(y_true[pair], y_pred[pair], sensitive_features=g[pair]), abs=1e-9)
        assert c["disparities"]["demographic_parity_ratio"]["value"] == pytest.approx(
            demographic_parity_ratio(y_true[pair], y_pred[pair], sensitive_features=g[pair]), abs=1e-9)
        assert c["disparities"]["equalized_odds_difference"]["value"] == pytest.approx(
            equalized_odds_difference(y_true[pair], y_pred[pair], sensitive_features=g[pair]), abs=1e-9)


def test_every_group_rate_has_its_wilson_interval() -> None:
    y_true, y_pred, g = _data(2)
    attr = fairness_report(y_true, y_pred, {"g": g}, min_group_size=30)["attributes"]["g"]
    for entry in attr["groups"]:
        mask = g == entry["label"]
        lo, hi = proportion_confint(int(y_pred[mask].sum()), int(mask.sum()), method="wilson")
        assert entry["intervals"]["selection_rate"] == pytest.approx([lo, hi], abs=1e-9)
        assert lo <= entry["metrics"]["selection_rate"] <= hi


def test_a_reference_group_absent_or_too_small_is_recorded_as_a_problem() -> None:
    y_true, y_pred, g = _data(3)
    attr = fairness_report(y_true, y_pred, {"g": g}, min_group_size=30,
                           views={"g": [{"reference_group": "zzz"}, {"reference_group": "tiny"},
                                        {"reference_group": "tiny", "include_small_groups": True}]})["attributes"]["g"]
    absent, small, included = attr["views"][1:]
    assert "no group 'zzz'" in absent["reference"]["problem"]
    assert "below the minimum group size 30" in small["reference"]["problem"]
    assert included["reference"]["problem"] is None and len(included["reference"]["comparisons"]) == 3


def test_regression_views_exclude_small_groups() -> None:
    rng = np.random.default_rng(4)
    n = 2000
    g = rng.choice(["a", "b", "tiny"], size=n, p=[0.6, 0.395, 0.005])
    y = rng.normal(size=n)
    pred = y + rng.normal(size=n) * np.where(g == "tiny", 5, 1)
    attr = fairness_report(y, pred, {"g": g}, task="regression", min_group_size=30, n_boot=100,
                           views={"g": [{"reference_group": "a"}]})["attributes"]["g"]
    keep = g != "tiny"
    mae = {k: float(np.mean(np.abs(pred[g == k] - y[g == k]))) for k in ("a", "b")}
    view = attr["views"][0]
    assert view["disparities"]["mae_difference"]["value"] == pytest.approx(abs(mae["a"] - mae["b"]), abs=1e-9)
    assert keep.sum() < n
    comp = attr["views"][1]["reference"]["comparisons"]
    assert [c["group"] for c in comp] == ["b"]
    assert comp[0]["disparities"]["mae_difference"]["value"] == pytest.approx(abs(mae["a"] - mae["b"]), abs=1e-9)
