"""decide(): every requirement kind passing and failing, fail-closed evidence, approvals, waivers."""

from __future__ import annotations

import copy
import datetime as dt

import pytest
from support import (
    ORGANISATION,
    POLICY,
    TODAY,
    GovRepo,
    contract_results,
    drift_results,
    est,
    evaluate_results,
    fairness_results,
    train_results,
)

from charter.gates import GateError, decide, next_stage


def gate(g: GovRepo, stage: str | None = None, today: dt.date = TODAY, *, valid: bool = True):
    repo = g.load(require_valid=valid)
    return decide(repo, g.store, "churn", stage, today)


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


def add_gate(g: GovRepo, stage: str, requirement: dict) -> None:
    uc = g.usecases["churn"]
    uc.setdefault("gates", {}).setdefault(stage, []).append(requirement)
    g.write_usecase(uc)


# --- the whole decision ---------------------------------------------------------------------


def test_everything_fresh_and_approved_passes(ready: GovRepo) -> None:
    d = gate(ready)
    assert d.passed, [(r.id, r.reason) for r in d.requirements if r.status != "pass"]
    assert d.stage == d.declared_stage == "production"
    assert d.counts == {"pass": 7, "fail": 0, "inconclusive": 0, "waived": 0, "error": 0}
    assert d.evidence_hash == ready.bundle_hash()
    origins = {r.id: r.origin for r in d.requirements}
    assert origins == {"production-quality": "policy", "production-fairness": "policy", "production-drift": "policy",
                       "production-sign-off": "policy", "auditor-sign-off": "risk-tier:high",
                       "fairness-interval": "risk-tier:high", "recall-by-region": "use-case"}


def test_evidence_ids_read_are_reported(ready: GovRepo) -> None:
    d = gate(ready)
    planned = {p.job_id: p.evidence_id for p in ready.planned()}
    assert req(d, "production-quality").evidence == (planned["evaluate"],)
    assert req(d, "production-drift").evidence == (planned["drift"],)
    assert req(d, "production-fairness").evidence == (planned["fairness"],)


def test_unknown_stage_is_an_error(ready: GovRepo) -> None:
    with pytest.raises(GateError, match="unknown stage 'prod'"):
        gate(ready, "prod")


def test_next_stage(gov: GovRepo) -> None:
    repo = gov.load()
    uc = repo.usecases["churn"]
    assert next_stage(repo.policy, uc) is None  # production → retired is not a promotion
    assert next_stage(repo.policy, uc.model_copy(update={"stage": "pilot"})) == "production"
    assert next_stage(repo.policy, uc.model_copy(update={"stage": "proposed"})) == "experimentation"


def test_stage_without_requirements_passes(gov: GovRepo) -> None:
    d = gate(gov, "proposed")
    assert d.passed and d.requirements == ()


# --- definition -----------------------------------------------------------------------------


def test_definition_passes_when_answered(gov: GovRepo) -> None:
    r = req(gate(gov, "experimentation"), "well-defined")
    assert r.status == "pass"


def test_definition_fails_with_the_missing_questions(gov: GovRepo) -> None:
    set_uc(gov, stage="experimentation", businessImpact=None, consumption=None, jobs=[], gates={},
           fairness=[])
    r = req(gate(gov), "well-defined")
    assert r.status == "fail"
    assert "businessImpact, consumption" in r.reason
    assert r.details["missing"] == ["businessImpact", "consumption"]


# --- metric ---------------------------------------------------------------------------------


def test_primary_metric_pass_reports_candidate_and_threshold(ready: GovRepo) -> None:
    r = req(gate(ready), "production-quality")
    assert (r.status, r.metric, r.candidate, r.comparator, r.threshold) == ("pass", "roc_auc", 0.82, ">=", 0.7)


def test_primary_metric_below_threshold_fails(ready: GovRepo) -> None:
    ready.record("evaluate", results=evaluate_results(roc_auc=(0.65, 0.6, 0.7)))
    r = req(gate(ready), "production-quality")
    assert r.status == "fail"
    assert (r.candidate, r.threshold) == (0.65, 0.7)
    assert "roc_auc 0.65 is below the minimum 0.7" in r.reason


