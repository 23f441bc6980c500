"""Every verdict carries the rule that decided it and points at the spec element that decided it.

Lines and columns are those of the fixture spec as ``support.dump`` writes it
(``support.USECASE``): the fairness check ``sex-parity`` starts on line 113, the
drift job on line 108, the use case's own gate entry on line 122, and so on.
"""

from __future__ import annotations

import datetime as dt
import html

import pytest
from support import TODAY, GovRepo, contract_results, drift_results, est, fairness_results

from charter.cli.main import main
from charter.gates import decide
from charter.report import gates as report

FILE = "usecases/churn/usecase.yaml"


def gate(g: GovRepo, stage: str | None = None, today: dt.date = TODAY):
    return decide(g.load(), g.store, "churn", stage, today)


def req(decision, rid: str):
    return next(r for r in decision.requirements if r.id == rid)


def set_uc(g: GovRepo, **changes) -> dict:
    uc = g.usecases["churn"]
    for k, v in changes.items():
        if v is None:
            uc.pop(k, None)
        else:
            uc[k] = v
    g.write_usecase(uc)
    return uc


def where(r) -> tuple[str | None, int | None, int | None, str | None]:
    return r.file, r.line, r.column, r.path


# --- the rule that decided -------------------------------------------------------------------


def _interval_case(ready: GovRepo) -> None:
    """A disparity whose point estimate meets the check's limit and whose interval bound does not."""
    uc = ready.usecases["churn"]
    uc["fairness"] = uc["fairness"] + [{
        "id": "sex-dpd", "sensitiveAttributes": ["sex"], "metric": "demographic_parity_difference", "max": 0.01,
        "affectedGroups": "Women and men.", "rationale": "At most one point apart."}]
    ready.write_usecase(uc)
    results = fairness_results()
    results["results"][0]["disparities"]["demographic_parity_difference"] = est(0.007, 0.001, 0.012)
    results["bootstrap"] = {"confidence": 0.95, "replicates": 1000}
    ready.record("fairness", results=results)


def test_a_bound_failing_only_the_risk_tier_interval_rule_says_so(ready: GovRepo) -> None:
    _interval_case(ready)
    d = gate(ready)
    assert req(d, "production-fairness").status == "pass"  # the policy judges the point estimate 0.007 ≤ 0.01
    r = req(d, "fairness-interval")
    assert r.status == "fail"
    assert r.rule is not None
    assert {k: r.rule[k] for k in ("source", "basis", "comparator", "limit", "value")} == {
        "source": "risk-tier:high", "basis": "upper bound of the 95 % interval", "comparator": "<=", "limit": 0.01,
        "value": 0.012}
    assert r.rule["text"].startswith(
        "sex-dpd: demographic_parity_difference upper bound 0.012 of the 95 % interval > 0.01 "
        "(max of fairness check 'sex-dpd'; risk tier high requires the interval bound; "
        "point estimate 0.007); the 95 % interval [0.001, 0.012] straddles 0.01: inconclusive")
    part = next(p for p in r.details["parts"] if p["label"] == "sex-dpd")
    assert part["status"] == "fail" and part["rule"]["source"] == "risk-tier:high"
    passing = next(p for p in req(d, "production-fairness").details["parts"] if p["label"] == "sex-dpd")
    assert passing["rule"]["source"] == "fairness check 'sex-dpd'"
    assert passing["rule"]["text"].startswith("demographic_parity_difference 0.007 ≤ 0.01 (max of fairness check")


