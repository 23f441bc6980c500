from __future__ import annotations

import pandas as pd
import pytest
import repo_builder as rb

from charter.engine.executor import run
from charter.jobs.base import JobError


def _contract_repo(root, frame, contract=None):
    rb.build_repo(root)
    spec = rb.credit_usecase("c")
    spec["jobs"] = [spec["jobs"][0]]
    if contract is not None:
        spec["data"][0]["contract"] = contract
        spec["data"][0]["sensitiveAttributes"] = []
    rb.add_credit(root, uc_id="c", spec=spec)
    rb.write_frame(root, "c", "data/applications.csv", frame)
    rb.write_usecase(root, spec)
    return rb.load(root)


def test_contract_failures_are_evidence(tmp_path):
    frame = rb.credit_frame(12, seed=0)
    frame["default"] = frame["default"].astype(object)
    frame.loc[0, "default"] = "x"          # not an integer
    frame.loc[1, "income"] = -5.0          # below min
    frame.loc[2, "region"] = "west"        # not allowed
    frame.loc[3, "customer_id"] = "C00004"  # duplicate of row 4
    frame.loc[5, "customer_id"] = "bad-id"  # pattern
    frame.loc[6, "sex"] = None             # not nullable
    frame = frame.drop(columns=["vendor_score"])  # missing column
    frame["extra"] = 1                     # undeclared column (strict)
    repo = _contract_repo(tmp_path / "r", frame)
    report = run(repo, jobs=1)
    r = report.runs[0]
    assert r.status == "fail" and r.reason.startswith("contract violated")
    src = r.record.results["sources"][0]
    assert src["passed"] is False and src["rows"] == 12
    got = {(f["column"], f["check"]): f for f in src["failures"]}
    assert got[("default", "coerce_dtype('Int64')")]["failures"] == 1
    assert got[("default", "coerce_dtype('Int64')")]["examples"] == [{"row": 0, "value": "x"}]
    assert got[("income", "greater_than_or_equal_to(0.0)")]["examples"] == [{"row": 1, "value": -5.0}]
    assert got[("region", "isin(['north', 'south', 'east'])")]["failures"] == 1
    assert got[("customer_id", "unique")]["failures"] == 2
    assert any(c == "customer_id" and k.startswith("str_matches") for c, k in got)
    assert got[("sex", "not_nullable")]["failures"] == 1
    assert ("vendor_score", "missing_column") in got and ("extra", "undeclared_column") in got
    assert (None, "rows_min(50)") in got and got[(None, "rows_min(50)")]["examples"] == [12]


def test_contract_examples_are_capped(tmp_path):
    frame = rb.credit_frame(80, seed=0)
    frame["income"] = -1.0
    repo = _contract_repo(tmp_path / "r", frame)
    r = run(repo, jobs=1).runs[0]
    f = next(f for f in r.record.results["sources"][0]["failures"] if f["column"] == "income")
    assert f["failures"] == 80 and len(f["examples"]) == 5


def test_contract_passes_and_keeps_leading_zeros(tmp_path):
    frame = pd.DataFrame({"code": ["007", "010", "123"], "n": [1, 2, None], "when": ["2026-01-01"] * 3,
                          "ok": [True, False, True]})
    contract = {"columns": {"code": {"type": "string", "pattern": "[0-9]{3}", "unique": True},
                            "n": {"type": "integer", "nullable": True, "min": 0},
                            "when": {"type": "date"}, "ok": {"type": "boolean"}}}
    repo = _contract_repo(tmp_path / "r", frame, contract)
    r = run(repo, jobs=1).runs[0]
    assert r.status == "pass", r.record.results


def test_estimator_checks_at_run_time(tmp_path):
    from charter.jobs.sklearn_train import check_estimator
    from charter.metrics.catalog import TaskType

    root = rb.credit_repo(tmp_path / "r")
    allow = rb.load(root).allowlist
    assert check_estimator(allow, "LogisticRegression", {"C": 2.0}, TaskType.BINARY) == (
        "sklearn.linear_model", "LogisticRegression")
    with pytest.raises(JobError, match="not an estimator Charter can build"):
        check_estimator(allow, "os.system", {}, TaskType.BINARY)
    with pytest.raises(JobError, match="not on the governance allowlist"):
        check_estimator(allow, "RandomForestClassifier", {}, TaskType.BINARY)
    with pytest.raises(JobError, match="not on the allowlist"):
        check_estimator(allow, "LogisticRegression", {"solver": "liblinear"}, TaskType.BINARY)
    with pytest.raises(JobError, match="above the allowed maximum"):
        check_estimator(allow, "LogisticRegression", {"C": 1e6}, TaskType.BINARY)
    with pytest.raises(JobError, match="the task needs a regressor"):
        check_estimator(allow, "LogisticRegression", {}, TaskType.REGRESSION)


