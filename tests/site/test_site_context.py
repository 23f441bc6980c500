"""View-model arithmetic: OKR progress, prioritisation, maturity roll-up, approval and check states."""

from __future__ import annotations

import pytest

from charter.site.context import kr_progress, prioritisation_scores
from charter.site.reference import reference_context
from charter.spec.usecase import UseCase


@pytest.mark.parametrize("baseline, target, current, expected", [
    (0.7, 0.9, 0.8, 0.5),
    (0.7, 0.9, 0.95, 1.0),       # clipped at 1
    (0.7, 0.9, 0.6, 0.0),        # clipped at 0
    (240, 150, 170, 70 / 90),    # lower is better: the target is below the baseline
    (0.031, 0.031, 0.029, None),  # a guardrail held at its baseline has no progress ratio
    (0.7, 0.9, None, None),
])
def test_kr_progress(baseline: float, target: float, current: float | None, expected: float | None) -> None:
    got = kr_progress(baseline, target, current)
    assert got == pytest.approx(expected) if expected is not None else got is None


def test_okrs_use_evidence_where_a_key_result_is_measured(fixture_ctx) -> None:  # type: ignore[no-untyped-def]
    krs = {k["id"]: k for o in fixture_ctx["okrs"]["objectives"] for k in o["key_results"]}
    auc = krs["churn-auc"]
    assert auc["current"] == pytest.approx(0.812) and auc["measured"]["use_case"] == "churn"
    assert auc["progress"] == pytest.approx((0.812 - 0.7) / (0.9 - 0.7))
    assert krs["retention"]["measured"] is None and krs["retention"]["current"] == 83
    obj = fixture_ctx["okrs"]["objectives"][0]
    assert obj["grade"] == pytest.approx((auc["progress"] + 0.75) / 2)
    assert obj["has_ai_proxy"] and obj["has_product"]


def test_prioritisation_follows_the_policy_weights(fixture_repo) -> None:  # type: ignore[no-untyped-def]
    scores = prioritisation_scores(fixture_repo)
    assert set(scores) == {"churn", "xss-probe"}  # 'idea' declares no prioritisation
    w = fixture_repo.policy.prioritisation
    churn = fixture_repo.usecases["churn"].prioritisation
    # churn has the larger yearly value: the top of the 1–5 value scale
    assert scores["churn"]["value_score"] == 5.0 and scores["xss-probe"]["value_score"] == 1.0
    feasibility = (w.data_readiness * churn.data_readiness + w.technical_readiness * churn.technical_readiness
                   + w.risk * (5 - churn.risk)) / (w.data_readiness + w.technical_readiness + w.risk)
    assert scores["churn"]["feasibility"] == pytest.approx(feasibility, abs=1e-3)


def test_maturity_roll_up_and_next_stage(fixture_ctx) -> None:  # type: ignore[no-untyped-def]
    m = fixture_ctx["maturity"]
    assert m["assessed"] == 2 and m["unassessed"] == ["idea"]
    assert m["in_production"] == 0
    assert m["reached"]["id"] == "limited"
    assert m["next"]["id"] == "some" and m["next"]["need_production"] == 1
    dev = next(p for p in m["per_process"] if p["id"] == "development")
    assert dev["mean"] == pytest.approx(1.5) and dev["counts"] == {0: 0, 1: 1, 2: 1, 3: 0}


def test_approvals_waivers_and_checks(fixture_ctx) -> None:  # type: ignore[no-untyped-def]
    churn = next(u for u in fixture_ctx["usecases"] if u["id"] == "churn")
    (approval,) = churn["approvals"]
    # the hand-made pilot decision has no approval requirement: nothing judged this approval
    assert approval["status"] == "unused" and approval["expires"] == "2027-01-10"
    assert approval["reason"] == "no requirement of stage 'pilot' asks for an approval by 'ml-auditor'"
    (waiver,) = churn["waivers"]
    assert waiver["applied"] and not waiver["expired"] and waiver["status"] == "applied"
    checks = {c["id"]: c for c in churn["checks"]}
    assert checks["sex-parity"]["origin"] == "use case" and checks["sex-parity"]["verdict"]["status"] == "fail"
    assert checks["sex-parity"]["verdict"]["stage"] == "production"
    assert checks["policy-demographic-parity-ratio-age-band"]["origin"] == "policy default"
    assert churn["gate"] == {"status": "blocked", "state": "blocked-from-promotion", "label": "blocked from promotion",
                             "text": "blocked from promotion: 3 blocking for Production",
                             "current": churn["gate"]["current"], "next": churn["gate"]["next"]}
    assert churn["state"]["id"] == "blocked-from-promotion"
    assert [p["kind"] for p in churn["evidence_problems"]] == ["stale"]
    assert churn["ledger_problems"][0]["kind"] == "record"


