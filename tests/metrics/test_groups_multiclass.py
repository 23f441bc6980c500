"""Multiclass fairness (text routing, for instance): per-group accuracy against fairlearn."""

from __future__ import annotations

import numpy as np
from fairlearn.metrics import MetricFrame
from sklearn.metrics import accuracy_score

from charter.metrics import fairness_report


def test_multiclass_accuracy_by_group_matches_fairlearn() -> None:
    rng = np.random.default_rng(3)
    n = 2000
    y = rng.choice(["cards", "loans", "fraud", "accounts"], n)
    pred = np.where(rng.random(n) < 0.8, y, rng.choice(["cards", "loans", "fraud", "accounts"], n))
    lang = rng.choice(["en", "de", "fr"], n, p=[0.7, 0.2, 0.1])
    pred[(lang == "fr") & (rng.random(n) < 0.2)] = "cards"  # worse for French
    report = fairness_report(y, pred, {"language": lang}, task="text-classification", n_boot=200, seed=1)
    assert report["task"] == "multiclass-classification"
    mf = MetricFrame(metrics=accuracy_score, y_true=y, y_pred=pred, sensitive_features=lang)
    attr = report["attributes"]["language"]
    by_label = {g["label"]: g["metrics"]["accuracy"] for g in attr["groups"]}
    for group, value in mf.by_group.items():
        assert abs(by_label[str(group)] - value) < 1e-9
    d = attr["disparities"]
    assert abs(d["accuracy_difference"]["value"] - mf.difference()) < 1e-9
    assert abs(d["accuracy_ratio"]["value"] - mf.ratio()) < 1e-9
    lo, hi = d["accuracy_ratio"]["ci"]
    assert lo <= d["accuracy_ratio"]["value"] <= hi
    assert set(d) == {"accuracy_difference", "accuracy_ratio"}


def test_text_task_with_two_labels_is_binary() -> None:
    y = np.array(["spam", "ham"] * 50)
    report = fairness_report(y, y, {"g": np.array(["a", "b"] * 50)}, task="text-classification",
                             pos_label="spam", n_boot=0)
    assert report["task"] == "binary-classification"
    assert "demographic_parity_ratio" in report["attributes"]["g"]["disparities"]
