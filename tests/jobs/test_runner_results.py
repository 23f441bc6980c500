"""Runner results against scikit-learn, fairlearn and scipy as oracles."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import repo_builder as rb

from charter.engine.executor import run
from charter.engine.store import EvidenceStore
from charter.jobs.base import JobError
from charter.jobs.predictions import ROW_ID, SCORE, Y_PRED, Y_TRUE

TOL = 1e-9


@pytest.fixture(scope="module")
def credit(tmp_path_factory):
    root = tmp_path_factory.mktemp("credit") / "repo"
    rb.credit_repo(root, n=400, bootstrap=200)
    report = run(rb.load(root), jobs=1)
    assert report.ok, [(r.job, r.status, r.reason) for r in report.runs]
    records = {r.job: r.record for r in report.runs}
    store = EvidenceStore(root)
    train = records["train"]
    art = next(a for a in train.artifacts if a.name == "predictions")
    preds = pd.read_csv(store.artifact_path(art.path))
    data = pd.read_csv(root / "usecases/credit/data/applications.csv")
    return root, records, preds, data


def test_training_matches_a_plain_sklearn_pipeline(credit):
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    _, records, preds, data = credit
    res = records["train"].results
    assert res["estimator"] == "LogisticRegression"
    assert res["params"] == {"C": 1.0, "max_iter": 500, "random_state": 7}
    assert res["n_train"] == 280 and res["n_test"] == 120 and res["labels"] == [0, 1]
    assert "sex" not in res["features"] and "age_band" not in res["features"]
    rows = np.arange(len(data))
    tr, te = train_test_split(rows, test_size=0.3, random_state=7, stratify=data["default"])
    pre = ColumnTransformer([
        ("n", Pipeline([("i", SimpleImputer(strategy="median")), ("s", StandardScaler())]), ["income", "debt"]),
        ("c", Pipeline([("i", SimpleImputer(strategy="most_frequent")),
                        ("o", OneHotEncoder(handle_unknown="ignore", sparse_output=False))]), ["region"]),
    ])
    model = Pipeline([("p", pre), ("m", LogisticRegression(C=1.0, max_iter=500, random_state=7))])
    X = data[["income", "debt", "region"]]
    model.fit(X.iloc[tr], data["default"].iloc[tr])
    assert preds[ROW_ID].tolist() == te.tolist()
    np.testing.assert_allclose(preds[f"{SCORE}1"], model.predict_proba(X.iloc[te])[:, 1], rtol=0, atol=1e-12)
    assert preds[Y_PRED].tolist() == model.predict(X.iloc[te]).tolist()
    assert preds[Y_TRUE].tolist() == data["default"].iloc[te].tolist()
    # sensitive attributes travel with the held-out rows for fairness
    assert preds["sex"].tolist() == data["sex"].iloc[te].tolist()


def test_model_loads_only_with_matching_hash(credit):
    from charter.jobs.sklearn_train import load_model

    root, records, preds, data = credit
    store = EvidenceStore(root)
    model = load_model(records["train"], store.artifacts_dir)
    X = data[["income", "debt", "region"]].iloc[preds[ROW_ID]]
    np.testing.assert_allclose(model.predict_proba(X)[:, 1], preds[f"{SCORE}1"], atol=1e-12)
    path = store.artifact_path(next(a for a in records["train"].artifacts if a.name == "model").path)
    original = path.read_bytes()
    try:
        path.write_bytes(original + b"\0")
        with pytest.raises(JobError, match="does not match the sha256"):
            load_model(records["train"], store.artifacts_dir)
    finally:
        path.write_bytes(original)


def test_evaluate_equals_sklearn(credit):
    from sklearn import metrics as skm

    _, records, preds, _ = credit
    res = records["evaluate"].results
    y, s, p = preds[Y_TRUE], preds[f"{SCORE}1"], preds[Y_PRED]
    m = {k: v["value"] for k, v in res["metrics"].items()}
    assert m["roc_auc"] == pytest.approx(skm.roc_auc_score(y, s), abs=TOL)
    assert m["accuracy"] == pytest.approx(skm.accuracy_score(y, p), abs=TOL)
    assert m["precision"] == pytest.approx(skm.precision_score(y, p), abs=TOL)
    assert m["recall"] == pytest.approx(skm.recall_score(y, p), abs=TOL)
    assert m["f1"] == pytest.approx(skm.f1_score(y, p), abs=TOL)
    assert m["balanced_accuracy"] == pytest.approx(skm.balanced_accuracy_score(y, p), abs=TOL)
    assert m["log_loss"] == pytest.approx(skm.log_loss(y, s), abs=TOL)
    assert m["brier"] == pytest.approx(skm.brier_score_loss(y, s), abs=TOL)
    assert res["confusion_matrix"] == skm.confusion_matrix(y, p).tolist()
    for name, e in res["metrics"].items():
        assert e["low"] is not None and e["low"] <= e["high"], name
    assert res["bootstrap"]["replicates"] == 200 and res["source"] == "job:train" and res["n"] == 120
    north = preds["region"] == "north"
    block = res["slices"]["region"]["north"]
    assert block["n"] == int(north.sum())
    assert block["metrics"]["roc_auc"]["value"] == pytest.approx(skm.roc_auc_score(y[north], s[north]), abs=TOL)


def test_fairness_equals_fairlearn(credit):
    from fairlearn.metrics import (
        MetricFrame,
        demographic_parity_difference,
        demographic_parity_ratio,
        equalized_odds_difference,
        false_negative_rate,
        false_positive_rate,
        selection_rate,
        true_positive_rate,
    )
    from sklearn.metrics import accuracy_score, precision_score

    _, records, preds, _ = credit
    res = records["fairness"].results
    assert res["min_group_size"] == 30
    by_attr = {tuple(a["attributes"]): a for a in res["results"]}
    assert set(by_attr) == {("sex",), ("age_band",), ("sex", "age_band")}
    y, p = preds[Y_TRUE], preds[Y_PRED]
    fns = {"selection_rate": selection_rate, "tpr": true_positive_rate, "fpr": false_positive_rate,
           "fnr": false_negative_rate, "accuracy": accuracy_score,
           "precision": lambda a, b: precision_score(a, b, zero_division=0)}
    for attrs, block in by_attr.items():
        mf = MetricFrame(metrics=fns, y_true=y, y_pred=p, sensitive_features=preds[list(attrs)])
        for g in block["groups"]:
            key = tuple(g["group"][a] for a in attrs)
            key = key[0] if len(key) == 1 else key
            for metric, value in g["metrics"].items():
                assert value == pytest.approx(mf.by_group.loc[key, metric], abs=TOL), (attrs, key, metric)
            assert g["n"] == int((preds[list(attrs)] == pd.Series(g["group"])).all(axis=1).sum())
            assert g["small"] == (g["n"] < 30)
    sex = by_attr[("sex",)]["disparities"]
    sf = preds["sex"]
    assert sex["demographic_parity_difference"]["value"] == pytest.approx(
        demographic_parity_difference(y, p, sensitive_features=sf), abs=TOL)
    assert sex["demographic_parity_ratio"]["value"] == pytest.approx(
        demographic_parity_ratio(y, p, sensitive_features=sf), abs=TOL)
    assert sex["equalized_odds_difference"]["value"] == pytest.approx(
        equalized_odds_difference(y, p, sensitive_features=sf), abs=TOL)
    assert sex["demographic_parity_ratio"]["low"] is not None
    assert any("below the minimum size" in w for w in res["warnings"])


def test_drift_equals_scipy(credit):
    from scipy.stats import ks_2samp

    root, records, _, data = credit
    res = records["drift"].results
    recent = pd.read_csv(root / "usecases/credit/data/recent.csv")
    income = next(f for f in res["features"] if f["name"] == "income")
    assert income["p_value"] == pytest.approx(ks_2samp(data["income"], recent["income"]).pvalue, abs=TOL)
    assert income["method"] == "ks" and income["threshold"] == 0.05
    assert res["drifted"] is False and records["drift"].status == "pass"
    assert res["schema_changes"] == {"added": [], "removed": [], "retyped": []}
    assert {f["name"] for f in res["features"]} == {"income", "debt", "region"}


def test_drift_fails_on_shift_and_schema_change(tmp_path):
    root = rb.light_repo(tmp_path / "r", ids=("light-a",))
    cur = rb.credit_frame(200, seed=3, shift=25)
    cur["debt"] = cur["debt"] * 4
    cur["new_col"] = 1
    rb.write_frame(root, "light-a", "data/recent.csv", cur)
    spec = rb.credit_usecase("light-a")
    spec["jobs"] = [j for j in spec["jobs"] if j["runner"] == "drift"]
    spec["jobs"][0].pop("features")
    spec["jobs"][0]["categorical"] = ["default"]
    spec["jobs"][0]["thresholds"] = {"drift_share": 0.2}
    rb.write_usecase(root, spec)
    report = run(rb.load(root), jobs=1)
    r = report.runs[0]
    assert r.status == "fail"
    assert "features drifted" in r.reason and "schema changed (added: new_col)" in r.reason
    res = r.record.results
    assert res["schema_changes"]["added"] == ["new_col"] and res["thresholds"]["drift_share"] == 0.2
    kinds = {f["name"]: f["kind"] for f in res["features"]}
    assert kinds["default"] == "categorical" and kinds["income"] == "numeric"


def test_third_party_audit_and_champion(tmp_path):
    from sklearn import metrics as skm

    root = rb.build_repo(tmp_path / "r")
    spec = rb.credit_usecase("vendor")
    spec["thirdParty"] = True
    spec["jobs"] = [
        {"id": "audit", "runner": "evaluate", "slices": ["sex"], "bootstrap": {"replicates": 50},
         "predictions": {"data": "applications", "label": "default", "score": "vendor_score", "threshold": 0.4},
         "champion": {"data": "recent", "label": "default", "score": "vendor_score"}},
        {"id": "audit-fairness", "runner": "fairness", "bootstrap": {"replicates": 50},
         "predictions": {"data": "applications", "label": "default", "score": "vendor_score", "threshold": 0.4}},
    ]
    rb.add_credit(root, uc_id="vendor", spec=spec)
    # the champion must cover the same rows: the audit rows are the whole file
    rb.write_frame(root, "vendor", "data/recent.csv", rb.credit_frame(400, seed=0))
    rb.write_usecase(root, spec)
    report = run(rb.load(root), jobs=1)
    assert report.ok, [(r.job, r.reason) for r in report.runs]
    res = {r.job: r.record.results for r in report.runs}
    data = pd.read_csv(root / "usecases/vendor/data/applications.csv")
    y, s = data["default"], data["vendor_score"]
    pred = (s >= 0.4).astype(int)
    m = res["audit"]["metrics"]
    assert res["audit"]["source"] == "data:applications" and res["audit"]["n"] == 400
    assert m["roc_auc"]["value"] == pytest.approx(skm.roc_auc_score(y, s), abs=TOL)
    assert m["accuracy"]["value"] == pytest.approx(skm.accuracy_score(y, pred), abs=TOL)
    assert res["audit"]["champion"]["roc_auc"]["value"] == pytest.approx(skm.roc_auc_score(y, s), abs=TOL)
    assert res["audit"]["champion"]["accuracy"]["value"] == pytest.approx(skm.accuracy_score(y, s >= 0.5),
                                                                          abs=TOL)
    from fairlearn.metrics import demographic_parity_ratio

    sex = next(a for a in res["audit-fairness"]["results"] if a["attributes"] == ["sex"])
    assert sex["disparities"]["demographic_parity_ratio"]["value"] == pytest.approx(
        demographic_parity_ratio(y, pred, sensitive_features=data["sex"]), abs=TOL)


def test_regression_training_and_evaluation(tmp_path):
    from sklearn import metrics as skm

    root = rb.build_repo(tmp_path / "r")
    rng = np.random.default_rng(0)
    n = 240
    frame = pd.DataFrame({"size": rng.normal(10, 2, n).round(3), "store": rng.choice(["a", "b", "c"], n),
                          "region": rng.choice(["x", "y"], n)})
    frame["demand"] = (3 * frame["size"] + (frame["store"] == "a") * 5 + rng.normal(0, 1, n)).round(3)
    rb.write_frame(root, "demand", "data/sales.csv", frame)
    spec = {
        "apiVersion": "charter/v1", "kind": "UseCase", "id": "demand", "title": "Demand", "summary": "Forecast.",
        "businessUnit": "retail", "team": "analytics", "stage": "experimentation", "riskTier": "minimal",
        "owners": {"data-scientist": "ana"},
        "task": {"type": "regression", "target": "demand", "description": "Units."},
        "evaluation": {"primaryMetric": "mae", "threshold": 5},
        "data": [{"id": "sales", "path": "data/sales.csv", "sha256": "auto", "description": "Sales.",
                  "owner": "ana", "personalData": False, "sensitiveAttributes": ["region"]}],
        "jobs": [
            {"id": "train", "runner": "sklearn-train", "data": "sales",
             "features": {"numeric": ["size"], "categorical": ["store"]},
             "estimator": {"name": "Ridge", "params": {"alpha": 0.5}}, "split": {"testSize": 0.25, "seed": 1}},
            {"id": "evaluate", "runner": "evaluate", "predictions": {"job": "train"}, "slices": ["store"],
             "bootstrap": {"replicates": 50}},
            {"id": "fairness", "runner": "fairness", "predictions": {"job": "train"},
             "bootstrap": {"replicates": 50}},
        ],
    }
    rb.write_usecase(root, spec)
    report = run(rb.load(root), jobs=1)
    assert report.ok, [(r.job, r.reason) for r in report.runs]
    rec = {r.job: r.record for r in report.runs}
    art = next(a for a in rec["train"].artifacts if a.name == "predictions")
    preds = pd.read_csv(EvidenceStore(root).artifact_path(art.path))
    assert not any(c.startswith(SCORE) for c in preds.columns)
    y, p = preds[Y_TRUE], preds[Y_PRED]
    m = {k: v["value"] for k, v in rec["evaluate"].results["metrics"].items()}
    assert m["mae"] == pytest.approx(skm.mean_absolute_error(y, p), abs=TOL)
    assert m["rmse"] == pytest.approx(np.sqrt(skm.mean_squared_error(y, p)), abs=TOL)
    assert m["r2"] == pytest.approx(skm.r2_score(y, p), abs=TOL)
    groups = rec["fairness"].results["results"][0]["groups"]
    x = preds["region"] == "x"
    gx = next(g for g in groups if g["label"] == "x")
    assert gx["metrics"]["mae"] == pytest.approx(skm.mean_absolute_error(y[x], p[x]), abs=TOL)


def test_multiclass_fairness_is_accuracy_by_group(tmp_path):
    from fairlearn.metrics import MetricFrame
    from sklearn.metrics import accuracy_score

    root = rb.build_repo(tmp_path / "r")
    rng = np.random.default_rng(1)
    n = 300
    frame = pd.DataFrame({"x1": rng.normal(size=n).round(4), "x2": rng.normal(size=n).round(4),
                          "lang": rng.choice(["en", "de", "fr"], n, p=[0.6, 0.3, 0.1])})
    frame["topic"] = np.where(frame["x1"] > 0.3, "billing", np.where(frame["x2"] > 0, "fraud", "other"))
    rb.write_frame(root, "route", "data/t.csv", frame)
    spec = {
        "apiVersion": "charter/v1", "kind": "UseCase", "id": "route", "title": "Route", "summary": "Route.",
        "businessUnit": "retail", "team": "analytics", "stage": "experimentation", "riskTier": "minimal",
        "owners": {"data-scientist": "ana"},
        "task": {"type": "multiclass-classification", "target": "topic", "description": "Topic."},
        "data": [{"id": "t", "path": "data/t.csv", "sha256": "auto", "description": "T.", "owner": "ana",
                  "personalData": False, "sensitiveAttributes": ["lang"]}],
        "jobs": [
            {"id": "train", "runner": "sklearn-train", "data": "t", "features": {"numeric": ["x1", "x2"]},
             "estimator": {"name": "DecisionTreeClassifier", "params": {"max_depth": 2}}},
            {"id": "evaluate", "runner": "evaluate", "predictions": {"job": "train"}, "bootstrap": {"replicates": 30}},
            {"id": "fairness", "runner": "fairness", "predictions": {"job": "train"}, "bootstrap": {"replicates": 30}},
        ],
    }
    rb.write_usecase(root, spec)
    report = run(rb.load(root), jobs=1)
    assert report.ok, [(r.job, r.reason) for r in report.runs]
    rec = {r.job: r.record for r in report.runs}
    art = next(a for a in rec["train"].artifacts if a.name == "predictions")
    preds = pd.read_csv(EvidenceStore(root).artifact_path(art.path))
    res = rec["fairness"].results
    block = res["results"][0]
    mf = MetricFrame(metrics=accuracy_score, y_true=preds[Y_TRUE], y_pred=preds[Y_PRED],
                     sensitive_features=preds["lang"])
    for g in block["groups"]:
        assert set(g["metrics"]) == {"accuracy"}
        assert g["metrics"]["accuracy"] == pytest.approx(mf.by_group.loc[g["label"]], abs=TOL)
    assert set(block["disparities"]) == {"accuracy_difference", "accuracy_ratio"}
    assert block["disparities"]["accuracy_ratio"]["value"] == pytest.approx(mf.ratio(), abs=TOL)
    assert block["disparities"]["accuracy_difference"]["value"] == pytest.approx(mf.difference(), abs=TOL)
    ev = rec["evaluate"].results
    assert ev["task"] == "multiclass-classification" and len(ev["confusion_matrix"]) == 3
    assert ev["metrics"]["accuracy"]["value"] == pytest.approx(accuracy_score(preds[Y_TRUE], preds[Y_PRED]), abs=TOL)