def test_spec_reference_lists_every_field_of_every_document() -> None:
    ref = reference_context()
    documented = {(t["name"], f["key"]) for t in ref["documents"] + ref["types"] for f in t["fields"]}
    for alias in (f.alias or name for name, f in UseCase.model_fields.items()):
        assert ("UseCase", alias) in documented
    assert ("Task", "positiveLabel") in documented and ("Link", "url") in documented
    title = next(f for f in ref["documents"][0]["fields"] if f["key"] == "title")
    assert title["required"] and title["type"] == "`string`"


def test_recent_changes_read_the_current_ledger_schema(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The ledger's run payloads are snake_case (schema 2): each change names its use case."""
    from types import SimpleNamespace

    from charter.engine.ledger import Ledger
    from charter.gates.model import GateDecision
    from charter.site.context import EngineEvidence

    ledger = Ledger(tmp_path)
    ledger.append_run(use_case="churn", job="train", runner="sklearn-train", evidence_id="e" * 64, status="pass",
                      reason=None, record_sha256="0" * 64, duration_s=1.0)
    ledger.append_decision(GateDecision(use_case="churn", stage="staging", passed=False, requirements=[],
                                        evidence_hash="1" * 64, decided_on="2026-02-20"))
    changes = EngineEvidence(SimpleNamespace(root=tmp_path)).recent_changes()
    assert [(c.kind, c.use_case, c.what, c.status) for c in sorted(changes, key=lambda c: c.kind)] == [
        ("decision", "churn", "staging", "blocked"), ("run", "churn", "train", "pass")]


# --- verdict cells come from the decisions, with the rule that decided them ------------------------------


def _churn(ctx):  # type: ignore[no-untyped-def]
    return next(u for u in ctx["usecases"] if u["id"] == "churn")


def test_a_check_failing_on_its_interval_bound_under_the_tier_says_so(fixture_ctx) -> None:  # type: ignore[no-untyped-def]
    checks = {c["id"]: c for c in _churn(fixture_ctx)["checks"]}
    c = checks["sex-parity"]
    # the point estimate 0.872 is within min 0.8: the site must not call it "within limit"
    assert c["value"]["value"] == pytest.approx(0.872) and c["verdict"]["status"] == "fail"
    assert c["verdict"]["source"] == "risk-tier:high" and c["verdict"]["basis"] == "lower bound of the 95 % interval"
    assert "lower bound 0.790" in c["verdict"]["text"]
    # a check no decision judged has no verdict of the site's own
    assert all(c["verdict"] is None or c["verdicts"] for c in checks.values())


def test_the_use_case_page_shows_the_deciding_rule_and_never_its_own_verdict(built_site) -> None:  # type: ignore[no-untyped-def]
    page = (built_site.site_dir / "usecases" / "churn" / "index.html").read_text()
    assert "the high risk tier judges the interval bound" in page
    assert "within limit" not in page and "outside limit" not in page
    # one of two features drifted (the job's own flag is down): never "no drift" beside it
    assert "no drift" not in page and "1 of 2 features drifted" in page
    # the waived drift requirement whose underlying status is an error says so
    assert "waived (underlying error)" in page
    assert "waiver RISK-12 by cleo until 2027-06-30 turns an error into waived" in page
    assert "rule: waiver &#39;RISK-12&#39; · waiver" in page and "rule: risk-tier:high · lower bound" in page


def test_values_no_decision_judged_say_not_gated(fixture_ctx) -> None:  # type: ignore[no-untyped-def]
    churn = _churn(fixture_ctx)
    rows = {m["name"]: m for e in churn["evaluation"] for m in e["result"]["metrics"]}
    assert rows["roc_auc"]["verdict"]["status"] == "pass" and rows["roc_auc"]["verdict"]["stage"] == "production"
    unjudged = [m for m in rows.values() if m["name"] != "roc_auc"]
    assert unjudged and all(m["verdict"] is None for m in unjudged)
    from charter.site.snippets import verdicts

    assert "not gated" in verdicts([])
