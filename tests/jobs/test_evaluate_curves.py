"""The evaluation evidence behind the charts, against scikit-learn as the oracle.

ROC and precision-recall points, the calibration curve and Brier score, confusion
matrices overall and per slice, the decision threshold behind precision and recall,
and residual bins for regression.
"""

from __future__ import annotations

import copy
import json

import numpy as np
import pandas as pd
import pytest
import repo_builder as rb

from charter.engine.executor import run
from charter.metrics import curves

TOL = 1e-12


def _inf(values: list[float | None]) -> np.ndarray:
    return np.array([np.inf if v is None else v for v in values], dtype=np.float64)


def _run_one(root, job: str) -> dict:  # type: ignore[no-untyped-def]
    report = run(rb.load(root), jobs=1)
    assert report.ok, [(r.job, r.status, r.reason) for r in report.runs]
    return next(r.record.results for r in report.runs if r.job == job)


@pytest.fixture(scope="module")
def audit(tmp_path_factory):  # type: ignore[no-untyped-def]
    """A vendor score evaluated at the cut-off 0.3, by region (no training: quick)."""
    root = rb.build_repo(tmp_path_factory.mktemp("audit") / "r")
    spec = rb.credit_usecase("vendor")
    spec["thirdParty"] = True
    spec["jobs"] = [{"id": "audit", "runner": "evaluate", "slices": ["region"], "bootstrap": {"replicates": 20},
                     "predictions": {"data": "applications", "label": "default", "score": "vendor_score",
                                     "threshold": 0.3}}]
    rb.add_credit(root, uc_id="vendor", spec=spec, n=600)
    data = pd.read_csv(root / "usecases/vendor/data/applications.csv")
    return _run_one(root, "audit"), data


def test_roc_points_are_sklearns(audit) -> None:  # type: ignore[no-untyped-def]
    from sklearn.metrics import roc_auc_score, roc_curve

    res, data = audit
    y, s = data["default"], data["vendor_score"]
    fpr, tpr, thr = roc_curve(y, s)
    roc = res["roc"]
    assert roc["points"] == len(fpr)
    assert len(roc["fpr"]) <= curves.MAX_POINTS
    assert (roc["fpr"][0], roc["tpr"][0], roc["thresholds"][0]) == (0.0, 0.0, None)
    assert (roc["fpr"][-1], roc["tpr"][-1]) == (1.0, 1.0)
    full = {(a, b, c) for a, b, c in zip(fpr.tolist(), tpr.tolist(), thr.tolist())}
    assert all(p in full for p in zip(roc["fpr"], roc["tpr"], _inf(roc["thresholds"]).tolist()))
    assert roc["auc"] == pytest.approx(roc_auc_score(y, s), abs=1e-9)
    assert roc["auc"] == pytest.approx(res["metrics"]["roc_auc"]["value"], abs=1e-9)


def test_precision_recall_points_are_sklearns(audit) -> None:  # type: ignore[no-untyped-def]
    from sklearn.metrics import average_precision_score, precision_recall_curve

    res, data = audit
    y, s = data["default"], data["vendor_score"]
    precision, recall, thr = precision_recall_curve(y, s)
    pr = res["pr"]
    assert pr["points"] == len(precision) and pr["points"] > curves.MAX_POINTS  # thinned
    assert len(pr["recall"]) <= curves.MAX_POINTS
    assert (pr["recall"][0], pr["precision"][0]) == (0.0, 1.0) and pr["recall"][-1] == 1.0
    assert np.all(np.diff(pr["recall"]) >= 0)
    full = {(r, p, t) for r, p, t in zip(recall.tolist(), precision.tolist(), np.r_[thr, np.inf].tolist())}
    assert all(q in full for q in zip(pr["recall"], pr["precision"], _inf(pr["thresholds"]).tolist()))
    assert pr["average_precision"] == pytest.approx(average_precision_score(y, s), abs=1e-12)
    assert pr["prevalence"] == pytest.approx(y.mean(), abs=TOL)


