"""`charter diff --base REF` in a temporary git repository with two commits."""

from __future__ import annotations

import copy
import json
import os
import subprocess
from pathlib import Path

import pytest
from support import CSV, ORGANISATION, POLICY, USECASE, GovRepo, evaluate_results

from charter.artifacts.diff import DiffReport
from charter.cli.main import main
from charter.diffing import DiffError, diff
from charter.engine.store import EvidenceStore

ON = "2026-03-01"
ENV = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
       "GIT_COMMITTER_EMAIL": "t@example.com", "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, env=ENV, check=True, capture_output=True, text=True).stdout


def commit_all(cwd: Path, message: str) -> str:
    git(cwd, "add", "-A")
    git(cwd, "commit", "-q", "-m", message)
    return git(cwd, "rev-parse", "HEAD").strip()


def make_base(top: Path, sub: str = "") -> GovRepo:
    """Commit 1: churn (production, evidence, approvals) and legacy (to be removed)."""
    top.mkdir(parents=True)
    git(top, "init", "-q", "-b", "main")
    g = GovRepo(top / sub if sub else top, copy.deepcopy(USECASE))
    g.record_all()
    uc = g.usecases["churn"]
    g.approve(uc, by="cleo", role="product-manager")
    g.approve(uc, by="ben", role="ml-auditor")
    legacy = copy.deepcopy(USECASE)
    legacy.update(id="legacy", stage="experimentation", riskTier="minimal", gates={}, jobs=[], fairness=[])
    g.write_usecase(legacy)
    commit_all(top, "base")
    return g


def make_head(g: GovRepo, top: Path) -> None:
    """Commit 2: the pull request's change."""
    uc = g.usecases["churn"]
    uc["gates"]["production"][0]["min"] = 0.6  # tightened
    uc["evaluation"]["threshold"] = 0.65  # loosened
    uc["data"][0]["sensitiveAttributes"] = ["sex", "region"]  # new sensitive attribute → fairness re-run
    uc["data"][1]["personalData"] = False
    recent = CSV.replace("c1,", "c1x,")
    (g.root / "usecases/churn/data/recent.csv").write_text(recent)
    import hashlib

    uc["data"][1]["path"] = "data/recent.csv"
    uc["data"][1]["sha256"] = hashlib.sha256(recent.encode()).hexdigest()  # re-pinned → drift re-run
    uc["owners"]["product-manager"] = ["cleo", "ben"]
    uc["jobs"][1]["features"] = {"numeric": ["tenure"]}  # region becomes sensitive: no longer a feature
    uc["waivers"] = [{"requirement": "production-drift", "owner": "cleo", "reason": "New <b>batch</b>.",
                      "ticket": "GOV-9", "expires": "2099-01-01"}]
    org = copy.deepcopy(ORGANISATION)
    org["people"][1]["roles"] = ["ml-auditor", "product-manager"]
    policy = copy.deepcopy(POLICY)
    policy["approvalValidityDays"] = 730
    g.write_governance(policy, org)
    g.write_usecase(uc)
    g.record("train", finished="2026-02-20T10:00:00+00:00")
    g.record("evaluate", results=evaluate_results(roc_auc=(0.75, 0.7, 0.8)), finished="2026-02-20T10:00:00+00:00")
    fraud = copy.deepcopy(USECASE)
    fraud.update(id="fraud", stage="experimentation", riskTier="minimal", gates={}, jobs=[], fairness=[])
    g.write_usecase(fraud)
    import shutil

    shutil.rmtree(g.root / "usecases/legacy")
    commit_all(top, "head")


@pytest.fixture(scope="module")
def pr(tmp_path_factory: pytest.TempPathFactory) -> GovRepo:
    top = tmp_path_factory.mktemp("diff") / "repo"
    g = make_base(top)
    make_head(g, top)
    return g


@pytest.fixture(scope="module")
def result(pr: GovRepo):
    import datetime as dt

    return diff(pr.root, "HEAD~1", pr.load(), EvidenceStore(pr.root), today=dt.date(2026, 3, 1))


def uc(result, uc_id: str):
    return next(u for u in result.usecases if u.id == uc_id)


def messages(u) -> list[str]:
    return [c.message for c in u.changes]


def test_added_removed_changed(result) -> None:
    assert [(u.id, u.status) for u in result.usecases] == [("churn", "changed"), ("fraud", "added"),
                                                           ("legacy", "removed")]
    assert result.summary["added"] == 1 and result.summary["removed"] == 1


def test_thresholds_loosened_and_tightened(result) -> None:
    changes = {c.message: c for c in uc(result, "churn").changes}
    loosened = changes["evaluation threshold of roc_auc 0.7 → 0.65 (loosened)"]
    assert loosened.direction == "loosened" and loosened.warn
    tightened = changes["gates.production: `recall-by-region` tightened (recall ≥ 0.5 on region=* → recall ≥ 0.6 on region=*)"]
    assert tightened.direction == "tightened" and not tightened.warn


def test_data_changes(result) -> None:
    msgs = messages(uc(result, "churn"))
    assert "data source `customers`: new sensitive attribute region" in msgs
    assert "data source `recent` no longer declares personal data" in msgs
    assert any(m.startswith("data source `recent` re-pinned (") and "path data/customers.csv → data/recent.csv" in m
               for m in msgs)


