"""`charter diff` says what changed: an added use case's personal data and sensitive attributes, and the field of a
requirement or job that changed (never "changed (definition answered → definition answered)")."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from charter.cli.main import main
from charter.diffing import compare_requirements, diff
from charter.engine.store import EvidenceStore
from charter.kinds.requirements.definition import DefinitionRequirement
from charter.kinds.requirements.metric import MetricRequirement
from charter.loading.loader import load_repository

ENV = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
       "GIT_COMMITTER_EMAIL": "t@example.com", "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, env=ENV, check=True, capture_output=True, text=True).stdout


def test_a_reworded_requirement_names_the_field_not_its_kind_twice() -> None:
    old = DefinitionRequirement.model_validate({"id": "definition", "kind": "definition", "description": "Answer."})
    new = DefinitionRequirement.model_validate({"id": "definition", "kind": "definition",
                                                "description": "Answer the five questions."})
    [change] = compare_requirements([old], [new], "policy stage experimentation", "policy")
    assert change.message == "policy stage experimentation: `definition` changed: description reworded"
    assert "→ definition" not in change.message


def test_a_requirement_field_the_description_leaves_out_is_named_with_both_values() -> None:
    base = {"id": "auc", "kind": "metric", "metric": "roc_auc", "min": 0.7}
    old = MetricRequirement.model_validate(base)
    new = MetricRequirement.model_validate({**base, "description": "The bar."})
    [change] = compare_requirements([old], [new], "gates.pilot")
    assert change.message == "gates.pilot: `auc` changed: description added"
    from charter.diffing import field_changes

    assert field_changes(DefinitionRequirement.model_validate({"id": "d", "kind": "definition"}),
                         DefinitionRequirement.model_validate({"id": "d", "kind": "definition", "needForAi": True})) \
        == ["needForAi false → true"]


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "gov"
    assert main(["init", str(root), "--org", "Acme"]) == 0
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")
    data = tmp_path / "people.csv"
    pd.DataFrame({"age_band": ["18-30", "31-50"] * 20, "sex": ["f", "m", "m", "f"] * 10,
                  "income": [float(i) for i in range(40)], "churned": [0, 1] * 20}).to_csv(data, index=False)
    assert main(["new", "usecase", "churn", "--task", "binary-classification", "--data", str(data), "--target",
                 "churned", "--team", "my-team", "--owner", "my-name", "--risk", "limited",
                 "--sensitive", "age_band,sex", "--no-input", "--repo", str(root)]) == 0
    return root


def test_an_added_use_case_names_its_personal_data_and_sensitive_attributes(repo: Path, capsys) -> None:
    d = diff(repo, "HEAD", load_repository(repo), EvidenceStore(repo), today=dt.date(2026, 3, 1))
    [u] = d.usecases
    assert u.status == "added"
    data = [c for c in u.changes if c.kind == "data"]
    assert [c.message for c in data] == [
        "data source `people` (data/people.csv): personal data: yes; sensitive attributes: age_band, sex"]
    assert data[0].warn and data[0].after["sensitive_attributes"] == ["age_band", "sex"]
    capsys.readouterr()
    assert main(["diff", "--base", "HEAD", "--format", "markdown", "--repo", str(repo)]) == 0
    md = capsys.readouterr().out
    assert "personal data: yes; sensitive attributes: age\\_band, sex" in md


def test_a_changed_job_and_contract_say_what_changed(repo: Path, capsys) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "add churn")
    spec = repo / "usecases/churn/usecase.yaml"
    text = spec.read_text()
    assert "max_iter: 1000" in text and "income: {type: float, min: 0.0, max: 39.0}" in text
    text = text.replace("max_iter: 1000", "max_iter: 500")
    text = text.replace("income: {type: float, min: 0.0, max: 39.0}", "income: {type: float, min: 0.0, max: 45.0}")
    spec.write_text(text)
    d = diff(repo, "HEAD", load_repository(repo), EvidenceStore(repo), today=dt.date(2026, 3, 1))
    msgs = [c.message for u in d.usecases for c in u.changes]
    assert "job `train` (sklearn-train) changed: estimator {name: LogisticRegression, params: {max_iter: 1000}} → " \
           "{name: LogisticRegression, params: {max_iter: 500}}" in msgs, msgs
    assert "data source `people`: contract changed (columns changed: income)" in msgs, msgs
    assert not any(m.endswith(" changed") for m in msgs), msgs
