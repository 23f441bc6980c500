"""Classification metrics against scikit-learn (the oracle)."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest
import sklearn.metrics as skm
from sklearn.exceptions import UndefinedMetricWarning

from charter.metrics import evaluate, evaluate_classification
from charter.metrics.catalog import MODEL_METRICS, TaskType, metrics_for_task
from charter.metrics.classification import (
    BINARY_METRICS,
    MULTICLASS_METRICS,
    REASON_NO_SCORES,
    _prepare,
    _ScorePlan,
    confusion_metrics,
)

TOL = 1e-9


def values(report, block="overall"):
    return {m: r["value"] for m, r in report[block]["metrics"].items()}


def binary_data(seed, n=500):
    rng = np.random.default_rng(seed)
    yt = rng.integers(0, 2, n)
    score = np.clip(0.35 * yt + 0.65 * rng.random(n), 0, 1)
    score = np.round(score, 2)  # ties, as real scores often have
    return yt, score


def sk_binary(yt, yp, score):
    return {
        "accuracy": skm.accuracy_score(yt, yp),
        "balanced_accuracy": skm.balanced_accuracy_score(yt, yp),
        "precision": skm.precision_score(yt, yp),
        "recall": skm.recall_score(yt, yp),
        "f1": skm.f1_score(yt, yp),
        "roc_auc": skm.roc_auc_score(yt, score),
        "log_loss": skm.log_loss(yt, score),
        "brier": skm.brier_score_loss(yt, score),
    }


@pytest.mark.parametrize("seed", [0, 1])
def test_binary_metrics_match_sklearn(seed):
    yt, score = binary_data(seed)
    yp = (score >= 0.5).astype(int)
    report = evaluate_classification(yt, yp, score, n_boot=0)
    expected = sk_binary(yt, yp, score)
    got = values(report)
    assert set(got) == set(BINARY_METRICS) == set(metrics_for_task(TaskType.BINARY))
    for m, v in expected.items():
        assert got[m] == pytest.approx(v, abs=TOL), m
    cm = skm.confusion_matrix(yt, yp).tolist()
    assert report["overall"]["confusion_matrix"] == {"labels": [0, 1], "matrix": cm}
    assert report["task"] == "binary-classification" and report["pos_label"] == 1


def test_predictions_from_scores_and_extreme_probabilities():
    yt = np.array([0, 1, 1, 0, 1, 0, 1, 1])
    score = np.array([0.0, 1.0, 0.5, 0.49, 0.9, 1.0, 0.0, 0.7])  # 0 and 1 exercise the log-loss clipping
    report = evaluate_classification(yt, y_score=score, n_boot=0)
    yp = (score >= 0.5).astype(int)
    expected = sk_binary(yt, yp, score)
    for m, v in expected.items():
        assert values(report)[m] == pytest.approx(v, rel=1e-12, abs=TOL), m
    assert report["threshold"] == 0.5


def test_string_labels_with_pos_label():
    rng = np.random.default_rng(3)
    yt = rng.choice(["approve", "deny"], 300)
    score = np.clip((yt == "deny") * 0.3 + rng.random(300) * 0.7, 0, 1)
    yp = np.where(score >= 0.5, "deny", "approve")
    with pytest.raises(ValueError, match="pos_label"):
        evaluate_classification(yt, yp, score, n_boot=0)
    report = evaluate_classification(yt, yp, score, pos_label="deny", n_boot=0)
    got = values(report)
    assert got["precision"] == pytest.approx(skm.precision_score(yt, yp, pos_label="deny"), abs=TOL)
    assert got["f1"] == pytest.approx(skm.f1_score(yt, yp, pos_label="deny"), abs=TOL)
    assert got["roc_auc"] == pytest.approx(skm.roc_auc_score(yt == "deny", score), abs=TOL)
    assert got["log_loss"] == pytest.approx(skm.log_loss(yt, score, labels=["approve", "deny"]), abs=TOL)
    assert report["overall"]["confusion_matrix"]["labels"] == ["approve", "deny"]


def test_undefined_binary_metrics_are_none_with_reason():
    yt = np.array([0, 0, 0, 0])
    yp = np.array([0, 0, 0, 0])
    score = np.array([0.1, 0.2, 0.3, 0.4])
    report = evaluate_classification(yt, yp, score, n_boot=0)
    m = report["overall"]["metrics"]
    with warnings.catch_warnings():
        warnings.simplefilter("error", UndefinedMetricWarning)
        with pytest.raises(UndefinedMetricWarning):
            skm.precision_score(yt, yp)
        with pytest.raises(UndefinedMetricWarning):
            skm.roc_auc_score(yt, score)
    for name in ("precision", "recall", "f1", "roc_auc"):
        assert m[name]["value"] is None and m[name]["reason"], name
    assert "no predicted positives" in m["precision"]["reason"]
    assert "one class" in m["roc_auc"]["reason"]
    assert m["accuracy"]["value"] == 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "A single label was found"
        assert m["balanced_accuracy"]["value"] == pytest.approx(skm.balanced_accuracy_score(yt, yp))
    assert m["log_loss"]["value"] == pytest.approx(skm.log_loss(yt, score, labels=[0, 1]), abs=TOL)


def test_f1_defined_when_only_precision_is_undefined():
    yt = np.array([1, 1, 0, 0])
    yp = np.array([0, 0, 0, 0])
    m = values(evaluate_classification(yt, yp, n_boot=0))
    assert m["precision"] is None
    assert m["recall"] == 0.0 and m["f1"] == 0.0 == skm.f1_score(yt, yp)


def test_scores_metrics_are_skipped_without_scores():
    yt, score = binary_data(5, n=100)
    report = evaluate_classification(yt, (score > 0.5).astype(int), n_boot=0)
    needs_scores = {m for m in BINARY_METRICS if MODEL_METRICS[m].needs_scores}
    assert needs_scores == {"roc_auc", "log_loss", "brier"}
    assert set(report["overall"]["metrics"]) == set(BINARY_METRICS) - needs_scores
    assert report["skipped"] == {m: REASON_NO_SCORES for m in ("roc_auc", "log_loss", "brier")}


def test_non_probability_scores_keep_auc_only():
    yt, score = binary_data(6, n=200)
    margin = (score - 0.5) * 8  # decision-function style scores
    report = evaluate_classification(yt, (margin > 0).astype(int), margin, n_boot=0)
    assert values(report)["roc_auc"] == pytest.approx(skm.roc_auc_score(yt, margin), abs=TOL)
    assert set(report["skipped"]) == {"log_loss", "brier"}


@pytest.mark.parametrize("seed", [0, 1])
def test_multiclass_metrics_match_sklearn(seed):
    rng = np.random.default_rng(seed)
    n, k = 600, 4
    labels = np.array(["a", "b", "c", "d"])
    t = rng.integers(0, k, n)
    logits = rng.normal(size=(n, k)) + 1.5 * np.eye(k)[t]
    proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    yt = labels[t]
    yp = labels[proba.argmax(axis=1)]
    report = evaluate_classification(yt, y_score=proba, n_boot=0)
    got = values(report)
    assert set(got) == set(MULTICLASS_METRICS)
    assert report["skipped"] == {}
    assert got["accuracy"] == pytest.approx(skm.accuracy_score(yt, yp), abs=TOL)
    assert got["balanced_accuracy"] == pytest.approx(skm.balanced_accuracy_score(yt, yp), abs=TOL)
    for m, fn in (("precision", skm.precision_score), ("recall", skm.recall_score), ("f1", skm.f1_score)):
        assert got[m] == pytest.approx(fn(yt, yp, average="macro"), abs=TOL), m
    assert got["roc_auc"] == pytest.approx(skm.roc_auc_score(yt, proba, multi_class="ovr", average="macro"), abs=TOL)
    assert got["log_loss"] == pytest.approx(skm.log_loss(yt, proba), abs=TOL)
    assert report["overall"]["confusion_matrix"]["matrix"] == skm.confusion_matrix(yt, yp).tolist()
    assert report["task"] == "multiclass-classification"


def test_multiclass_macro_over_labels_in_truth_or_prediction():
    yt = np.array([0, 0, 1, 1, 2, 2, 0, 1])
    yp = np.array([0, 3, 1, 0, 0, 0, 0, 1])  # class 3 predicted but never true; class 2 never predicted
    got = values(evaluate_classification(yt, yp, task="multiclass", n_boot=0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert got["precision"] == pytest.approx(skm.precision_score(yt, yp, average="macro"), abs=TOL)
        assert got["recall"] == pytest.approx(skm.recall_score(yt, yp, average="macro"), abs=TOL)
        assert got["f1"] == pytest.approx(skm.f1_score(yt, yp, average="macro"), abs=TOL)
        assert got["balanced_accuracy"] == pytest.approx(skm.balanced_accuracy_score(yt, yp), abs=TOL)
    # declared labels that never occur do not dilute the macro average
    declared = values(evaluate_classification(yt, yp, labels=[0, 1, 2, 3, 4], n_boot=0))
    assert declared == got


def test_multiclass_auc_undefined_when_a_class_is_absent():
    proba = np.array([[0.7, 0.2, 0.1], [0.2, 0.7, 0.1], [0.6, 0.3, 0.1], [0.1, 0.8, 0.1]])
    yt = np.array([0, 1, 0, 1])
    report = evaluate_classification(yt, y_score=proba, labels=[0, 1, 2], n_boot=0)
    auc = report["overall"]["metrics"]["roc_auc"]
    assert auc["value"] is None and "absent" in auc["reason"]
    assert report["overall"]["metrics"]["log_loss"]["value"] == pytest.approx(
        skm.log_loss(yt, proba, labels=[0, 1, 2]), abs=TOL
    )
    assert "brier" not in report["overall"]["metrics"]


def test_slices_equal_metrics_on_the_subset():
    yt, score = binary_data(9, n=800)
    yp = (score >= 0.5).astype(int)
    rng = np.random.default_rng(1)
    region = rng.choice(["north", "south", "east"], len(yt))
    mask = score > 0.3
    report = evaluate_classification(
        yt, yp, score, slices={"region": region, "confident": mask}, n_boot=0, min_slice_size=300
    )
    names = [s["name"] for s in report["slices"]]
    assert names == ["region=east", "region=north", "region=south", "confident"]
    for s in report["slices"]:
        sel = mask if s["column"] is None else region == s["value"]
        assert s["n"] == int(sel.sum())
        expected = sk_binary(yt[sel], yp[sel], score[sel])
        for m, v in expected.items():
            assert s["metrics"][m]["value"] == pytest.approx(v, abs=TOL), (s["name"], m)
        assert s["small"] == (s["n"] < 300)
    assert any("below the minimum 300" in w for w in report["warnings"])


# ----------------------------------------------------------------------------- bootstrap


@pytest.mark.parametrize("score_order", [False, True])
def test_weighted_kernels_equal_sklearn_on_repeated_rows(score_order):
    # A bootstrap replicate is a row-count vector; the weighted kernels must equal
    # scikit-learn on the sample with each row repeated that many times.
    yt, score = binary_data(2, n=120)
    if score_order:  # the layout used when bootstrapping (no per-replicate gather)
        order = np.argsort(score, kind="mergesort")
        yt, score = yt[order], score[order]
    d = _prepare(yt, None, score, None, None, None, 0.5)
    plan = _ScorePlan(d, ["roc_auc", "log_loss", "brier"])
    rng = np.random.default_rng(0)
    w = np.bincount(rng.integers(0, 120, size=120), minlength=120).astype(float)
    rep = np.repeat(np.arange(120), w.astype(int))
    got = plan.scores(w[None, :])
    yp = (score >= 0.5).astype(int)
    assert got["roc_auc"][0] == pytest.approx(skm.roc_auc_score(yt[rep], score[rep]), abs=TOL)
    assert got["log_loss"][0] == pytest.approx(skm.log_loss(yt[rep], score[rep]), abs=TOL)
    assert got["brier"][0] == pytest.approx(skm.brier_score_loss(yt[rep], score[rep]), abs=TOL)
    cm = plan.confusion(w[None, :])[0]
    assert cm.tolist() == skm.confusion_matrix(yt[rep], yp[rep]).tolist()
    assert confusion_metrics(cm, "binary")["f1"] == pytest.approx(skm.f1_score(yt[rep], yp[rep]), abs=TOL)


def test_bootstrap_deterministic_and_contains_estimate():
    yt, score = binary_data(4, n=1500)
    kw = dict(n_boot=200, confidence=0.9, seed=7)
    a = evaluate_classification(yt, y_score=score, **kw)
    b = evaluate_classification(yt, y_score=score, **kw)
    c = evaluate_classification(yt, y_score=score, **{**kw, "seed": 8})
    assert a == b
    assert a["overall"]["metrics"]["roc_auc"]["ci"] != c["overall"]["metrics"]["roc_auc"]["ci"]
    expected = sk_binary(yt, (score >= 0.5).astype(int), score)
    for m, v in expected.items():
        assert a["overall"]["metrics"][m]["value"] == pytest.approx(v, abs=TOL), m
    for m, r in a["overall"]["metrics"].items():
        lo, hi = r["ci"]
        assert lo < r["value"] < hi, m
        assert hi - lo < 0.15, m
    assert a["bootstrap"] == {
        "replicates": 200, "confidence": 0.9, "seed": 7, "interval": "per statistic (see each estimate's method)",
            "method": "row resampling",
    }
    json.dumps(a, allow_nan=False)


def test_label_only_bootstrap_uses_confusion_cells():
    yt, score = binary_data(4, n=1500)
    yp = (score >= 0.5).astype(int)
    a = evaluate_classification(yt, yp, n_boot=400, seed=3)
    assert a["bootstrap"]["method"] == "multinomial over confusion-matrix cells"
    lo, hi = a["overall"]["metrics"]["accuracy"]["ci"]
    acc = skm.accuracy_score(yt, yp)
    half = 1.96 * np.sqrt(acc * (1 - acc) / len(yt))  # normal approximation of the same interval
    assert lo == pytest.approx(acc - half, abs=0.01) and hi == pytest.approx(acc + half, abs=0.01)


def test_wider_confidence_gives_wider_interval():
    yt, score = binary_data(4, n=500)
    narrow = evaluate_classification(yt, y_score=score, metrics=["roc_auc"], n_boot=300, confidence=0.5)
    wide = evaluate_classification(yt, y_score=score, metrics=["roc_auc"], n_boot=300, confidence=0.99)
    (nl, nh), (wl, wh) = narrow["overall"]["metrics"]["roc_auc"]["ci"], wide["overall"]["metrics"]["roc_auc"]["ci"]
    assert wl < nl < nh < wh


def test_invalid_arguments():
    with pytest.raises(ValueError, match="did you mean 'roc_auc'"):
        evaluate_classification([0, 1], [0, 1], metrics=["roc_aux"], n_boot=0)
    with pytest.raises(ValueError, match="confidence"):
        evaluate_classification([0, 1], [0, 1], confidence=95)
    with pytest.raises(ValueError, match="y_pred, y_score"):
        evaluate_classification([0, 1])
    with pytest.raises(ValueError, match="missing"):
        evaluate_classification(np.array([0, np.nan]), [0, 1])


def test_evaluate_dispatches_on_task():
    r = evaluate(TaskType.REGRESSION, [1.0, 2.0, 3.0], [1.0, 2.5, 2.0], n_boot=0)
    assert r["task"] == "regression"
    r = evaluate("binary-classification", [0, 1, 1], [0, 1, 0], n_boot=0)
    assert r["task"] == "binary-classification"