def test_every_slice_is_judged_and_the_failing_one_named(ready: GovRepo) -> None:
    ready.record("evaluate", results=evaluate_results(recall_south=0.4))
    r = req(gate(ready), "recall-by-region")
    assert r.status == "fail"
    assert r.candidate == 0.4
    assert "region=south" in r.reason and "1 of 2 slices pass" in r.reason
    assert [p["status"] for p in r.details["parts"]] == ["pass", "fail"]


def test_one_named_slice(ready: GovRepo) -> None:
    add_gate(ready, "production", {"id": "north-recall", "kind": "metric", "metric": "recall",
                                   "slice": "region=north", "min": 0.75})
    r = req(gate(ready), "north-recall")
    assert r.status == "fail" and r.candidate == 0.7


def test_unknown_slice_value_is_an_error_naming_the_values(ready: GovRepo) -> None:
    add_gate(ready, "production", {"id": "east", "kind": "metric", "metric": "recall", "slice": "region=east", "min": 0.5})
    r = req(gate(ready), "east")
    assert r.status == "error"
    assert "no slice 'region=east'" in r.reason and "north, south" in r.reason


def test_use_interval_judges_the_lower_bound_for_greater_is_better(ready: GovRepo) -> None:
    ready.record("evaluate", results=evaluate_results(roc_auc=(0.75, 0.68, 0.8)))
    add_gate(ready, "production", {"id": "auc-interval", "kind": "metric", "metric": "roc_auc", "min": 0.7,
                                   "useInterval": True})
    d = gate(ready)
    assert req(d, "production-quality").status == "pass"  # point estimate 0.75 ≥ 0.7
    r = req(d, "auc-interval")
    assert r.status == "fail" and r.candidate == 0.68
    assert "lower bound 0.68" in r.reason


def test_use_interval_judges_the_upper_bound_for_lower_is_better(ready: GovRepo) -> None:
    results = evaluate_results()
    results["metrics"]["log_loss"] = est(0.4, 0.35, 0.52)
    ready.record("evaluate", results=results)
    add_gate(ready, "production", {"id": "loss", "kind": "metric", "metric": "log_loss", "max": 0.5, "useInterval": True})
    r = req(gate(ready), "loss")
    assert r.status == "fail" and r.candidate == 0.52 and r.comparator == "<="
    assert "upper bound" in r.reason


def test_champion_minimum_absolute_change(ready: GovRepo) -> None:
    add_gate(ready, "production", {"id": "beat-champion", "kind": "metric", "metric": "primary",
                                   "minAbsoluteChange": 0.05})
    r = req(gate(ready), "beat-champion")  # 0.82 vs champion 0.78 + 0.05
    assert r.status == "fail"
    assert r.baseline == 0.78 and r.threshold == pytest.approx(0.83) and r.candidate == 0.82
    assert "champion" in r.reason


def test_champion_minimum_relative_change_passes(ready: GovRepo) -> None:
    add_gate(ready, "production", {"id": "beat-champion", "kind": "metric", "metric": "primary",
                                   "minRelativeChange": 0.05})
    r = req(gate(ready), "beat-champion")  # needs 0.78 * 1.05 = 0.819
    assert r.status == "pass" and r.threshold == pytest.approx(0.819)


def test_champion_missing_is_an_error(ready: GovRepo) -> None:
    ready.record("evaluate", results=evaluate_results(champion_auc=None))
    add_gate(ready, "production", {"id": "beat-champion", "kind": "metric", "metric": "primary",
                                   "minAbsoluteChange": 0.01})
    r = req(gate(ready), "beat-champion")
    assert r.status == "error" and "champion" in r.reason


def test_metric_absent_from_evidence_is_an_error(ready: GovRepo) -> None:
    add_gate(ready, "production", {"id": "f1", "kind": "metric", "metric": "f1", "min": 0.5})
    r = req(gate(ready), "f1")
    assert r.status == "error"
    assert "f1 is not in the evidence" in r.reason and "roc_auc" in r.reason


def test_undefined_metric_is_an_error_with_its_reason(ready: GovRepo) -> None:
    results = evaluate_results()
    results["metrics"]["roc_auc"] = est(None, reason="only one class in the labels")
    ready.record("evaluate", results=results)
    r = req(gate(ready), "production-quality")
    assert r.status == "error" and "only one class" in r.reason


