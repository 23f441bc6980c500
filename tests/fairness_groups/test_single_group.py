"""A fairness check cannot pass by losing its groups: fewer than two usable groups is inconclusive (fail closed)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from support import TODAY, GovRepo, fairness_results

from charter.gates import decide
from charter.jobs.fairness import _result
from charter.metrics import fairness_report


def measured(sensitive: dict[str, Any], n: int) -> dict[str, Any]:
    """The fairness job's result for these sensitive columns, computed as the runner computes it."""
    rng = np.random.default_rng(3)
    y_true = rng.integers(0, 2, n)
    y_pred = rng.integers(0, 2, n)
    report = fairness_report(y_true, y_pred, sensitive, task="binary", pos_label=1, min_group_size=30, n_boot=50)
    return _result("binary-classification", "job:train", 30, report).model_dump(mode="json")


def fairness_requirement(g: GovRepo):
    d = decide(g.load(require_valid=True), g.store, "churn", None, TODAY)
    return d, next(r for r in d.requirements if r.id == "production-fairness")


def test_two_groups_still_judged(ready: GovRepo) -> None:
    ready.record("fairness", results=measured({"sex": np.array(["female", "male"] * 100)}, 200))
    _, r = fairness_requirement(ready)
    assert r.status in ("pass", "fail")
    assert "inconclusive" not in r.reason


@pytest.mark.parametrize(("values", "counts"), [
    (np.array(["male"] * 4812, dtype=object), "male: 4,812; missing: 0"),
    (np.array([None] * 500, dtype=object), "missing: 500"),
    (np.array(["male"] * 480 + [None] * 20, dtype=object), "male: 480; missing: 20"),
    (np.array(["male"] * 480 + ["female"] * 20, dtype=object), "male: 480; female: 20; missing: 0"),
], ids=["all-one-sex", "all-missing", "one-sex-and-missing", "second-group-too-small"])
def test_fewer_than_two_usable_groups_fail_closed(ready: GovRepo, values: np.ndarray, counts: str) -> None:
    ready.record("fairness", results=measured({"sex": values}, len(values)))
    d, r = fairness_requirement(ready)
    usable = 0 if counts.startswith("missing") else 1
    noun = "group" if usable == 1 else "groups"
    expected = f"attribute 'sex' has {usable} {noun} with at least 30 rows ({counts}): a disparity needs two"
    assert r.status == "inconclusive" and not d.passed
    assert expected in r.reason
    part = r.details["parts"][0]
    assert part["status"] == "inconclusive" and part["inconclusive"] is True
    assert part["rule"]["basis"] == "inconclusive: fewer than two groups"
    assert part["rule"]["source"] == "fail-closed"


def test_all_domestic_intersection_check(ready: GovRepo) -> None:
    """A check over an intersection whose one column is constant (all domestic) still has two groups; over the
    constant column alone it has one."""
    uc = ready.usecases["churn"]
    uc["data"][0]["sensitiveAttributes"] = ["sex", "residence"]
    uc["data"][0]["contract"]["columns"]["residence"] = {"type": "string"}
    uc["fairness"] = [{
        "id": "residence-parity", "sensitiveAttributes": ["residence"], "metric": "demographic_parity_ratio",
        "min": 0.8, "affectedGroups": "Domestic and foreign customers.", "rationale": "Four-fifths rule.",
    }]
    ready.write_usecase(uc)
    ready.record_all()
    ready.approve(ready.usecases["churn"], by="cleo", role="product-manager")
    ready.approve(ready.usecases["churn"], by="ben", role="ml-auditor")
    n = 400
    sensitive = {"sex": np.array(["female", "male"] * (n // 2)), "residence": np.array(["domestic"] * n)}
    ready.record("fairness", results=measured(sensitive, n))
    d, r = fairness_requirement(ready)
    parts = {p["label"]: p for p in r.details.get("parts", [])} if "parts" in r.details else {}
    assert r.status == "inconclusive" and not d.passed
    assert "attribute 'residence' has 1 group with at least 30 rows (domestic: 400; missing: 0)" in r.reason
    if parts:
        assert parts["residence-parity"]["rule"]["basis"] == "inconclusive: fewer than two groups"


def test_hand_written_single_group_record(ready: GovRepo) -> None:
    """A record whose one group has a perfect ratio (the value a single group gives) does not pass."""
    results = fairness_results(ratio=(1.0, 1.0, 1.0))
    results["results"][0]["groups"] = results["results"][0]["groups"][1:]
    ready.record("fairness", results=results)
    _, r = fairness_requirement(ready)
    assert r.status == "inconclusive"
    assert "attribute 'sex' has 1 group with at least 30 rows (male: 30; missing: 0)" in r.reason