def test_reporters_print_the_rule_beside_the_verdict(ready: GovRepo) -> None:
    _interval_case(ready)
    d = gate(ready)
    rule = req(d, "fairness-interval").rule["text"]
    text = report.format_text([d])
    lines = text.splitlines()
    verdict = next(i for i, line in enumerate(lines) if "fairness-interval" in line and "fail:" in line)
    assert lines[verdict + 1].strip() == f"rule: {rule}"
    assert f"rule: {rule}" in html.unescape(report.format_junit([d]))
    assert report.parse_json(report.format_json([d]))[0].requirements == d.requirements
    assert "risk tier high requires the interval bound" in report.format_markdown([d])
    github = [line for line in report.format_github([d]).splitlines() if "fairness-interval" in line]
    assert "rule: sex-dpd: demographic_parity_difference upper bound 0.012" in github[0]


def test_waived_beside_an_error_names_the_waiver_and_what_it_covers(ready: GovRepo) -> None:
    uc = ready.usecases["churn"]
    uc["jobs"] = [j for j in uc["jobs"] if j["id"] != "drift"]
    uc["waivers"] = [{"requirement": "production-drift", "owner": "cleo", "reason": "No live data yet.",
                      "ticket": "RISK-12", "expires": "2099-01-01"}]
    ready.write_usecase(uc)
    r = req(gate(ready), "production-drift")
    assert r.status == "waived"
    assert r.rule is not None and r.rule["source"] == "waiver 'RISK-12'" and r.rule["basis"] == "waiver"
    assert r.rule["text"] == "waiver RISK-12 by cleo until 2099-01-01 turns an error into waived"
    assert "; error:" not in r.reason
    assert r.reason.endswith("without it the requirement would be an error: no drift job is declared: add a job "
                             "with `runner: drift` comparing current data with the training reference")
    assert r.details["underlyingStatus"] == "error" and r.details["underlyingRule"]["source"] == "fail-closed"


def test_every_result_of_the_decision_carries_a_rule(ready: GovRepo) -> None:
    ready.record("drift", results=drift_results(share=0.6))
    d = gate(ready)
    assert all(r.rule and r.rule["text"] for r in d.requirements), [r.id for r in d.requirements if not r.rule]
    drift = req(d, "production-drift")
    assert drift.rule == {"source": "policy", "basis": "drift share", "comparator": "<=", "limit": 0.3,
                          "value": 0.6, "text": "drift share 0.6 > 0.3 (maxDriftShare of the policy; 3 of 5 "
                                                "features drifted)"}


# --- the element it points at ----------------------------------------------------------------


def test_failing_fairness_check_points_at_the_check(ready: GovRepo) -> None:
    ready.record("fairness", results=fairness_results(ratio=(0.7, 0.6, 0.8)))
    d = gate(ready)
    assert where(req(d, "production-fairness")) == (FILE, 113, 3, "fairness[id='sex-parity']")
    assert where(req(d, "fairness-interval")) == (FILE, 113, 3, "fairness[id='sex-parity']")


def test_policy_default_fairness_check_points_at_the_sensitive_attribute(ready: GovRepo) -> None:
    set_uc(ready, fairness=[])
    ready.record("fairness", results=fairness_results(ratio=(0.7, 0.6, 0.8)))
    r = req(gate(ready), "production-fairness")
    assert where(r) == (FILE, 31, 5, "data[id='customers'].sensitiveAttributes[0]")


def test_use_case_gate_points_at_its_entry_and_a_policy_metric_at_the_primary_metric(ready: GovRepo) -> None:
    d = gate(ready)
    assert where(req(d, "recall-by-region")) == (FILE, 122, 5, "gates.production[id='recall-by-region']")
    assert where(req(d, "production-quality")) == (FILE, 19, 3, "evaluation.primaryMetric")


def test_drift_points_at_its_job_or_where_the_job_is_missing(ready: GovRepo) -> None:
    ready.record("drift", results=drift_results(share=0.6))
    assert where(req(gate(ready), "production-drift")) == (FILE, 108, 3, "jobs[id='drift']")
    uc = ready.usecases["churn"]
    uc["jobs"] = [j for j in uc["jobs"] if j["id"] != "drift"]
    ready.write_usecase(uc)
    assert where(req(gate(ready), "production-drift")) == (FILE, 77, 1, "jobs")