# --- fairness -------------------------------------------------------------------------------


def test_fairness_fails_below_the_check_minimum(ready: GovRepo) -> None:
    ready.record("fairness", results=fairness_results(ratio=(0.7, 0.6, 0.8)))
    r = req(gate(ready), "production-fairness")
    assert r.status == "fail" and r.candidate == 0.7 and r.threshold == 0.8
    assert "sex-parity" in r.details["parts"][0]["label"]


def test_fairness_interval_requirement_judges_the_pessimistic_bound(ready: GovRepo) -> None:
    ready.record("fairness", results=fairness_results(ratio=(0.85, 0.76, 0.93)))
    d = gate(ready)
    assert req(d, "production-fairness").status == "pass"
    r = req(d, "fairness-interval")
    assert r.status == "fail" and r.candidate == 0.76


def test_small_groups_are_reported(ready: GovRepo) -> None:
    ready.record("fairness", results=fairness_results(small_n=12))
    r = req(gate(ready), "production-fairness")
    assert r.status == "pass"
    assert "excluded as below 30: female (n=12)" in r.reason
    assert r.details["parts"][0]["smallGroups"] == [{"group": "female", "n": 12}]


def test_policy_default_check_applies_without_an_own_check(ready: GovRepo) -> None:
    set_uc(ready, fairness=[])
    ready.record("fairness", results=fairness_results(ratio=(0.7, 0.6, 0.8)))
    r = req(gate(ready), "production-fairness")
    assert r.status == "fail"
    assert r.details["parts"][0]["label"] == "policy-demographic-parity-ratio-sex"


def test_fairness_without_attribute_result_is_an_error(ready: GovRepo) -> None:
    results = fairness_results()
    results["results"][0]["attributes"] = ["region"]
    ready.record("fairness", results=results)
    r = req(gate(ready), "production-fairness")
    assert r.status == "error" and "no result for sex" in r.reason


def test_waived_fairness_check_is_waived_not_passed(ready: GovRepo) -> None:
    ready.record("fairness", results=fairness_results(ratio=(0.7, 0.6, 0.8)))
    set_uc(ready, waivers=[{"requirement": "sex-parity", "owner": "cleo", "reason": "Re-weighting in progress.",
                            "ticket": "RISK-7", "expires": "2099-01-01"}])
    ready.reapprove()  # the approvers reviewed the new fairness results
    d = gate(ready)
    r = req(d, "production-fairness")
    assert r.status == "waived"
    assert r.details["parts"][0]["waiver"]["ticket"] == "RISK-7"
    assert d.passed


# --- data contract, drift, maturity, documentation, evidence --------------------------------


def test_data_contract_pass_and_fail(ready: GovRepo) -> None:
    assert req(gate(ready, "pilot"), "pilot-contracts").status == "pass"
    ready.record("contract", status="fail", results=contract_results(passed=False), reason="1 check failed")
    r = req(gate(ready, "pilot"), "pilot-contracts")
    assert r.status == "fail"
    assert "tenure: greater_than_or_equal_to(0) (3 rows)" in r.reason


def test_data_contract_without_any_contract_fails(ready: GovRepo) -> None:
    uc = ready.usecases["churn"]
    uc["data"][0].pop("contract")
    uc["jobs"] = [j for j in uc["jobs"] if j["runner"] != "data-contract"]
    ready.write_usecase(uc)
    r = req(gate(ready, "pilot"), "pilot-contracts")
    assert r.status == "fail" and "no data source declares a contract" in r.reason


def test_drift_pass_and_fail(ready: GovRepo) -> None:
    r = req(gate(ready), "production-drift")
    assert (r.status, r.candidate, r.threshold, r.comparator) == ("pass", 0.2, 0.3, "<=")
    ready.record("drift", results=drift_results(share=0.6))
    r = req(gate(ready), "production-drift")
    assert r.status == "fail" and "drift share 0.6" in r.reason and "above the maximum 0.3" in r.reason


def test_drift_schema_change_fails(ready: GovRepo) -> None:
    ready.record("drift", results=drift_results(share=0.0, removed=["tenure"]))
    r = req(gate(ready), "production-drift")
    assert r.status == "fail" and "removed: tenure" in r.reason


