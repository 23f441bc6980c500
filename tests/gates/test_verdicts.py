"""Three-outcome verdicts: pass, fail, inconclusive; fail closed by default; Benjamini–Hochberg; reference groups."""

from __future__ import annotations

import copy
import json
from typing import Any

import numpy as np
import pytest
from statsmodels.stats.multitest import multipletests
from support import ORGANISATION, POLICY, TODAY, GovRepo, est, evaluate_results
from test_decide import gate, req, set_uc

from charter.assessment import portfolio_state
from charter.gates import decide
from charter.jobs.fairness import _result
from charter.kinds.requirements.base import INCONCLUSIVE_INTERVAL
from charter.kinds.runners.fairness import judged_views
from charter.metrics import fairness_report
from charter.metrics.multiple import violation_p_value
from charter.report import gates as report


def fail_closed_policy(g: GovRepo, **verdicts: Any) -> None:
    """The fixture's policy with the default verdict settings (or the given ones)."""
    policy = copy.deepcopy(POLICY)
    policy.pop("verdicts", None)
    if verdicts:
        policy["verdicts"] = verdicts
    g.write_governance(policy, ORGANISATION)


def test_a_straddling_interval_is_inconclusive_and_fails_closed(ready: GovRepo) -> None:
    fail_closed_policy(ready)
    ready.record("evaluate", results=evaluate_results(roc_auc=(0.72, 0.66, 0.78)))
    d = gate(ready)
    r = req(d, "production-quality")
    assert r.status == "inconclusive"
    assert not d.passed and d.counts["inconclusive"] == 1 and d.blocking >= 1
    assert r.rule is not None and r.rule["basis"] == INCONCLUSIVE_INTERVAL and r.rule["source"] == "policy"
    assert (r.rule["comparator"], r.rule["limit"]) == (">=", 0.7)
    # n 60, half-width 0.06 on the limit's side, gap 0.02: 60 × ((0.06 / 0.02)² − 1) more rows
    assert r.details["rowsToDecide"] == 480
    assert "about 480 more rows would decide at the current effect size (approximate)" in r.reason
    assert "straddles the limit ≥ 0.7" in r.reason
    # the portfolio counts it as blocking, like a fail
    uc = ready.load().usecases["churn"]
    state, text = portfolio_state(ready.load().policy, uc, d, None, None)
    assert state == "out-of-compliance" and "blocking" in text


def test_every_reporter_renders_inconclusive_distinctly(ready: GovRepo) -> None:
    fail_closed_policy(ready)
    ready.record("evaluate", results=evaluate_results(roc_auc=(0.72, 0.66, 0.78)))
    d = gate(ready)
    text = report.format_text([d])
    line = next(x for x in text.splitlines() if "production-quality" in x)
    assert "? production-quality" in line and "inconclusive:" in line
    assert "decide: about 480 more rows would decide" in text
    assert "inconclusive" in report.summary_line([d])
    gh = [x for x in report.format_github([d]).splitlines() if "production-quality" in x]
    assert gh and gh[0].startswith("::error ") and "(inconclusive)" in gh[0]
    assert "::inconclusive (fails closed)%3A " in gh[0] or "::inconclusive (fails closed): " in gh[0]
    payload = json.loads(report.format_json([d]))
    assert payload["totals"]["inconclusive"] == 1
    assert next(r for r in payload["decisions"][0]["requirements"] if r["id"] == "production-quality")[
        "status"] == "inconclusive"
    assert report.parse_json(report.format_json([d]))[0].counts == d.counts
    junit = report.format_junit([d])
    assert 'type="inconclusive"' in junit
    md = report.format_markdown([d])
    assert "❔" in md and "Inconclusive" in md


def test_the_policy_may_let_the_point_estimate_decide(ready: GovRepo) -> None:
    fail_closed_policy(ready, inconclusive="decide")
    ready.record("evaluate", results=evaluate_results(roc_auc=(0.72, 0.66, 0.78)))
    r = req(gate(ready), "production-quality")
    assert r.status == "pass"
    assert r.details["inconclusive"] is True and r.details["verdict"] == "inconclusive"
    assert r.rule is not None and r.rule["basis"] == "point estimate"
    assert "straddles 0.7: inconclusive, and the policy lets the point estimate decide" in r.rule["text"]