def test_calibration_and_brier_are_sklearns(audit) -> None:  # type: ignore[no-untyped-def]
    from sklearn.calibration import calibration_curve
    from sklearn.metrics import brier_score_loss

    res, data = audit
    y, s = data["default"], data["vendor_score"]
    cal = res["calibration"]
    prob_true, prob_pred = calibration_curve(y, s, n_bins=10)
    filled = [b for b in cal["bins"] if b["n"]]
    np.testing.assert_allclose([b["fraction_positive"] for b in filled], prob_true, rtol=0, atol=TOL)
    np.testing.assert_allclose([b["mean_predicted"] for b in filled], prob_pred, rtol=0, atol=TOL)
    assert len(cal["bins"]) == 10 and sum(b["n"] for b in cal["bins"]) == len(y)
    assert all(b["mean_predicted"] is None for b in cal["bins"] if not b["n"])
    assert cal["brier"] == pytest.approx(brier_score_loss(y, s), abs=TOL)
    assert cal["brier"] == pytest.approx(res["metrics"]["brier"]["value"], abs=1e-9)
    ece = sum(b["n"] * abs(b["fraction_positive"] - b["mean_predicted"]) for b in filled) / len(y)
    assert cal["ece"] == pytest.approx(ece, abs=1e-12)


def test_decision_threshold_and_confusion_matrices(audit) -> None:  # type: ignore[no-untyped-def]
    from sklearn.metrics import confusion_matrix, precision_score, recall_score

    res, data = audit
    y, s = data["default"], data["vendor_score"]
    pred = (s >= 0.3).astype(int)
    assert res["decision"]["threshold"] == 0.3 and res["decision"]["positive_label"] == 1
    assert "0.3" in res["decision"]["rule"]
    assert res["confusion_matrix"] == confusion_matrix(y, pred, labels=[0, 1]).tolist()
    assert res["metrics"]["precision"]["value"] == pytest.approx(precision_score(y, pred), abs=1e-12)
    assert res["metrics"]["recall"]["value"] == pytest.approx(recall_score(y, pred), abs=1e-12)
    for region, block in res["slices"]["region"].items():
        mask = data["region"] == region
        assert block["confusion_matrix"] == confusion_matrix(y[mask], pred[mask], labels=[0, 1]).tolist()
    assert res["residuals"] is None and res["curves_skipped"] == {}


def test_records_stay_small(audit) -> None:  # type: ignore[no-untyped-def]
    res, _ = audit
    drawn = {k: res[k] for k in ("roc", "pr", "calibration")}
    assert len(json.dumps(drawn)) < 20_000


def test_thinning_bounds_large_curves() -> None:
    from sklearn.metrics import roc_auc_score, roc_curve

    rng = np.random.default_rng(5)
    n = 50_000
    y = rng.random(n) < 0.2
    s = 1 / (1 + np.exp(-(1.5 * y + rng.normal(0, 1, n))))
    roc = curves.roc_points(y, s)
    pr = curves.pr_points(y, s)
    assert roc is not None and pr is not None
    assert len(roc["fpr"]) <= 101 and len(pr["recall"]) <= 101 and roc["points"] > 1000
    fpr, tpr, _ = roc_curve(y, s)
    assert roc["points"] == len(fpr)
    # the kept points trace the curve: their trapezoid area is the AUC to within 0.002
    assert np.trapezoid(roc["tpr"], roc["fpr"]) == pytest.approx(roc_auc_score(y, s), abs=2e-3)
    steps = np.abs(np.diff(roc["fpr"])) + np.abs(np.diff(roc["tpr"]))
    assert steps.max() <= 2 / 100 + 1e-9 + max(np.abs(np.diff(fpr)) + np.abs(np.diff(tpr)))


def test_curves_with_one_class_or_non_probabilities() -> None:
    assert curves.roc_points(np.ones(5, bool), np.linspace(0, 1, 5)) is None
    assert curves.pr_points(np.zeros(5, bool), np.linspace(0, 1, 5)) is None
    assert curves.calibration_bins(np.array([0, 1]), np.array([-1.0, 2.0])) is None