def test_maturity_pass_and_fail(ready: GovRepo) -> None:
    assert req(gate(ready, "pilot"), "pilot-development").status == "pass"
    uc = ready.usecases["churn"]
    uc["maturity"]["development"] = 0
    ready.write_usecase(uc)
    r = req(gate(ready, "pilot"), "pilot-development")
    assert (r.status, r.candidate, r.threshold) == ("fail", 0, 1)
    assert "development is at level 0; level 1 is required" == r.reason


def test_documentation_pass_and_fail(ready: GovRepo) -> None:
    assert req(gate(ready, "pilot"), "pilot-card").status == "pass"
    uc = ready.usecases["churn"]
    uc["card"]["limitations"] = "Not many."
    del uc["card"]["intendedUse"]
    ready.write_usecase(uc)
    r = req(gate(ready, "pilot"), "pilot-card")
    assert r.status == "fail"
    assert r.details["missing"] == ["intendedUse", "limitations"]
    assert "intendedUse (0 words), limitations (2 words)" in r.reason


def test_evidence_requirement_pass_and_failed_job(ready: GovRepo) -> None:
    assert req(gate(ready, "pilot"), "pilot-evaluated").status == "pass"
    ready.record("evaluate", status="fail", reason="roc_auc 0.6 below the use case's threshold 0.7")
    r = req(gate(ready, "pilot"), "pilot-evaluated")
    assert r.status == "fail" and "roc_auc 0.6 below" in r.reason


# --- fail closed ----------------------------------------------------------------------------


def test_missing_evidence_is_an_error_with_the_command(gov: GovRepo) -> None:
    d = gate(gov)
    assert not d.passed
    r = req(d, "production-quality")
    assert r.status == "error"
    assert r.command == "charter run churn"
    assert "no evidence for job 'evaluate'" in r.reason


def test_stale_evidence_is_an_error_saying_what_changed(ready: GovRepo) -> None:
    uc = ready.usecases["churn"]
    uc["jobs"][2]["slices"] = []  # the evaluate job's spec changes → new evidence id
    ready.write_usecase(uc)
    r = req(gate(ready), "production-quality")
    assert r.status == "error" and r.command == "charter run churn"
    assert "stale" in r.reason and "its spec section" in r.reason


def test_repinned_data_makes_evidence_stale(ready: GovRepo) -> None:
    uc = ready.usecases["churn"]
    uc["data"][1]["sha256"] = "0" * 64  # 'recent' re-pinned (the validator would also flag the mismatch)
    ready.write_usecase(uc)
    r = req(gate(ready, valid=False), "production-drift")
    assert r.status == "error" and "data source 'recent' (" in r.reason and "→ 000000000000…)" in r.reason


def test_errored_evidence_is_an_error(ready: GovRepo) -> None:
    ready.record("drift", status="error", reason="the current data file is corrupt")
    r = req(gate(ready), "production-drift")
    assert r.status == "error"
    assert "errored: the current data file is corrupt" in r.reason and r.command == "charter run churn"


def test_a_record_with_unreadable_results_is_an_error(ready: GovRepo) -> None:
    ready.record("drift", results={"unexpected": True})
    r = req(gate(ready), "production-drift")
    assert r.status == "error" and "unreadable results" in r.reason


# --- approvals ------------------------------------------------------------------------------


def test_stale_approval_names_both_hashes(ready: GovRepo) -> None:
    old = ready.review_digest()
    ready.record("drift", results=drift_results(share=0.1), evidence_id=None)
    uc = ready.usecases["churn"]
    uc["jobs"][4]["thresholds"] = {"psi": 0.2}  # a new drift evidence id → a new bundle
    ready.write_usecase(uc)
    ready.record("drift", results=drift_results(share=0.1))
    new = ready.review_digest()
    assert new != old
    r = req(gate(ready), "production-sign-off")
    assert r.status == "fail"
    assert f"it approved review digest {old[:12]} but" in r.reason and f"is {new[:12]}" in r.reason
    assert r.details["rejected"][0]["stale"] is True
    assert r.command == "charter approve churn --stage production --by cleo --role product-manager"