def _with_job(repo, uc_id, job_id, **update):
    uc = repo.usecases[uc_id]
    jobs = [j.model_copy(update=update) if j.id == job_id else j for j in uc.jobs]
    repo.usecases[uc_id] = uc.model_copy(update={"jobs": jobs})
    return repo


def test_sensitive_attributes_are_refused_as_features_at_run_time(tmp_path):
    root = rb.credit_repo(tmp_path / "r", bootstrap=20)
    repo = rb.load(root)
    job = repo.usecases["credit"].job("train")
    features = job.features.model_copy(update={"categorical": ["region", "sex"]})
    repo = _with_job(repo, "credit", "train", features=features)
    report = run(repo, jobs=1)
    train = next(r for r in report.runs if r.job == "train")
    assert train.status == "error" and "sensitive attribute(s) sex" in train.reason


def test_paths_outside_the_repository_are_refused(tmp_path):
    root = rb.credit_repo(tmp_path / "r", bootstrap=20)
    (tmp_path / "secret.csv").write_text("a\n1\n")
    repo = rb.load(root)
    uc = repo.usecases["credit"]
    data = [d.model_copy(update={"path": "../../../secret.csv"}) if d.id == "recent" else d for d in uc.data]
    repo.usecases["credit"] = uc.model_copy(update={"data": data})
    report = run(repo, jobs=1)
    drift = next(r for r in report.runs if r.job == "drift")
    assert drift.status == "error" and "outside the repository" in drift.reason


def test_missing_predictions_artifact_is_recreated(tmp_path):
    import shutil

    root = rb.credit_repo(tmp_path / "r", bootstrap=20)
    assert run(rb.load(root), jobs=1).ok
    shutil.rmtree(root / ".charter")  # a fresh clone: records travel with git, artifacts do not
    spec = rb.credit_usecase(bootstrap=20)
    spec["jobs"][2]["slices"] = ["age_band"]
    rb.write_usecase(root, spec)
    report = run(rb.load(root), jobs=1)
    assert report.ok
    assert {r.job for r in report.executed} == {"train", "evaluate"}


@pytest.mark.parametrize(("values", "summary", "seen"), [
    (["M"] * 6, {"distinct": 1, "missing": 0}, [{"value": "M", "rows": 6}]),
    ([None] * 6, {"distinct": 0, "missing": 6}, []),
    (["F"] + [None] * 5, {"distinct": 1, "missing": 5}, [{"value": "F", "rows": 1}]),
], ids=["one-value", "all-missing", "one-value-and-missing"])
def test_min_distinct_fails_on_a_single_valued_column(tmp_path, values, summary, seen):
    frame = pd.DataFrame({"id": [f"r{i}" for i in range(6)], "sex": values})
    contract = {"columns": {"id": {"type": "string"},
                            "sex": {"type": "string", "nullable": True, "minDistinct": 2}}}
    repo = _contract_repo(tmp_path / "r", frame, contract)
    r = run(repo, jobs=1).runs[0]
    assert r.status == "fail" and "sex:min_distinct(2)" in r.reason
    (f,) = r.record.results["sources"][0]["failures"]
    assert f == {"column": "sex", "check": "min_distinct(2)", "failures": 1, "examples": [summary] + seen}
    from charter.kinds.runners import get

    blocked = get("data-contract").blocks(r.record, ["applications"])
    assert blocked is not None and f"has {summary['distinct']} distinct value(s)" in blocked
    assert f"missing: {summary['missing']}" in blocked and "at least 2 required" in blocked


def test_min_distinct_passes_with_two_values(tmp_path):
    frame = pd.DataFrame({"id": ["a", "b", "c"], "sex": ["F", "M", None]})
    contract = {"columns": {"id": {"type": "string"}, "sex": {"type": "string", "nullable": True, "minDistinct": 2}}}
    repo = _contract_repo(tmp_path / "r", frame, contract)
    assert run(repo, jobs=1).runs[0].status == "pass"