def test_data_contract_points_at_the_failing_source(ready: GovRepo) -> None:
    ready.record("contract", results=contract_results(passed=False))
    r = req(gate(ready, "pilot"), "pilot-contracts")
    assert r.status == "fail" and where(r) == (FILE, 32, 3, "data[id='customers'].contract")


def test_maturity_points_at_the_process_or_the_missing_key_s_parent(ready: GovRepo) -> None:
    uc = ready.usecases["churn"]
    uc["maturity"] = {**uc["maturity"], "development": 0}
    ready.write_usecase(uc)
    r = req(gate(ready, "pilot"), "pilot-development")
    assert r.status == "fail" and where(r) == (FILE, 70, 3, "maturity.development")
    set_uc(ready, maturity=None)
    r = req(gate(ready, "pilot"), "pilot-development")
    assert r.status == "fail" and where(r) == (FILE, 1, 1, "")  # `maturity:` is missing from the document


def test_documentation_points_at_the_short_card_field(ready: GovRepo) -> None:
    uc = ready.usecases["churn"]
    uc["card"] = {**uc["card"], "limitations": "Too short."}
    ready.write_usecase(uc)
    r = req(gate(ready, "pilot"), "pilot-card")
    assert r.status == "fail" and where(r) == (FILE, 130, 3, "card.limitations")


def test_approval_points_at_the_approval_that_does_not_count_else_at_stage(ready: GovRepo) -> None:
    uc = ready.usecases["churn"]
    uc["approvals"][0]["evidence"] = "0" * 64  # cleo's product-manager approval now signs other evidence
    ready.write_usecase(uc)
    r = req(gate(ready), "production-sign-off")
    text = (ready.root / FILE).read_text().splitlines()
    assert r.status == "fail" and r.path == "approvals[0]"
    assert text[r.line - 1].startswith("- stage: production") and r.column == 3
    set_uc(ready, approvals=None)
    r = req(gate(ready), "production-sign-off")
    assert where(r) == (FILE, 8, 1, "stage")  # no element of its own: the `stage:` line


def test_github_annotations_point_at_the_failing_element(ready: GovRepo, capsys: pytest.CaptureFixture[str]) -> None:
    ready.record("fairness", results=fairness_results(ratio=(0.7, 0.6, 0.8)))
    code = main(["gate", "--repo", str(ready.root), "--on", TODAY.isoformat(), "--format", "github"])
    out = capsys.readouterr().out
    assert code == 1
    line = next(x for x in out.splitlines() if "production-fairness" in x)
    assert line.startswith(f"::error file={FILE},line=113,col=3,title=")
    assert "rule: demographic_parity_ratio 0.7 < 0.8 (min of fairness check 'sex-parity')" in line


def test_a_waived_requirement_whose_checks_are_waived_too(ready: GovRepo) -> None:
    ready.record("fairness", results=fairness_results(ratio=(0.7, 0.6, 0.8)))
    waiver = {"owner": "cleo", "reason": "Re-weighting.", "ticket": "RISK-7", "expires": "2099-01-01"}
    set_uc(ready, waivers=[{"requirement": "sex-parity", **waiver}, {"requirement": "production-fairness", **waiver}])
    r = req(gate(ready), "production-fairness")
    assert r.status == "waived" and r.details["underlyingStatus"] == "waived"
    assert r.rule is not None and r.rule["text"] == ("waiver RISK-7 by cleo until 2099-01-01 waives the whole "
                                                     "requirement (its failing parts carry waivers of their own)")
    assert r.details["parts"][0]["rule"]["source"] == "waiver 'RISK-7'"


def test_fairness_without_usable_evidence_points_at_the_fairness_job(gov: GovRepo) -> None:
    r = req(gate(gov), "production-fairness")
    assert r.status == "error" and where(r) == (FILE, 104, 3, "jobs[id='fairness']")