def test_a_rerun_differing_only_in_its_timings_keeps_the_approvals(ready: GovRepo) -> None:
    """A text model's history carries each epoch's seconds and examples per second: a run on another machine
    (or a cluster's worker) gives other timings for the same model; its approvals must stay current."""
    def trained(seconds: float, loss: float) -> dict:
        return {**train_results(), "history": [{"epoch": 1, "seconds": seconds, "examples_per_second": 2025 / seconds,
                                                "train_loss": loss}]}

    ready.record("train", results=trained(20.85, 0.2723))
    ready.reapprove()
    assert req(gate(ready), "production-sign-off").status == "pass"
    ready.record("train", results=trained(20.76, 0.2723), finished="2026-02-02T10:00:00+00:00")
    assert req(gate(ready), "production-sign-off").status == "pass"
    ready.record("train", results=trained(20.76, 0.2801), finished="2026-02-03T10:00:00+00:00")
    r = req(gate(ready), "production-sign-off")
    assert r.status == "fail" and r.details["rejected"][0]["stale"] is True


def test_approval_expired_by_its_own_expiry(gov: GovRepo) -> None:
    gov.record_all()
    uc = gov.usecases["churn"]
    gov.approve(uc, by="cleo", role="product-manager", date=dt.date(2026, 1, 1), expires="2026-02-01")
    r = req(gate(gov), "production-sign-off")
    assert r.status == "fail" and "expired on 2026-02-01 (its expiry 2026-02-01)" in r.reason


def test_approval_expired_by_the_policy_validity(gov: GovRepo) -> None:
    gov.record_all()
    uc = gov.usecases["churn"]
    gov.approve(uc, by="cleo", role="product-manager", date=dt.date(2025, 1, 1))
    r = req(gate(gov), "production-sign-off")
    assert r.status == "fail" and "365-day validity" in r.reason and "expired on 2026-01-01" in r.reason
    assert req(gate(gov, today=dt.date(2025, 12, 31)), "production-sign-off").status == "pass"


def test_approval_by_someone_who_no_longer_holds_the_role(ready: GovRepo) -> None:
    org = copy.deepcopy(ORGANISATION)
    org["people"][3]["roles"] = ["data-scientist"]  # cleo moved on
    ready.write_governance(POLICY, org)
    r = req(gate(ready, valid=False), "production-sign-off")
    assert r.status == "fail" and "'cleo' no longer holds the role 'product-manager'" in r.reason


def test_approvals_count_distinct_people(ready: GovRepo) -> None:
    policy = copy.deepcopy(POLICY)
    policy["riskTiers"][1]["requires"]["production"][0]["count"] = 2
    ready.write_governance(policy, ORGANISATION)
    uc = ready.usecases["churn"]
    ready.approve(uc, by="ben", role="ml-auditor")  # ben twice still counts once
    r = req(gate(ready), "auditor-sign-off")
    assert (r.status, r.candidate, r.threshold) == ("fail", 1, 2)
    ready.approve(uc, by="bea", role="ml-auditor")
    assert req(gate(ready), "auditor-sign-off").status == "pass"


def test_approval_for_another_stage_does_not_count(ready: GovRepo) -> None:
    uc = ready.usecases["churn"]
    uc["approvals"] = [a for a in uc["approvals"] if a["by"] != "cleo"]
    ready.approve(uc, by="cleo", role="product-manager", stage="pilot")
    assert req(gate(ready), "production-sign-off").status == "fail"


# --- waivers, max stage, loosening ----------------------------------------------------------


def waive(g: GovRepo, requirement: str, expires: str, stage: str | None = None) -> None:
    uc = g.usecases["churn"]
    w = {"requirement": requirement, "owner": "cleo", "reason": "Drift expected after the migration.",
         "ticket": "GOV-12", "expires": expires}
    if stage:
        w["stage"] = stage
    uc.setdefault("waivers", []).append(w)
    g.write_usecase(uc)


def test_waived_requirement_is_waived_never_passed(ready: GovRepo) -> None:
    ready.record("drift", results=drift_results(share=0.6))
    waive(ready, "production-drift", "2099-01-01")
    ready.reapprove()  # the approvers reviewed the new drift results
    d = gate(ready)
    r = req(d, "production-drift")
    assert r.status == "waived"
    assert r.waiver == {"requirement": "production-drift", "stage": None, "owner": "cleo",
                        "reason": "Drift expected after the migration.", "ticket": "GOV-12", "expires": "2099-01-01"}
    assert r.details["underlyingStatus"] == "fail"
    assert "waived by cleo until 2099-01-01 (GOV-12" in r.reason
    assert d.passed and d.counts["waived"] == 1 and d.counts["pass"] == 6


