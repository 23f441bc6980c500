"""The ranking-evaluate runner end to end: bad input with file and line, evidence, gates on its metrics."""

from __future__ import annotations

import copy
import datetime as dt

import numpy as np
import pandas as pd
import pytest
import repo_builder as rb

from charter.engine.executor import run
from charter.engine.store import EvidenceStore
from charter.gates import decide

TODAY = dt.date(2026, 12, 1)


def _frame(nq: int = 80, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for qi in range(nq):
        n = int(rng.integers(8, 16))
        for j in range(n):
            grade = int(rng.integers(0, 3)) if j else 2
            group = "broker" if j % 4 == 0 else "direct"
            score = grade + rng.normal(0, 1.0) - (0.8 if group == "broker" else 0.0)
            rows.append({"queue": f"Q{qi:03d}", "claim": f"C{qi:03d}-{j:02d}", "site": "a" if qi % 2 else "b",
                         "channel": group, "grade": grade, "score": round(score, 6)})
    return pd.DataFrame(rows)


def _usecase(gates=None) -> dict:
    return {
        "apiVersion": "charter/v1", "kind": "UseCase", "id": "queue", "title": "Queue", "summary": "Order a queue.",
        "businessUnit": "retail", "team": "analytics", "stage": "experimentation", "riskTier": "minimal",
        "owners": {"data-scientist": "ana"},
        "task": {"type": "ranking", "description": "Order the queue."},
        "evaluation": {"primaryMetric": "ndcg@5", "threshold": 0.5},
        "data": [{"id": "queues", "path": "data/queues.csv", "sha256": "auto", "description": "Rows.",
                  "owner": "ana", "personalData": False}],
        "jobs": [{"id": "rank", "runner": "ranking-evaluate", "data": "queues", "query": "queue", "item": "claim",
                  "grade": "grade", "score": "score", "cutoffs": [3, 5], "slices": ["site"],
                  "exposure": [{"attribute": "channel", "cutoff": 5, "minGroupSize": 10}],
                  "bootstrap": {"replicates": 200, "seed": 1}}],
        "gates": gates or {},
    }


def _repo(root, frame: pd.DataFrame, spec: dict | None = None, policy: dict | None = None):
    allow = copy.deepcopy(rb.ALLOWLIST)
    allow["runners"].append("ranking-evaluate")
    rb.build_repo(root, allowlist=allow, policy=policy)
    spec = spec or _usecase()
    path = rb.write_frame(root, spec["id"], "data/queues.csv", frame)
    rb.write_usecase(root, spec)
    return path, rb.load(root)


def _run(root, frame, spec=None, policy=None):
    _, repo = _repo(root, frame, spec, policy)
    report = run(repo, jobs=1)
    return repo, report.runs[0]


def test_the_runner_records_metrics_slices_and_exposure(tmp_path):
    frame = _frame()
    _, r = _run(tmp_path / "r", frame)
    assert r.status == "pass", r.reason
    res = r.record.results
    from charter.metrics.ranking import evaluate_ranking

    ref = evaluate_ranking(frame["queue"], frame["claim"], frame["grade"], frame["score"], cutoffs=[3, 5],
                           n_boot=200, seed=1)
    assert res["metrics"]["ndcg@5"]["value"] == pytest.approx(ref["metrics"]["ndcg@5"]["value"], abs=1e-12)
    assert res["metrics"]["ndcg@5"]["low"] == pytest.approx(ref["metrics"]["ndcg@5"]["ci"][0], abs=1e-12)
    assert set(res["slices"]["site"]) == {"a", "b"} and res["slices"]["site"]["a"]["n"] == 40
    block = res["exposure"]["channel"]
    groups = {g["group"]: g for g in block["groups"]}
    # the broker items are scored down: less attention than their share of relevant items
    assert groups["broker"]["ratio"]["value"] < 1 < groups["direct"]["ratio"]["value"]
    assert 0 < block["disparities"]["exposure_ratio"]["value"] < 1


@pytest.mark.parametrize("edit, message", [
    (lambda f: f.assign(queue=f["queue"].mask(f.index == 3, "")), "line 5: missing query id (column 'queue')"),
    (lambda f: f.assign(claim=f["claim"].mask(f.index == 0, "")), "line 2: missing item id (column 'claim')"),
    (lambda f: f.assign(grade=f["grade"].astype(object).mask(f.index == 6, "high")),
     "line 8: relevance grade 'high' in column 'grade' is not a number"),
    (lambda f: f.assign(grade=f["grade"].mask(f.index == 2, -1)), "line 4: relevance grade -1 is negative"),
    (lambda f: f.assign(score=f["score"].astype(object).mask(f.index == 9, "n/a")),
     "line 11: score 'n/a' in column 'score' is not a number"),
    (lambda f: pd.concat([f, f.iloc[[4]]], ignore_index=True),
     "duplicate (query, item) pair: query 'Q000', item 'C000-04' (first on line 6)"),
    (lambda f: f.assign(grade=f["grade"].mask(f["queue"] == "Q001", 0)), "query 'Q001' has no relevant item"),
])
def test_malformed_rows_name_the_file_and_line(tmp_path, edit, message):
    _, r = _run(tmp_path / "r", edit(_frame(nq=6)))
    assert r.status == "error"
    assert "'data/queues.csv'" in r.reason and message in r.reason, r.reason


def test_queries_without_relevant_items_may_be_excluded(tmp_path):
    frame = _frame(nq=6)
    frame.loc[frame["queue"] == "Q001", "grade"] = 0
    spec = _usecase()
    spec["jobs"][0]["noRelevant"] = "exclude"
    _, r = _run(tmp_path / "r", frame, spec)
    assert r.status == "pass" and r.record.results["excluded_queries"] == 1 and r.record.results["n_queries"] == 5
    assert any("without a relevant item" in w for w in r.record.results["warnings"])


POLICY = {
    **rb.POLICY,
    # the point estimate decides a straddling interval here (the fail-closed default is tested in tests/gates)
    "verdicts": {"inconclusive": "decide"},
    "stages": [{"id": "proposed", "name": "Proposed"}, {"id": "experimentation", "name": "Experimentation"},
               {"id": "production", "name": "Production", "requires": [
                   {"id": "offline-evaluation", "kind": "evidence", "runner": "evaluate"},
                   {"id": "primary", "kind": "metric", "metric": "primary"}]}],
}


def test_gates_judge_ranking_metrics_and_exposure(tmp_path):
    gates = {"production": [
        {"id": "top5", "kind": "metric", "metric": "ndcg@5", "min": 0.3, "useInterval": True},
        {"id": "site-mrr", "kind": "metric", "metric": "mrr", "slice": "site=*", "min": 0.99},
        {"id": "exposure", "kind": "exposure", "attribute": "channel", "metric": "exposure_ratio", "min": 0.95},
        {"id": "exposure-gap", "kind": "exposure", "metric": "exposure_difference", "max": 0.9},
    ]}
    repo, r = _run(tmp_path / "r", _frame(), _usecase(gates), POLICY)
    assert r.status == "pass", r.reason
    d = decide(repo, EvidenceStore(tmp_path / "r"), "queue", "production", TODAY)
    by = {x.id: x for x in d.requirements}
    # the ranking job stands for `evaluate` where the policy asks for offline evaluation evidence
    assert by["offline-evaluation"].status == "pass"
    assert by["primary"].status == "pass" and by["top5"].status == "pass"
    assert by["site-mrr"].status == "fail"
    assert by["exposure"].status == "fail" and "exposure_ratio" in by["exposure"].reason
    assert by["exposure-gap"].status == "pass"


def test_validation_checks_metric_names_columns_and_attributes(tmp_path):
    from charter.loading.loader import load_repository

    spec = _usecase({"production": [
        {"id": "bad-metric", "kind": "metric", "metric": "ndcg@0", "min": 0.3},
        {"id": "bad-attr", "kind": "exposure", "attribute": "region", "min": 0.8},
    ]})
    spec["jobs"][0]["score"] = "scor"
    root = tmp_path / "r"
    _repo_root = rb.build_repo(root, allowlist={**rb.ALLOWLIST, "runners": rb.ALLOWLIST["runners"] + ["ranking-evaluate"]})
    rb.write_frame(root, "queue", "data/queues.csv", _frame(nq=4))
    spec["data"][0]["contract"] = {"columns": {c: {"type": "string"} for c in
                                               ["queue", "claim", "site", "channel", "grade", "score"]}}
    rb.write_usecase(root, spec)
    repo = load_repository(_repo_root)
    messages = [d.message for d in repo.errors]
    assert any("unknown metric 'ndcg@0'" in m for m in messages), messages
    assert any("'scor' is not a column of 'queues'" in m for m in messages), messages
    assert any("region" in m and "exposure attribute" in m for m in messages), messages