def test_a_requirement_chooses_its_own_handling(ready: GovRepo) -> None:
    fail_closed_policy(ready, inconclusive="decide")
    set_uc(ready, gates={"production": [
        {"id": "recall-by-region", "kind": "metric", "metric": "recall", "slice": "region=*", "min": 0.5,
         "inconclusive": "fail-closed"}]})
    results = evaluate_results()
    results["slices"]["region"]["south"]["metrics"]["recall"] = est(0.55, 0.45, 0.65)
    results["slices"]["region"]["north"]["metrics"]["recall"] = est(0.7, 0.6, 0.8)
    ready.record("evaluate", results=results)
    r = req(gate(ready), "recall-by-region")
    assert r.status == "inconclusive"
    assert r.rule is not None and r.rule["source"] == "use-case"
    south = next(p for p in r.details["parts"] if p["label"] == "region=south")
    assert south["status"] == "inconclusive" and south["rowsToDecide"] == 20 * 3  # (0.1 / 0.05)² − 1 = 3


def test_decisive_intervals_pass_and_fail_whatever_the_handling(ready: GovRepo) -> None:
    fail_closed_policy(ready)
    ready.record("evaluate", results=evaluate_results(roc_auc=(0.82, 0.78, 0.86)))
    r = req(gate(ready), "production-quality")
    assert r.status == "pass" and "lies wholly within the limit" in r.rule["text"]
    ready.record("evaluate", results=evaluate_results(roc_auc=(0.62, 0.58, 0.66)))
    r = req(gate(ready), "production-quality")
    assert r.status == "fail" and "lies wholly beyond the limit" in r.rule["text"]


def test_inconclusive_can_be_waived(ready: GovRepo) -> None:
    fail_closed_policy(ready)
    ready.record("evaluate", results=evaluate_results(roc_auc=(0.72, 0.66, 0.78)))
    uc = ready.usecases["churn"]
    uc["waivers"] = [{"requirement": "production-quality", "owner": "ben", "reason": "More data is being labelled.",
                      "ticket": "MR-1", "expires": "2026-04-01", "date": "2026-02-20"}]
    ready.write_usecase(uc)
    r = req(gate(ready), "production-quality")
    assert r.status == "waived" and r.details["underlyingStatus"] == "inconclusive"
    assert "without it the requirement would be inconclusive" in r.reason


def test_benjamini_hochberg_over_slices_matches_statsmodels(ready: GovRepo) -> None:
    fail_closed_policy(ready)
    set_uc(ready, gates={"production": [
        {"id": "recall-by-region", "kind": "metric", "metric": "recall", "slice": "region=*", "min": 0.5,
         "multipleComparisons": "benjamini-hochberg", "fdr": 0.01}]})
    results = evaluate_results()
    slices = results["slices"]["region"]
    slices["north"]["metrics"]["recall"] = est(0.3, 0.2, 0.4)  # raw p ~ 4e-5: a discovery
    slices["south"]["metrics"]["recall"] = est(0.46, 0.41, 0.499)  # interval excludes 0.5, raw p ~ 0.022 > q
    ready.record("evaluate", results=results)
    r = req(gate(ready), "recall-by-region")
    parts = {p["label"]: p for p in r.details["parts"]}
    raw = [violation_p_value(0.3, 0.2, 0.4, ">=", 0.5, 0.95), violation_p_value(0.46, 0.41, 0.499, ">=", 0.5, 0.95)]
    adjusted = multipletests(raw, alpha=0.01, method="fdr_bh")[1]
    assert parts["region=north"]["pValue"] == pytest.approx(raw[0])
    assert parts["region=south"]["pValue"] == pytest.approx(raw[1])
    assert parts["region=north"]["adjustedPValue"] == pytest.approx(adjusted[0])
    assert parts["region=south"]["adjustedPValue"] == pytest.approx(adjusted[1])
    assert parts["region=north"]["status"] == "fail"
    assert parts["region=south"]["status"] == "inconclusive" and parts["region=south"]["notDiscovery"] is True
    assert "not a discovery" in parts["region=south"]["rule"]["text"]
    mc = r.details["multipleComparisons"]
    assert (mc["method"], mc["q"], mc["comparisons"], mc["source"]) == ("benjamini-hochberg", 0.01, 2, "use-case")
    assert [x["adjusted"] for x in mc["pValues"]] == pytest.approx(adjusted.tolist())
    # without the correction both slices fail (each interval excludes the limit)
    set_uc(ready, gates={"production": [
        {"id": "recall-by-region", "kind": "metric", "metric": "recall", "slice": "region=*", "min": 0.5}]})
    ready.record("evaluate", results=results)
    r = req(gate(ready), "recall-by-region")
    assert [p["status"] for p in r.details["parts"]] == ["fail", "fail"]
    assert "multipleComparisons" not in r.details


# --- fairness: small groups and reference groups -------------------------------------------