def test_waiver_of_a_passing_requirement_is_still_reported_as_waived(ready: GovRepo) -> None:
    waive(ready, "production-drift", "2099-01-01")
    r = req(gate(ready), "production-drift")
    assert r.status == "waived" and "it would pass without it" in r.reason


def test_expired_waiver_does_not_apply_and_is_reported(ready: GovRepo) -> None:
    ready.record("drift", results=drift_results(share=0.6))
    waive(ready, "production-drift", "2026-02-15")
    d = gate(ready)
    r = req(d, "production-drift")
    assert r.status == "fail"
    assert "the waiver GOV-12 expired on 2026-02-15 and no longer applies" in r.reason
    assert r.details["expiredWaivers"][0]["ticket"] == "GOV-12"
    assert any("expired on 2026-02-15" in n for n in d.notes)
    assert not d.passed


def test_waiver_for_another_stage_does_not_apply(ready: GovRepo) -> None:
    ready.record("drift", results=drift_results(share=0.6))
    waive(ready, "production-drift", "2099-01-01", stage="pilot")  # the validator also flags it (CH020)
    assert req(gate(ready, valid=False), "production-drift").status == "fail"


def test_max_stage_of_the_risk_tier_blocks_higher_stages(gov: GovRepo) -> None:
    set_uc(gov, riskTier="prohibited", stage="proposed")
    assert gate(gov).passed
    d = gate(gov, "experimentation")
    r = req(d, "max-stage")
    assert r.status == "fail" and r.origin == "risk-tier:prohibited"
    assert "allows at most stage 'proposed'" in r.reason
    assert not d.passed


def test_loosened_threshold_is_rejected_by_the_validator(gov: GovRepo) -> None:
    add_gate(gov, "production", {"id": "production-quality", "kind": "metric", "metric": "primary", "min": 0.6})
    repo = gov.load(require_valid=False)
    codes = [(d.code, d.path) for d in repo.errors]
    assert ("CH032", "gates.production[id='production-quality']") in codes


def test_loosened_threshold_with_a_waiver_is_accepted_and_waived(ready: GovRepo) -> None:
    add_gate(ready, "production", {"id": "production-quality", "kind": "metric", "metric": "primary", "min": 0.6})
    waive(ready, "production-quality", "2099-01-01")
    d = gate(ready)  # valid: the waiver allows the override
    r = req(d, "production-quality")
    assert r.status == "waived" and r.origin == "use-case"


def test_loosened_override_without_waiver_is_judged_against_the_stricter_requirement(ready: GovRepo) -> None:
    ready.record("evaluate", results=evaluate_results(roc_auc=(0.65, 0.6, 0.7)))
    add_gate(ready, "production", {"id": "production-quality", "kind": "metric", "metric": "primary", "min": 0.6})
    r = req(gate(ready, valid=False), "production-quality")
    assert r.status == "fail" and r.threshold == 0.7
    assert "loosenedOverride" in r.details


def test_use_case_gate_line_points_at_its_entry(ready: GovRepo) -> None:
    d = gate(ready)
    text = (ready.root / "usecases/churn/usecase.yaml").read_text().splitlines()
    r = req(d, "recall-by-region")
    assert r.file == "usecases/churn/usecase.yaml"
    assert "recall-by-region" in text[r.line - 1]
    policy_req = req(d, "production-quality")  # a policy bound on the primary metric points at it
    assert text[policy_req.line - 1].strip().startswith("primaryMetric:")


def test_expired_waiver_of_a_fairness_check_is_reported(ready: GovRepo) -> None:
    ready.record("fairness", results=fairness_results(ratio=(0.7, 0.6, 0.8)))
    set_uc(ready, waivers=[{"requirement": "sex-parity", "owner": "cleo", "reason": "Re-weighting in progress.",
                            "ticket": "RISK-7", "expires": "2026-01-31"}])
    r = req(gate(ready), "production-fairness")
    assert r.status == "fail"
    assert "the waiver RISK-7 expired on 2026-01-31 and no longer applies" in r.reason