def test_owners_waivers_and_governance(result) -> None:
    msgs = messages(uc(result, "churn"))
    assert "owner product-manager: cleo → cleo, ben" in msgs
    assert "new waiver of `production-drift` by cleo until 2099-01-01 (GOV-9)" in msgs
    gov = [c.message for c in result.governance]
    assert "`ben` now holds product-manager" in gov
    assert "approvals stay valid 365 → 730 days" in gov


def test_metric_change_against_the_base_evidence(result) -> None:
    m = uc(result, "churn").metric
    assert m["metric"] == "roc_auc"
    assert m["before"]["value"] == 0.82 and m["after"]["value"] == 0.75
    assert m["delta"] == pytest.approx(-0.07)


def test_gate_newly_failing_with_requirement_transitions(result) -> None:
    g = uc(result, "churn").gate
    assert g["before"]["passed"] is True and g["after"]["passed"] is False
    assert g["transition"] == "newly failing"
    moves = {r["requirement"]: (r["before"], r["after"]) for r in g["requirements"]}
    assert moves["production-fairness"] == ("pass", "error")  # the new sensitive attribute needs a fairness re-run
    assert moves["production-drift"] == ("pass", "waived")
    assert moves["production-sign-off"] == ("pass", "fail")  # signed the old evidence bundle
    assert "recall-by-region" not in moves  # unchanged
    assert uc(result, "churn").rerun == ["contract", "fairness", "drift"]


def test_markdown_for_a_pr_comment(pr: GovRepo, capsys) -> None:
    code = main(["diff", "--base", "HEAD~1", "--repo", str(pr.root), "--on", ON])
    out = capsys.readouterr().out
    assert code == 0
    assert out.startswith("## Governance change since `HEAD~1`")
    assert "| **churn** | changed ⚠️ | production | high | roc\\_auc 0.82 → 0.75 \\(-0.07 ▼\\) | ✅ → ❌ |" in out
    assert "- ⚠️ evaluation threshold of roc\\_auc 0.7 → 0.65 \\(loosened\\)" in out
    assert "newly failing" in out and "**Re-run**: `charter run churn`" in out
    assert "<b>batch" not in out  # (waiver reasons are not echoed; ids are code, the rest escaped)


def test_json_format(pr: GovRepo, capsys) -> None:
    code = main(["diff", "--base", "HEAD~1", "--repo", str(pr.root), "--on", ON, "--format", "json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 0 and data["schema_version"] == 2
    assert data["summary"]["newly_failing"] == 1 and data["summary"]["loosened"] >= 2
    assert [u["id"] for u in data["use_cases"]] == ["churn", "fraud", "legacy"]
    DiffReport.model_validate(data)  # the published schema's model reads what diff writes


def test_unknown_ref_exits_2(pr: GovRepo, capsys) -> None:
    code = main(["diff", "--base", "no-such-branch", "--repo", str(pr.root)])
    assert code == 2
    assert "unknown git ref 'no-such-branch'" in capsys.readouterr().err
    with pytest.raises(DiffError):
        diff(pr.root, "--output=x", pr.load(), EvidenceStore(pr.root))


def test_no_change_against_head(pr: GovRepo, capsys) -> None:
    code = main(["diff", "--base", "HEAD", "--repo", str(pr.root), "--on", ON])
    assert code == 0 and "No governance change." in capsys.readouterr().out


def test_works_in_a_shallow_clone_once_the_base_is_fetched(pr: GovRepo, tmp_path: Path, capsys) -> None:
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--depth=1", f"file://{pr.root}", str(clone))
    base = git(pr.root, "rev-parse", "HEAD~1").strip()
    assert main(["diff", "--base", base, "--repo", str(clone), "--on", ON]) == 2  # not fetched yet
    assert "fetch it first" in capsys.readouterr().err
    git(clone, "fetch", "-q", "--depth=1", "origin", base)
    assert main(["diff", "--base", base, "--repo", str(clone), "--on", ON, "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [u["id"] for u in data["use_cases"]] == ["churn", "fraud", "legacy"]
    assert git(clone, "rev-parse", "--is-shallow-repository").strip() == "true"


def test_governance_root_in_a_subfolder(tmp_path: Path, capsys) -> None:
    top = tmp_path / "mono"
    g = make_base(top, sub="governance-repo")
    uc_ = g.usecases["churn"]
    uc_["stage"] = "pilot"
    g.write_usecase(uc_)
    commit_all(top, "demote")
    code = main(["diff", "--base", "HEAD~1", "--repo", str(g.root), "--on", ON, "--format", "json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 0
    [churn] = [u for u in data["use_cases"] if u["id"] == "churn"]
    assert churn["stage"] == {"before": "production", "after": "pilot"}
    assert churn["changes"][0]["direction"] == "demotion"


def test_a_base_spec_the_loader_refuses_is_a_problem_with_the_loaders_message(tmp_path: Path, capsys) -> None:
    top = tmp_path / "repo"
    g = make_base(top)
    broken = g.root / "usecases/broken/usecase.yaml"
    broken.parent.mkdir(parents=True)
    broken.write_text("apiVersion: charter/v1\nkind: UseCase\nid: [unclosed\n")
    commit_all(top, "a broken spec")
    broken.unlink()
    broken.parent.rmdir()  # an empty use-case folder is itself reported (CH015)
    commit_all(top, "fixed")
    code = main(["diff", "--base", "HEAD~1", "--repo", str(g.root), "--on", ON, "--format", "json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 0
    [problem] = data["problems"]
    assert problem == "usecases/broken/usecase.yaml:4: invalid YAML: did not find expected ',' or ']'"  # the loader's