def _measured(g: GovRepo, sex: np.ndarray, y_pred: np.ndarray, n_boot: int = 0) -> dict[str, Any]:
    """The fairness job's result for the fixture's use case, computed as the job computes it."""
    repo = g.load()
    uc = repo.usecases["churn"]
    views: dict[str, list[dict[str, Any]]] = {}
    for v in judged_views(repo.policy, uc, ["sex"]):
        views.setdefault("sex", []).append({k: v[k] for k in ("min_group_size", "include_small_groups",
                                                              "reference_group")})
    y_true = np.ones(len(sex), dtype=int)
    report_ = fairness_report(y_true, y_pred, {"sex": sex}, task="binary", pos_label=1, min_group_size=30,
                              n_boot=n_boot, views=views)
    return _result("binary-classification", "job:train", 30, report_).model_dump(mode="json")


def _groups(spec: dict[str, tuple[int, int]]) -> tuple[np.ndarray, np.ndarray]:
    sex, pred = [], []
    for label, (n, k) in spec.items():
        sex += [label] * n
        pred += [1] * k + [0] * (n - k)
    return np.array(sex, dtype=object), np.array(pred)


def _check(**extra: Any) -> dict[str, Any]:
    return {"id": "sex-parity", "sensitiveAttributes": ["sex"], "metric": "demographic_parity_difference",
            "max": 0.1, "affectedGroups": "Women and men.", "rationale": "Ten points at most.", **extra}


def test_small_groups_are_left_out_of_the_disparity_judged(ready: GovRepo) -> None:
    fail_closed_policy(ready, inconclusive="decide")
    set_uc(ready, fairness=[_check()])
    sex, pred = _groups({"female": (400, 200), "male": (400, 210), "other": (12, 12)})
    ready.record("fairness", results=_measured(ready, sex, pred))
    r = req(gate(ready), "production-fairness")
    part = r.details["parts"][0]
    assert part["excludedGroups"] == [{"group": "other", "n": 12,
                                       "reason": "12 rows, below the minimum group size 30"}]
    assert part["estimate"] == pytest.approx(0.525 - 0.5)  # 'other' (selection rate 1) is not compared
    assert r.status == "pass" and "excluded as below 30: other (n=12)" in r.reason
    # the check may include them: then 'other' drives the gap
    set_uc(ready, fairness=[_check(includeSmallGroups=True)])
    ready.record("fairness", results=_measured(ready, sex, pred))
    r = req(gate(ready), "production-fairness")
    part = r.details["parts"][0]
    assert part["excludedGroups"] == [] and part["estimate"] == pytest.approx(1 - 0.5)
    assert r.status == "fail"


def test_a_check_may_lower_its_minimum_group_size(ready: GovRepo) -> None:
    set_uc(ready, fairness=[_check(minGroupSize=10)])
    sex, pred = _groups({"female": (400, 200), "male": (400, 210), "other": (12, 12)})
    ready.record("fairness", results=_measured(ready, sex, pred))
    part = req(gate(ready), "production-fairness").details["parts"][0]
    assert part["minGroupSize"] == 10 and part["excludedGroups"] == []


def test_each_group_is_judged_against_the_reference_group(ready: GovRepo) -> None:
    fail_closed_policy(ready, inconclusive="decide")
    set_uc(ready, fairness=[_check(referenceGroup="male")])
    sex, pred = _groups({"female": (400, 160), "male": (400, 200), "x": (300, 150)})
    ready.record("fairness", results=_measured(ready, sex, pred, n_boot=10))
    r = req(gate(ready), "production-fairness")
    parts = {p["label"]: p for p in r.details["parts"] if p["label"].startswith("sex-parity")}
    assert set(parts) == {"sex-parity", "sex-parity: female vs male", "sex-parity: x vs male"}
    assert parts["sex-parity: female vs male"]["estimate"] == pytest.approx(0.1)  # |0.4 − 0.5|
    assert parts["sex-parity: x vs male"]["estimate"] == pytest.approx(0.0)
    assert parts["sex-parity: x vs male"]["status"] == "pass"
    assert parts["sex-parity: female vs male"]["reference"] == "male"
    # a waiver of the check covers its reference comparisons too
    assert all(p["rule"] is not None for p in parts.values())


def test_a_missing_reference_group_is_an_error_and_a_small_one_inconclusive(ready: GovRepo) -> None:
    set_uc(ready, fairness=[_check(referenceGroup="nobody")])
    sex, pred = _groups({"female": (400, 160), "male": (400, 200)})
    ready.record("fairness", results=_measured(ready, sex, pred))
    parts = {p["label"]: p for p in req(gate(ready), "production-fairness").details["parts"]}
    assert parts["sex-parity vs reference"]["status"] == "error"
    assert "no group 'nobody'" in parts["sex-parity vs reference"]["reason"]
    set_uc(ready, fairness=[_check(referenceGroup="tiny")])
    sex, pred = _groups({"female": (400, 160), "male": (400, 200), "tiny": (5, 2)})
    ready.record("fairness", results=_measured(ready, sex, pred))
    parts = {p["label"]: p for p in req(gate(ready), "production-fairness").details["parts"]}
    assert parts["sex-parity vs reference"]["status"] == "inconclusive"