def _frame_repo(tmp_path, task: dict, frame: pd.DataFrame, predictions: dict):  # type: ignore[no-untyped-def]
    root = rb.build_repo(tmp_path / "r")
    rb.write_frame(root, "audit", "data/rows.csv", frame)
    spec = {
        "apiVersion": "charter/v1", "kind": "UseCase", "id": "audit", "title": "Audit", "summary": "Audit.",
        "businessUnit": "retail", "team": "analytics", "stage": "experimentation", "riskTier": "minimal",
        "owners": {"data-scientist": "ana"}, "thirdParty": True, "task": copy.deepcopy(task),
        "evaluation": {"primaryMetric": "mae" if task["type"] == "regression" else "accuracy", "threshold": 1},
        "data": [{"id": "rows", "path": "data/rows.csv", "sha256": "auto", "description": "Rows.",
                  "owner": "ana", "personalData": False}],
        "jobs": [{"id": "evaluate", "runner": "evaluate", "bootstrap": {"replicates": 0},
                  "predictions": {"data": "rows", **predictions}}],
    }
    rb.write_usecase(root, spec)
    return _run_one(root, "evaluate")


def test_regression_residual_bins(tmp_path) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(2)
    n = 1_000
    yhat = rng.normal(100, 20, n).round(3)
    y = (yhat + rng.normal(0, 5, n) + 0.05 * (yhat - 100)).round(3)
    res = _frame_repo(tmp_path, {"type": "regression", "target": "y", "description": "Units."},
                      pd.DataFrame({"y": y, "yhat": yhat}), {"label": "y", "prediction": "yhat"})
    r = res["residuals"]
    resid = y - yhat
    assert r["definition"] == "y_true - y_pred" and r["n"] == n
    assert r["mean"] == pytest.approx(resid.mean(), abs=1e-9) and r["sd"] == pytest.approx(resid.std(ddof=1), abs=1e-9)
    assert (r["min"], r["max"]) == (pytest.approx(resid.min()), pytest.approx(resid.max()))
    assert len(r["bins"]) == curves.RESIDUAL_BINS and sum(b["n"] for b in r["bins"]) == n
    order = np.argsort(yhat, kind="mergesort")
    chunks = np.array_split(order, curves.RESIDUAL_BINS)
    for b, idx in zip(r["bins"], chunks, strict=True):
        assert b["pred_low"] == pytest.approx(yhat[idx].min()) and b["pred_high"] == pytest.approx(yhat[idx].max())
        assert b["median"] == pytest.approx(np.median(resid[idx]), abs=1e-9)
        assert b["q10"] <= b["q25"] <= b["median"] <= b["q75"] <= b["q90"]
    assert all(a["pred_high"] <= b["pred_low"] for a, b in zip(r["bins"], r["bins"][1:]))
    assert res["roc"] is None and res["decision"] is None


def test_multiclass_records_its_confusion_matrix(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from sklearn.metrics import confusion_matrix

    rng = np.random.default_rng(3)
    n = 300
    y = rng.choice(["a", "b", "c"], n)
    p = np.where(rng.random(n) < 0.7, y, rng.choice(["a", "b", "c"], n))
    res = _frame_repo(tmp_path, {"type": "multiclass-classification", "target": "y", "description": "Class."},
                      pd.DataFrame({"y": y, "p": p}), {"label": "y", "prediction": "p"})
    assert res["labels"] == ["a", "b", "c"]
    assert res["confusion_matrix"] == confusion_matrix(y, p, labels=["a", "b", "c"]).tolist()
    assert set(res["curves_skipped"]) == {"roc", "pr", "calibration"} and res["decision"] is None


def test_text_labels_and_a_score_column(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from sklearn.metrics import roc_curve

    rng = np.random.default_rng(4)
    n = 200
    y = np.where(rng.random(n) < 0.4, "yes", "no")
    s = np.clip((y == "yes") * 0.25 + rng.random(n) * 0.75, 0, 1).round(4)
    res = _frame_repo(tmp_path, {"type": "binary-classification", "target": "y", "positiveLabel": "yes",
                                 "description": "Flag."},
                      pd.DataFrame({"y": y, "s": s}), {"label": "y", "score": "s", "threshold": 0.5})
    fpr, tpr, _ = roc_curve(y == "yes", s)
    assert len(fpr) <= curves.MAX_POINTS
    np.testing.assert_allclose(res["roc"]["fpr"], fpr, atol=TOL)
    np.testing.assert_allclose(res["roc"]["tpr"], tpr, atol=TOL)
    assert res["decision"] == {"threshold": 0.5, "positive_label": "yes",
                               "rule": "predicted yes when the score of yes is at least 0.5"}
    assert res["calibration"]["n"] == n and res["curves_skipped"] == {}
