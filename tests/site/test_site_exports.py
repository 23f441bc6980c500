"""The per-use-case JSON export (charter.site/v2): everything the system card and the audit report show,
each value once."""

from __future__ import annotations

import json
from typing import Any

from charter.site.exports import SCHEMA, usecase_json


def _export(ctx: Any, uc_id: str) -> dict[str, Any]:
    uc = next(u for u in ctx["usecases"] if u["id"] == uc_id)
    data = json.loads(usecase_json(ctx["as_of"], uc))
    assert data["schema"] == SCHEMA == "charter.site/v2"
    return data["useCase"]  # type: ignore[no-any-return]


def test_results_name_their_job_whose_record_is_in_evidence(fixture_ctx) -> None:  # type: ignore[no-untyped-def]
    uc = next(u for u in fixture_ctx["usecases"] if u["id"] == "churn")
    data = _export(fixture_ctx, "churn")
    evidence = {e["job"]: e for e in data["evidence"]}
    for kind, view in (("training", "training"), ("evaluation", "evaluation"), ("fairness", "fairness"),
                       ("drift", "drift"), ("dataContracts", "contracts")):
        for exported, shown in zip(data[kind], uc[view], strict=True):
            assert set(exported) == {"job", "result"}
            assert evidence[exported["job"]]["id"] == shown["id"]
            assert evidence[exported["job"]]["freshness"] == shown["freshness"]


def test_fairness_values_appear_once_and_none_the_page_shows_is_lost(  # type: ignore[no-untyped-def]
        fixture_ctx) -> None:
    uc = next(u for u in fixture_ctx["usecases"] if u["id"] == "churn")
    data = _export(fixture_ctx, "churn")
    (shown,) = uc["fairness"]
    (exported,) = data["fairness"]
    checks = {c["id"]: c for c in data["fairnessChecks"]}
    for sb, eb in zip(shown["result"]["blocks"], exported["result"]["blocks"], strict=True):
        assert "metrics" not in eb and "small" not in eb and "label" not in eb
        for sg, eg in zip(sb["groups"], eb["groups"], strict=True):
            assert "metrics" not in eg
            # every value the group table shows: the rate, its interval (the page reads rates, then metrics)
            for m in (x["name"] for x in sb["metrics"]):
                assert sg["metrics"][m] == sg["rates"][m]["value"]
                assert eg["rates"][m]["value"] == sg["rates"][m]["value"]
                if sg["rates"][m]["low"] is not None:
                    assert (eg["rates"][m]["low"], eg["rates"][m]["high"]) == (sg["rates"][m]["low"],
                                                                               sg["rates"][m]["high"])
            assert eg.get("confusion") == sg["confusion"] and eg["n"] == sg["n"]
            assert eg.get("small", False) == sg["small"]
        assert [d["name"] for d in eb["disparities"]] == [d["name"] for d in sb["disparities"]]
        for sv, ev in zip(sb["views"], eb["views"], strict=True):
            judged = {checks[c]["metric"] for c in sv["checks"]}
            assert set(ev.get("disparities", {})) == judged & set(sv["disparities"])
            for c in sv["checks"]:  # the value the check table shows is the judged view's
                assert checks[c]["value"]["value"] == sv["disparities"][checks[c]["metric"]]["value"]
            left_out = {x["group"] for x in sv["excluded"]}
            assert ev.get("included", [g["label"] for g in sb["groups"] if g["label"] not in left_out]) \
                == sv["included"]


def test_verdicts_once_and_defaults_left_out(fixture_ctx) -> None:  # type: ignore[no-untyped-def]
    data = _export(fixture_ctx, "churn")
    metrics = data["evaluation"][0]["result"]["metrics"]
    assert all("verdict" not in m for m in metrics)
    assert [m["name"] for m in metrics if m.get("primary")] == ["roc_auc"]
    assert metrics[0]["verdicts"][0]["text"]  # the rule's sentence stays
    text = json.dumps(data)
    for flag in ("primary", "small", "drifted", "intersection", "useInterval", "include_small_groups"):
        assert f'"{flag}": false' not in text
    assert all("evidenceHash" not in d for d in data["decisions"])  # the use case's, given once
    assert len(data["evidenceHash"]) == 64
    assert {"gitCommit", "recordSha256", "id"} <= set(data["evidence"][0])