def test_benjamini_hochberg_over_reference_comparisons(ready: GovRepo) -> None:
    fail_closed_policy(ready, multipleComparisons="benjamini-hochberg", fdr=0.05)
    set_uc(ready, fairness=[_check(referenceGroup="male")])
    sex, pred = _groups({"female": (400, 120), "male": (400, 200), "x": (300, 150), "y": (300, 120)})
    ready.record("fairness", results=_measured(ready, sex, pred, n_boot=10))
    r = req(gate(ready), "production-fairness")
    parts = [p for p in r.details["parts"] if "pValue" in p]
    raw = [p["pValue"] for p in parts]
    adjusted = multipletests(raw, method="fdr_bh")[1]
    assert [p["adjustedPValue"] for p in parts] == pytest.approx(adjusted.tolist())
    # the check's max−min, its three groups against the reference, and the policy's default check
    assert r.details["multipleComparisons"]["comparisons"] == len(parts) == 5
    assert r.details["multipleComparisons"]["source"] == "policy"


def test_fewer_than_two_groups_is_inconclusive_with_the_rows_needed(ready: GovRepo) -> None:
    set_uc(ready, fairness=[_check()])
    sex, pred = _groups({"female": (400, 160), "male": (12, 6)})
    ready.record("fairness", results=_measured(ready, sex, pred))
    r = req(gate(ready), "production-fairness")
    assert r.status == "inconclusive"
    assert r.details["parts"][0]["rowsToDecide"] == 18
    assert "about 18 more rows of group male would decide" in r.reason


def test_show_lists_inconclusive_requirements(ready: GovRepo) -> None:
    from charter.cli.show import collect, format_text

    fail_closed_policy(ready)
    ready.record("evaluate", results=evaluate_results(roc_auc=(0.72, 0.66, 0.78)))
    view = collect(ready.load(), "churn", ready.store, TODAY)
    text = format_text(view)
    assert "inconclusive (fails closed): production-quality: " in text
    assert any(g.counts.get("inconclusive") for g in view.gates)


def test_decisions_without_a_policy_verdicts_block_use_the_defaults(ready: GovRepo) -> None:
    fail_closed_policy(ready)
    repo = ready.load()
    assert repo.policy.verdicts.inconclusive == "fail-closed"
    assert repo.policy.verdicts.multiple_comparisons == "none"
    d = decide(repo, ready.store, "churn", None, TODAY)
    assert all(r.status != "inconclusive" for r in d.requirements if r.kind not in ("metric", "fairness"))


def test_the_site_shows_group_rates_the_reference_table_and_inconclusive(ready: GovRepo, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from charter.site.build import build_site

    fail_closed_policy(ready)
    set_uc(ready, fairness=[_check(referenceGroup="male")])
    sex, pred = _groups({"female": (400, 160), "male": (400, 200), "<b>x</b>": (300, 150), "tiny": (9, 3)})
    ready.record("fairness", results=_measured(ready, sex, pred, n_boot=10))
    ready.record("evaluate", results=evaluate_results(roc_auc=(0.72, 0.66, 0.78)))
    report_ = build_site(ready.root, out=tmp_path / "site", as_of=TODAY)
    assert report_.ok, report_.errors
    page = next((tmp_path / "site").rglob("churn/index.html")).read_text(encoding="utf-8")
    assert "Against the reference group male" in page
    assert "ch-inconclusive" in page  # the inconclusive verdict has its own badge
    assert "Left out of the disparities" in page and "tiny (9 rows, below the minimum group size 30)" in page
    assert "&lt;b&gt;x&lt;/b&gt;" in page and "<b>x</b>" not in page
    # a group's rate with its Wilson interval: female 160 / 400
    from statsmodels.stats.proportion import proportion_confint

    lo, hi = proportion_confint(160, 400, method="wilson")
    assert f"0.4 <small>[{lo:.3f}, {hi:.3f}]</small>" in page or f"[{lo:.3g}, {hi:.3g}]" in page


def test_an_override_that_lets_the_basis_decide_is_a_loosening() -> None:
    from charter.kinds import requirements as kinds
    from charter.kinds.requirements.metric import MetricRequirement

    base = MetricRequirement(id="q", kind="metric", metric="roc_auc", min=0.7, inconclusive="fail-closed")
    override = MetricRequirement(id="q", kind="metric", metric="roc_auc", min=0.7, inconclusive="decide")
    assert "inconclusive: decide" in (kinds.loosening(base, override) or "")
    assert kinds.loosening(override, base) is None
