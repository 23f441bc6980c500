"""A failed data contract blocks every job that reads the data it checks.

Training, evaluation, fairness and drift read ``applications`` (directly or
through training's predictions); the contract job checks it. When a row breaks
the contract, those jobs do not run: they are skipped with the contract's
finding as the reason, leave an ``error`` record saying so, and the gate fails
closed on them.
"""

from __future__ import annotations

import datetime as dt

import repo_builder as rb

from charter.engine.executor import run
from charter.engine.store import EvidenceStore

NULL_INCOME = "C99999,,1.0,north,male,18-35,0,0.5\n"  # `income` is not nullable in the contract
REASON = "data contract 'contract' failed: 1 row breaks `income` not-null"


def _break_contract(root):  # type: ignore[no-untyped-def]
    with (root / "usecases/credit/data/applications.csv").open("a") as fh:
        fh.write(NULL_INCOME)
    spec = rb.credit_usecase(bootstrap=20)
    spec["gates"] = {"experimentation": [{"id": "auc", "kind": "metric", "metric": "roc_auc", "min": 0.5}]}
    rb.write_usecase(root, spec)  # re-pins the sha256: the file is what the spec says, it just breaks its contract


def test_failed_contract_skips_what_reads_its_data(tmp_path):
    root = rb.credit_repo(tmp_path / "r", bootstrap=20)
    _break_contract(root)
    repo = rb.load(root)
    report = run(repo, ["credit"], jobs=1)
    runs = {r.job: r for r in report.runs}
    assert runs["contract"].status == "fail"
    for job in ("train", "evaluate", "fairness", "drift"):
        assert (runs[job].status, runs[job].reason) == ("skipped", REASON), job
    assert not report.ok
    # each skipped job leaves an error record for its inputs: gates and `show` see why
    store = EvidenceStore(root)
    for p in report.planned:
        if p.job_id != "contract":
            record = store.get("credit", p.job_id, p.evidence_id)
            assert record is not None and record.status == "error"
            assert record.reason == "skipped: " + REASON
    # training's evidence id includes the contract's: a fixed contract re-runs training
    train = next(p for p in report.planned if p.job_id == "train")
    contract = next(p for p in report.planned if p.job_id == "contract")
    assert train.inputs.upstream == {"contract": contract.evidence_id}


def test_gate_fails_closed_on_skipped_jobs(tmp_path):
    from charter.gates.evaluate import decide

    root = rb.credit_repo(tmp_path / "r", bootstrap=20)
    _break_contract(root)
    repo = rb.load(root)
    run(repo, ["credit"], jobs=1)
    decision = decide(repo, EvidenceStore(root), "credit", today=dt.date(2026, 3, 1))
    assert not decision.passed
    auc = next(r for r in decision.requirements if r.id == "auc")
    assert auc.status != "pass" and REASON in (auc.reason or "")


def test_show_says_why_a_job_was_skipped(tmp_path, capsys):
    from charter.cli.main import main

    root = rb.credit_repo(tmp_path / "r", bootstrap=20)
    _break_contract(root)
    run(rb.load(root), ["credit"], jobs=1)
    assert main(["show", "credit", "--repo", str(root)]) == 0
    out = capsys.readouterr().out
    assert f"train (sklearn-train): fresh, error" in out
    assert f"reason: skipped: {REASON}" in out


def test_a_contract_on_other_data_does_not_block(tmp_path):
    root = rb.credit_repo(tmp_path / "r", bootstrap=20)
    spec = rb.credit_usecase(bootstrap=20)
    # `recent` has more columns than this contract declares
    spec["data"][1]["contract"] = {"columns": {c: {"type": "string"} for c in ("customer_id", "sex", "age_band")}}
    spec["jobs"][0]["data"] = ["applications", "recent"]
    rb.write_usecase(root, spec)
    report = run(rb.load(root), ["credit"], jobs=1)
    runs = {r.job: r for r in report.runs}
    assert runs["contract"].status == "fail"
    # only drift reads `recent`; training reads `applications`, which passed
    assert runs["train"].status == "pass" and runs["evaluate"].status == "pass"
    assert runs["drift"].status == "skipped"
    assert runs["drift"].reason.startswith("data contract 'contract' failed: 'recent': column `debt` is not declared")
