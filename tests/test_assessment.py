"""One assessment per use case, rendered by the site, `charter gate` and `charter show` without re-judging.

The example repository is the fixture: its site context is built through the
engine and every verdict, status and count on it is compared with the
assessments made here independently. The gates' own fixture repository covers
the statuses the example does not show (stale, expired, rejected, unused).
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from charter.assessment import STATES, Assessment, assess, count_states, states_line
from charter.cli.main import main
from charter.engine.store import EvidenceStore
from charter.loading.loader import load_repository

ROOT = Path(__file__).resolve().parents[1]
AS_OF = dt.date(2026, 12, 1)
"""A fixed day within every example approval's and waiver's validity."""

sys.path.insert(0, str(ROOT / "tests" / "gates"))
from support import USECASE, GovRepo  # noqa: E402


@pytest.fixture(scope="module")
def example() -> Any:
    repo = load_repository(ROOT)
    assert repo.ok
    return repo


@pytest.fixture(scope="module")
def assessments(example: Any) -> dict[str, Assessment]:
    store = EvidenceStore(ROOT)
    return {uc_id: assess(example, store, uc_id, AS_OF) for uc_id in sorted(example.usecases)}


@pytest.fixture(scope="module")
def site_ctx(example: Any) -> dict[str, Any]:
    from charter.site.context import build_context, gather

    return build_context(gather(example, as_of=AS_OF, verify_ledger=False))


# --- the assessment itself ----------------------------------------------------------------


def test_an_assessment_is_immutable(assessments: dict[str, Assessment]) -> None:
    a = assessments["credit-default-risk"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.state = "compliant"  # type: ignore[misc]
    assert isinstance(a.jobs, tuple) and isinstance(a.approvals, tuple) and isinstance(a.waivers, tuple)


def test_the_example_portfolio_states(assessments: dict[str, Assessment]) -> None:
    states = {uc: a.state for uc, a in assessments.items()}
    assert states["emotion-recognition-interviews"] == "prohibited"
    assert states["vendor-fraud-score-audit"] == "out-of-compliance"  # a production system failing production
    assert states["credit-default-risk"] == "compliant"  # production, no further stage
    assert states["customer-churn-retention"] == "compliant"  # retired: terminal
    assert states["branch-cash-demand"] == "blocked-from-promotion"
    assert assessments["emotion-recognition-interviews"].current.passed  # type: ignore[union-attr]
    assert assessments["emotion-recognition-interviews"].prohibited


def test_waivers_on_fairness_checks_are_applied_as_the_gate_applied_them(assessments: dict[str, Assessment]) -> None:
    a = assessments["credit-default-risk"]
    by_requirement = {w.waiver.requirement: w for w in a.waivers}
    for check in ("age-decline-parity", "age-error-parity"):
        assert by_requirement[check].status == "applied", by_requirement[check].reason
        assert by_requirement[check].stages == ("production",)
    applied = {w["requirement"] for w in a.current.applied_waivers}  # type: ignore[union-attr]
    assert applied == {"age-decline-parity", "age-error-parity"}


def test_job_freshness_comes_from_the_gates_evidence_look_up(assessments: dict[str, Assessment]) -> None:
    from charter.gates.evidence import JobEvidence

    for a in assessments.values():
        for j in a.jobs:
            assert isinstance(j, JobEvidence)
            assert j.freshness in ("fresh", "stale", "missing")
            assert (j.problem() is None) == j.usable
            if j.shown is not None:
                assert j.record_sha256 is not None and len(j.record_sha256) == 64


# --- every view renders the same assessment -------------------------------------------------


def test_the_site_context_shows_every_verdict_and_count_of_the_assessments(
        site_ctx: dict[str, Any], assessments: dict[str, Assessment]) -> None:
    views = {u["id"]: u for u in site_ctx["usecases"]}
    assert set(views) == set(assessments)
    for uc_id, a in assessments.items():
        v = views[uc_id]
        assert v["state"] == {"id": a.state, "label": a.state_label, "text": a.state_text}, uc_id
        assert v["gate"]["state"] == a.state and a.state_text in v["gate"]["text"]
        assert v["evidence_hash"] == a.evidence_hash
        assert [(d["stage"]["id"], d["passed"], d["counts"]) for d in v["decisions"]] == \
            [(d.stage, d.passed, d.counts) for d in a.decisions], uc_id
        for dv, d in zip(v["decisions"], a.decisions):
            assert [(r["id"], r["status"], r["reason"]) for r in dv["requirements"]] == \
                [(r.id, r.status, r.reason) for r in d.requirements]
        assert [(x["status"], x["expires"]) for x in v["approvals"]] == \
            [(x.status, x.expires.isoformat()) for x in a.approvals], uc_id
        assert [(x["requirement"], x["status"], x["applied"], x["expired"]) for x in v["waivers"]] == \
            [(x.waiver.requirement, x.status, x.applied, x.expired) for x in a.waivers], uc_id
        assert [(j["job"], j["freshness"], j["planned_id"], j["changed"]) for j in v["jobs"]] == \
            [(j.job, j.freshness, j.planned_id, list(j.changed)) for j in a.jobs], uc_id
    portfolio = site_ctx["portfolio"]
    expected = dict(count_states(a.state for a in assessments.values()))
    assert portfolio["state_counts"] == expected
    assert [(s["id"], s["count"]) for s in portfolio["states"]] == list(expected.items())
    assert [u["id"] for u in portfolio["out_of_compliance"]] == \
        sorted((uc for uc, a in assessments.items() if a.state == "out-of-compliance"),
               key=lambda uc: (assessments[uc].stage != "production", uc))


def test_the_credit_waivers_read_applied_on_the_site(site_ctx: dict[str, Any]) -> None:
    credit = next(u for u in site_ctx["usecases"] if u["id"] == "credit-default-risk")
    statuses = {w["requirement"]: (w["status"], w["applied"]) for w in credit["waivers"]}
    assert statuses == {"age-decline-parity": ("applied", True), "age-error-parity": ("applied", True)}


def test_the_home_page_leads_with_production_systems_out_of_compliance(site_ctx: dict[str, Any]) -> None:
    from charter.site.pages import render_global

    home = next(p for p in render_global(site_ctx).pages if p.path == "index.md").text
    body = home.split("# ", 1)[1]
    alert = body.index('id="out-of-compliance"')
    assert alert < body.index("ch-kpis") and alert < body.index("## ")
    assert "vendor-fraud-score-audit" in body[alert:body.index("ch-kpis")]
    for state, label in STATES:
        n = site_ctx["portfolio"]["state_counts"][state]
        assert f'<div id="state-{state}"><strong>{n}</strong><span>{label}</span></div>' in home
    assert "blocked or failing" not in home


def test_gate_and_show_print_the_same_states_and_numbers(assessments: dict[str, Assessment], capsys) -> None:
    code = main(["gate", "--repo", str(ROOT), "--on", AS_OF.isoformat(), "--no-fail"])
    out = capsys.readouterr().out
    assert code == 0
    assert f"portfolio: {states_line(a.state for a in assessments.values())}" in out
    for a in assessments.values():
        assert f"  state: {a.state_label}: {a.state_text}" in out
    assert "emotion-recognition-interviews → proposed (risk tier prohibited): PROHIBITED" in out

    from charter.cli.show import collect

    for uc_id, a in assessments.items():
        view = collect(load_repository(ROOT), uc_id, today=AS_OF)
        assert view.portfolio_state is not None
        assert view.portfolio_state.state == a.state and view.portfolio_state.text == a.state_text
        assert [(g.stage, g.passed, g.counts) for g in view.gates] == [(d.stage, d.passed, d.counts) for d in a.decisions]
        assert [j.state for j in view.jobs] == [j.freshness for j in a.jobs]
        assert view.complete == a.complete
        json.dumps(view.model_dump(mode="json"))


# --- statuses the example does not show ------------------------------------------------------


@pytest.fixture
def ready(tmp_path: Path) -> GovRepo:
    g = GovRepo(tmp_path / "repo", copy.deepcopy(USECASE))
    g.record_all()
    return g


ON = dt.date(2026, 3, 1)


def test_approval_statuses_come_from_the_approval_judge(ready: GovRepo) -> None:
    uc = ready.usecases["churn"]
    ready.approve(uc, by="cleo", role="product-manager")  # valid on the current evidence
    uc["approvals"].append({"stage": "production", "by": "ben", "role": "ml-auditor", "date": "2026-02-01",
                            "evidence": "b" * 64})  # signed other evidence
    uc["approvals"].append({"stage": "production", "by": "cleo", "role": "ml-auditor", "date": "2026-02-02",
                            "evidence": ready.review_digest()})  # cleo does not hold the role
    uc["approvals"].append({"stage": "pilot", "by": "ben", "role": "ml-auditor", "date": "2024-01-01",
                            "evidence": "c" * 64})  # another stage: nothing asks for it
    uc["approvals"].append({"stage": "production", "by": "ben", "role": "ml-auditor", "date": "2024-06-01",
                            "evidence": ready.review_digest()})  # older than the policy's validity
    ready.write_usecase(uc)
    a = assess(ready.load(require_valid=False), ready.store, "churn", ON)
    statuses = {(x.approval.by, x.approval.role, x.approval.stage): (x.status, x.reason) for x in a.approvals}
    assert statuses[("cleo", "product-manager", "production")][0] == "valid"
    assert statuses[("ben", "ml-auditor", "production")][0] == "stale"
    assert statuses[("cleo", "ml-auditor", "production")] == ("rejected", "'cleo' no longer holds the role "
                                                                         "'ml-auditor'")
    expired = next(x for x in a.approvals if x.approval.date == dt.date(2024, 6, 1))
    assert expired.status == "expired" and expired.expires == dt.date(2025, 6, 1)
    status, reason = statuses[("ben", "ml-auditor", "pilot")]
    assert status == "unused" and reason.startswith("given for stage 'pilot'")
    assert a.state == "out-of-compliance"  # the auditor's sign-off is missing


def test_waiver_statuses_applied_expired_unused(ready: GovRepo) -> None:
    uc = ready.usecases["churn"]
    uc["waivers"] = [
        {"requirement": "production-drift", "owner": "cleo", "reason": "Migration.", "ticket": "GOV-1",
         "expires": "2099-01-01"},
        {"requirement": "production-fairness", "owner": "cleo", "reason": "Old.", "ticket": "GOV-2",
         "expires": "2026-01-01"},
        {"requirement": "no-such-requirement", "owner": "cleo", "reason": "Typo.", "ticket": "GOV-3",
         "expires": "2099-01-01"},
    ]
    ready.write_usecase(uc)
    repo = ready.load(require_valid=False)
    a = assess(repo, ready.store, "churn", ON)
    statuses = {x.waiver.ticket: x.status for x in a.waivers}
    assert statuses == {"GOV-1": "applied", "GOV-2": "expired", "GOV-3": "unused"}
