"""A partitioned Parquet data set gives the in-memory runners' results, partition by partition."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

pytest.importorskip("pyarrow")

import repo_builder as rb  # noqa: E402
from partition_data import predictions_frame, single_and_partitioned, write_partitions  # noqa: E402

from charter.engine.executor import run  # noqa: E402


def _results(report):  # type: ignore[no-untyped-def]
    return {(r.use_case, r.job): r for r in report.runs}


@pytest.fixture(scope="module")
def both(tmp_path_factory):  # type: ignore[no-untyped-def]
    root = single_and_partitioned(tmp_path_factory.mktemp("p") / "r", predictions_frame(6000), parts=5)
    report = run(rb.load(root), jobs=1)
    runs = _results(report)
    assert all(r.status == "pass" for r in report.runs), [(k, r.reason) for k, r in runs.items()]
    return runs


def test_label_metrics_and_their_intervals_equal_the_in_memory_evaluation(both):
    single, parts = both[("single", "evaluate")].record.results, both[("parts", "evaluate")].record.results
    assert single["bootstrap"]["method"] == parts["bootstrap"]["method"] == "multinomial over confusion-matrix cells"
    assert parts == single
    assert parts["slices"]["age_band"]["<missing>"]["n"] > 0


def test_fairness_equals_the_in_memory_report_exactly(both):
    for job in ("fairness", "fairness-scores"):
        single, parts = both[("single", job)].record.results, both[("parts", job)].record.results
        assert parts == single, job
    groups = both[("parts", "fairness")].record.results["results"][0]["groups"]
    assert sum(g["n"] for g in groups) == 6000


def test_score_metrics_within_the_recorded_bound(both):
    single = both[("single", "evaluate-scores")].record.results
    parts = both[("parts", "evaluate-scores")].record.results
    bound = parts["bootstrap"]["sketch"]["roc_auc"]["error_bound"]
    assert abs(parts["metrics"]["roc_auc"]["value"] - single["metrics"]["roc_auc"]["value"]) <= bound["overall"]
    for region, block in parts["slices"]["region"].items():
        exact = single["slices"]["region"][region]["metrics"]["roc_auc"]["value"]
        assert abs(block["metrics"]["roc_auc"]["value"] - exact) <= bound[f"region={region}"]
    for m in ("log_loss", "brier"):
        assert math.isclose(parts["metrics"][m]["value"], single["metrics"][m]["value"], rel_tol=1e-12)
    for m in ("accuracy", "precision", "recall", "f1", "balanced_accuracy"):  # counts: exactly
        assert parts["metrics"][m]["value"] == single["metrics"][m]["value"]
    for m in ("accuracy", "precision", "recall"):  # Wilson intervals from counts: exactly
        assert parts["metrics"][m] == single["metrics"][m]
    assert parts["confusion_matrix"] == single["confusion_matrix"]


def test_the_auc_bound_is_zero_when_each_grid_cell_holds_one_class():
    import numpy as np

    from charter.metrics.sufficient import grid_auc

    pos, neg = np.array([0, 3, 0, 2]), np.array([4, 0, 1, 0])
    assert grid_auc(pos, neg) == (pytest.approx((3 * 4 + 2 * 5) / 25), 0.0)
    auc, bound = grid_auc(np.array([1, 1]), np.array([1, 1]))
    assert auc == 0.5 and bound == 0.25


def test_the_result_does_not_depend_on_the_partitioning(tmp_path):
    frame = predictions_frame(3000, seed=2)
    a = single_and_partitioned(tmp_path / "a", frame, parts=2)
    b = single_and_partitioned(tmp_path / "b", frame, parts=7)
    ra, rb_ = _results(run(rb.load(a), ["parts"], jobs=1)), _results(run(rb.load(b), ["parts"], jobs=1))
    for job in ("evaluate", "fairness"):
        assert ra[("parts", job)].record.results == rb_[("parts", job)].record.results
    # score sums are added in another order: log loss and Brier agree to rounding, the rest exactly
    sa, sb = ra[("parts", "evaluate-scores")].record.results, rb_[("parts", "evaluate-scores")].record.results
    for m in ("log_loss", "brier"):
        assert math.isclose(sa["metrics"].pop(m)["value"], sb["metrics"].pop(m)["value"], rel_tol=1e-12)
        for block in (*sa["slices"]["region"].values(), *sb["slices"]["region"].values()):
            block["metrics"].pop(m)
    assert sa == sb


def test_the_pin_covers_every_partition(tmp_path):
    from charter.loading.datasets import dataset_sha256

    root = single_and_partitioned(tmp_path / "r", predictions_frame(500), parts=3)
    folder = root / "usecases" / "parts" / "data" / "scored"
    before = dataset_sha256(folder)
    extra = folder / "month=99"
    write_partitions(predictions_frame(10, seed=9), extra, 1)
    assert dataset_sha256(folder) != before
    from charter.loading.loader import load_repository

    repo = load_repository(root)
    assert any(d.code == "CH024" and "does not match its pinned sha256" in d.message for d in repo.errors)
    report = run(load_repository(root, check_data=False), ["parts"], jobs=1)
    assert all("data changed since pinned" in (r.reason or "") for r in report.runs if r.status == "error")
    assert {r.status for r in report.runs} == {"error"}


def test_a_link_inside_the_folder_is_refused(tmp_path):
    from charter.loading.datasets import DatasetError, partitions

    root = single_and_partitioned(tmp_path / "r", predictions_frame(200), parts=2)
    folder = root / "usecases" / "parts" / "data" / "scored"
    (folder / "month=05").mkdir()
    (folder / "month=05" / "part-0.parquet").symlink_to(root / "usecases" / "single" / "data" / "scored.parquet")
    with pytest.raises(DatasetError, match="symbolic link"):
        partitions(folder)


def test_partitions_run_on_the_cluster_the_job_runs_on(cluster, tmp_path):
    root = single_and_partitioned(tmp_path / "r", predictions_frame(4000, seed=3), parts=4)
    local = _results(run(rb.load(root), ["parts"], jobs=1, force=True))
    dask = _results(run(rb.load(root), ["parts"], jobs=2, force=True, backend="dask", scheduler=cluster))
    for job in ("evaluate", "evaluate-scores", "fairness", "fairness-scores"):
        assert dask[("parts", job)].status == "pass", dask[("parts", job)].reason
        assert json.dumps(dask[("parts", job)].record.results) == json.dumps(local[("parts", job)].record.results)


CONTRACT = {
    "columns": {
        "customer": {"type": "integer", "unique": True},
        "default": {"type": "integer", "allowed": [0, 1]},
        "score": {"type": "float", "min": 0, "max": 1},
        "flagged": {"type": "integer"},
        "sex": {"type": "string", "allowed": ["female", "male"]},
        "age_band": {"type": "string", "nullable": True},
        "region": {"type": "string", "minDistinct": 2},
    },
    "rows": {"min": 50},
}


def test_a_contract_checks_every_partition_and_names_partition_and_row(tmp_path):
    frame = predictions_frame(2000, seed=4)
    frame.loc[1210, "score"] = 1.5  # partition month=02 (rows 800..1199 are month=02 with 5 parts of 400)
    frame.loc[1905, "sex"] = "unknown"
    frame.loc[1999, "customer"] = 3  # a duplicate of a row in the first partition
    root = single_and_partitioned(tmp_path / "r", frame, parts=5, contract=CONTRACT)
    runs = _results(run(rb.load(root), jobs=1))
    single, parts = runs[("single", "contract")], runs[("parts", "contract")]
    assert single.status == parts.status == "fail"
    s_src, p_src = single.record.results["sources"][0], parts.record.results["sources"][0]
    assert p_src["rows"] == s_src["rows"] == 2000
    by_check = {(f["column"], f["check"]): f for f in p_src["failures"]}
    assert set(by_check) == {(f["column"], f["check"]) for f in s_src["failures"]}, by_check
    assert by_check[("score", "less_than_or_equal_to(1.0)")]["examples"] == [
        {"partition": "month=03/part-0.parquet", "row": 10, "value": 1.5}]
    assert by_check[("sex", "isin(['female', 'male'])")]["examples"] == [
        {"partition": "month=04/part-0.parquet", "row": 305, "value": "unknown"}]
    dup = by_check[("customer", "unique")]
    assert dup["failures"] == 1
    assert dup["examples"] == [{"partition": "month=04/part-0.parquet", "row": 399, "value": 3,
                                "first": {"partition": "month=00/part-0.parquet", "row": 3}}]
    # the jobs reading the data are skipped, naming the contract
    assert runs[("parts", "evaluate")].status == "skipped"


def test_whole_data_set_checks_add_up_the_partitions(tmp_path):
    frame = predictions_frame(300, seed=5)
    frame["region"] = "north"  # one distinct value: minDistinct(2) fails on the whole, not per partition
    contract = {**CONTRACT, "rows": {"min": 301}}
    root = single_and_partitioned(tmp_path / "r", frame, parts=3, contract=contract)
    runs = _results(run(rb.load(root), jobs=1))
    s_src = runs[("single", "contract")].record.results["sources"][0]
    p_src = runs[("parts", "contract")].record.results["sources"][0]
    assert p_src["failures"] == s_src["failures"]


@pytest.mark.parametrize("bad", [None, float("nan"), float("inf")])
def test_a_missing_or_infinite_score_names_its_row(tmp_path, bad):  # type: ignore[no-untyped-def]
    import pyarrow as pa
    import pyarrow.parquet as pq

    from charter.jobs.base import JobError
    from charter.jobs.partitioned import prediction_stats

    part = tmp_path / "part-0.parquet"
    pq.write_table(pa.table({"y": [0, 1, 1, 0, 1], "score": pa.array([0.1, 0.9, 0.8, bad, 0.7], pa.float64())}), part)
    spec = {"label": "y", "score": "score", "prediction": None, "threshold": 0.5, "groups": [[]], "hist_groups": [[]],
            "bins": 16, "name": "'scored' partition 'part-0.parquet'"}
    with pytest.raises(JobError, match=r"score column 'score' of 'scored' partition 'part-0.parquet' has 1 missing"
                                       r".*\(first at row 3\)"):
        prediction_stats(part, spec)
