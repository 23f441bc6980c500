"""Drift and regression evaluation on partitioned Parquet data equal the in-memory runners (or lie within the recorded bounds)."""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("pyarrow")

import repo_builder as rb  # noqa: E402
from partition_data import write_partitions  # noqa: E402

from charter.engine.executor import run  # noqa: E402


def _results(report):  # type: ignore[no-untyped-def]
    return {(r.use_case, r.job): r for r in report.runs}


def drift_frame(n: int, seed: int, shift: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    region = rng.choice(["north", "south", "east", "west"], n, p=[0.4, 0.3, 0.2, 0.1]).astype(object)
    region[rng.random(n) < 0.03] = None
    return pd.DataFrame({
        "income": rng.normal(50 + shift, 12, n),  # continuous: a grid beyond 65,536 distinct values
        "age": rng.integers(18, 90, n),  # few distinct values: exact counts
        "debt": rng.gamma(2.0, 5.0 + shift, n).round(1),
        "region": region,
        "member": rng.random(n) < 0.5 + shift / 100,
        "code": rng.integers(0, 5, n),
    })


def _uc(uc_id: str, sources: dict[str, tuple[str, str]], categorical: list[str] | None = None) -> dict[str, Any]:
    spec = rb.credit_usecase(uc_id)
    spec["data"] = [{"id": sid, "path": path, "sha256": sha, "description": "Rows.", "owner": "ana",
                     "personalData": False} for sid, (path, sha) in sources.items()]
    job: dict[str, Any] = {"id": "drift", "runner": "drift", "reference": "reference", "current": "current"}
    if categorical:
        job["categorical"] = categorical
    spec["jobs"] = [job, {**job, "id": "drift-features", "features": ["income", "age", "region"]}]
    return spec


def drift_repo(root: Path, ref: pd.DataFrame, cur: pd.DataFrame, parts: int = 4,
               categorical: list[str] | None = None, current_suffix: str = ".parquet") -> Path:
    """'single' (one file a side), 'parts' (both partitioned) and 'mixed' (partitioned vs one file)."""
    from charter.io.fs import file_sha256
    from charter.loading.datasets import dataset_sha256

    rb.build_repo(root)
    for uc_id in ("single", "parts", "mixed"):
        sources = {}
        for sid, frame in (("reference", ref), ("current", cur)):
            base = root / "usecases" / uc_id / "data"
            if uc_id == "single" or (uc_id == "mixed" and sid == "current"):
                suffix = current_suffix if sid == "current" else ".parquet"
                path = base / f"{sid}{suffix}"
                path.parent.mkdir(parents=True, exist_ok=True)
                if suffix == ".csv":
                    frame.to_csv(path, index=False, lineterminator="\n")
                else:
                    frame.to_parquet(path, index=False)
                sources[sid] = (f"data/{sid}{suffix}", file_sha256(path))
            else:
                write_partitions(frame, base / sid, parts)
                sources[sid] = (f"data/{sid}", dataset_sha256(base / sid))
        rb.write_usecase(root, _uc(uc_id, sources, categorical))
    return root


EXACT = ("name", "kind", "method", "statistic", "p_value", "psi", "threshold", "drifted")


@pytest.fixture(scope="module")
def large(tmp_path_factory):  # type: ignore[no-untyped-def]
    ref = drift_frame(80_000, seed=1)
    cur = drift_frame(70_000, seed=2, shift=0.4)
    cur["added"] = 1.0
    cur["code"] = cur["code"].astype(str)  # retyped
    root = drift_repo(tmp_path_factory.mktemp("d") / "r", ref, cur, parts=5)
    report = run(rb.load(root), jobs=1)
    runs = _results(report)
    assert all(r.status in ("pass", "fail") and r.record is not None for r in report.runs), \
        [(k, r.status, r.reason) for k, r in runs.items()]
    return runs


@pytest.mark.parametrize("uc", ["parts", "mixed"])
@pytest.mark.parametrize("job", ["drift", "drift-features"])
def test_large_drift_equals_the_in_memory_runner_or_lies_within_its_bound(large, uc, job):
    single, parts = large[("single", job)], large[(uc, job)]
    assert single.status == parts.status and single.reason == parts.reason
    s, p = single.record.results, parts.record.results
    for key in ("schema_changes", "drift_share", "drifted", "thresholds", "skipped", "reference", "current"):
        assert p[key] == s[key], key
    if job == "drift":
        assert p["schema_changes"]["added"] == ["added"]
        assert [r["column"] for r in p["schema_changes"]["retyped"]] == ["code"]
    by_name = {f["name"]: f for f in s["features"]}
    assert [f["name"] for f in p["features"]] == list(by_name)
    for f in p["features"]:
        exact = by_name[f["name"]]
        assert exact["summary"] is None and exact["bound"] is None
        if f["name"] == "income":  # 150,000 distinct values: counted on a grid
            assert f["summary"] == "grid"
            b = f["bound"]
            assert b["grid_points"] > 1 << 16 and b["ks_statistic"] < 1e-4
            assert f["method"] == "psi" and f["drifted"] == exact["drifted"]
            assert abs(f["p_value"] - exact["p_value"]) <= abs(b["p_value"][1] - b["p_value"][0]) + 1e-300
            assert b["p_value"][0] <= exact["p_value"] <= b["p_value"][1]
            assert math.isclose(f["psi"], exact["psi"], rel_tol=0.05)
            from charter.kinds.runners.drift import KIND, DriftResult

            shown = "\n".join(KIND.format(DriftResult.model_validate(p)))
            assert f"income: counted on a grid of {b['grid_points']} points; KS statistic within ±" in shown
            continue
        assert {k: f[k] for k in EXACT} == {k: exact[k] for k in EXACT}, f["name"]
        assert f["summary"] == ("counts" if f["kind"] == "numeric" else None)
        assert f["bound"] is None


def test_the_ks_statistic_on_a_grid_lies_within_its_bound(large):
    from scipy import stats

    parts = large[("parts", "drift")].record.results
    income = next(f for f in parts["features"] if f["name"] == "income")
    ref = drift_frame(80_000, seed=1)["income"].to_numpy()
    cur = drift_frame(70_000, seed=2, shift=0.4)["income"].to_numpy()
    exact = stats.ks_2samp(ref, cur)
    assert abs(stats.ks_2samp(ref, cur).statistic - _ks_of(income, ref, cur)) <= income["bound"]["ks_statistic"]
    assert income["bound"]["p_value"][0] <= exact.pvalue <= income["bound"]["p_value"][1]


def _ks_of(feature: dict[str, Any], ref: np.ndarray, cur: np.ndarray) -> float:
    """The recorded KS statistic of a feature decided by PSI (recomputed from the same summaries)."""
    from charter.metrics.sufficient_drift import Grid, compare_grid

    both = np.concatenate([ref, cur])
    g = Grid.of(both.min(), both.max(), both[both > 0].min(), both[both < 0].max() if (both < 0).any() else -math.inf)
    points, r_cum = g.cumulative(g.counts(ref))
    _, c_cum = g.cumulative(g.counts(cur))
    out = compare_grid(points, r_cum, c_cum, 10)
    assert out["stats"]["psi"] == feature["psi"] and out["bound"] == feature["bound"]
    return float(out["stats"]["ks_statistic"])


def test_small_samples_give_the_in_memory_result_exactly(tmp_path):
    ref, cur = drift_frame(3000, seed=3), drift_frame(2500, seed=4, shift=2.0)
    cur = cur.drop(columns=["member"])
    root = drift_repo(tmp_path / "r", ref, cur, parts=3, categorical=["code"])
    runs = _results(run(rb.load(root), jobs=1))
    for uc in ("parts", "mixed"):
        for job in ("drift", "drift-features"):
            s, p = runs[("single", job)], runs[(uc, job)]
            assert (s.status, s.reason) == (p.status, p.reason)
            sr, pr = copy.deepcopy(s.record.results), copy.deepcopy(p.record.results)
            for f in pr["features"]:
                assert f.pop("summary") == ("values" if f["kind"] == "numeric" else None)
            for f in sr["features"]:
                assert f.pop("summary") is None and f["bound"] is None
            assert pr == sr
    assert runs[("parts", "drift")].record.results["schema_changes"]["removed"] == ["member"]


def test_a_partitioned_reference_against_a_csv_file_gives_the_in_memory_result(tmp_path):
    ref, cur = drift_frame(20_000, seed=14), drift_frame(3000, seed=15, shift=1.0)
    root = drift_repo(tmp_path / "r", ref, cur, parts=4, current_suffix=".csv")
    runs = _results(run(rb.load(root), ["single", "mixed"], jobs=1))
    for job in ("drift", "drift-features"):
        s, p = runs[("single", job)], runs[("mixed", job)]
        assert (s.status, s.reason) == (p.status, p.reason)
        sr, pr = copy.deepcopy(s.record.results), copy.deepcopy(p.record.results)
        summaries = {f["name"]: f.pop("summary") for f in pr["features"]}
        assert summaries["income"] == "counts" and summaries["region"] is None  # 20,000 + 3,000 distinct
        for f in sr["features"]:
            f.pop("summary")
        assert pr == sr


def test_too_many_categories_are_skipped_with_the_reason(tmp_path, monkeypatch):
    from charter.metrics import sufficient_drift

    monkeypatch.setattr(sufficient_drift, "MAX_CATEGORIES", 3)
    root = drift_repo(tmp_path / "r", drift_frame(500, seed=16), drift_frame(500, seed=17), parts=2)
    runs = _results(run(rb.load(root), ["parts"], jobs=1))
    result = runs[("parts", "drift-features")].record.results
    assert result["skipped"] == {"region": "more than 3 distinct values: not counted on a partitioned data set"}
    assert [f["name"] for f in result["features"]] == ["income", "age"]


def test_exact_counts_give_the_in_memory_statistics_bit_for_bit():
    from charter.metrics.drift import numeric_compare
    from charter.metrics.sufficient_drift import ColumnStats, compare_numeric, merge_columns, quantiles_from_counts

    rng = np.random.default_rng(7)
    ref = rng.integers(0, 400, 40_000) / 8
    cur = rng.integers(10, 420, 30_000) / 8
    r = merge_columns([{"x": ColumnStats.of(pd.Series(chunk), "numeric")} for chunk in np.array_split(ref, 6)])["x"]
    c = ColumnStats.of(pd.Series(cur), "numeric")
    assert r.summary == c.summary == "counts"
    part = compare_numeric(r, c, 10, None)
    mem = numeric_compare(ref, cur, 10)
    assert part["stats"] == mem["stats"] and part["bin_edges"] == mem["bin_edges"]
    qs = rng.random(50)
    vals, cnt = np.unique(ref, return_counts=True)
    assert np.array_equal(quantiles_from_counts(vals, cnt, qs), np.quantile(ref, qs))


@pytest.mark.parametrize("shape", ["normal", "lognormal", "pareto", "mixed-sign"])
def test_grid_psi_edges_and_ks_within_their_bounds_as_one_sample_and_as_partitions(shape):
    from charter.metrics.drift import binned_shares, numeric_compare, psi
    from charter.metrics.sufficient_drift import ColumnStats, Grid, compare_grid, merge_columns

    rng = np.random.default_rng(11)
    ref, cur = {
        "normal": lambda: (rng.normal(0, 1, 120_000), rng.normal(0.02, 1.05, 90_000)),
        "lognormal": lambda: (rng.lognormal(0, 1, 120_000), rng.lognormal(0.05, 1.1, 90_000)),
        "pareto": lambda: (rng.pareto(1.2, 120_000), rng.pareto(1.1, 90_000)),  # a heavy tail
        "mixed-sign": lambda: (rng.standard_t(1.5, 120_000), rng.standard_t(1.4, 90_000) + 0.01),
    }[shape]()
    mem = numeric_compare(ref, cur, 10)
    r = merge_columns([{"x": ColumnStats.of(pd.Series(chunk), "numeric")} for chunk in np.array_split(ref, 4)])["x"]
    c = ColumnStats.of(pd.Series(cur), "numeric")
    assert r.summary == c.summary == "grid"
    g = Grid.of(min(r.low, c.low), max(r.high, c.high), min(r.low_positive, c.low_positive),
                max(r.high_negative, c.high_negative))

    def stats_of(r_counts: np.ndarray) -> dict[str, Any]:
        points, r_cum = g.cumulative(r_counts)
        _, c_cum = g.cumulative(g.counts(cur))
        return compare_grid(points, r_cum, c_cum, 10)

    whole = stats_of(g.counts(ref))
    assert stats_of(sum(g.counts(x) for x in np.array_split(ref, 4))) == whole  # partitions: the same
    b = whole["bound"]
    assert abs(whole["stats"]["ks_statistic"] - mem["stats"]["ks_statistic"]) <= b["ks_statistic"]
    assert b["ks_statistic"] < 2e-4  # the grid is fine enough to be useful, heavy tails included
    assert b["p_value"][0] <= mem["stats"]["ks"] <= b["p_value"][1]
    assert len(whole["bin_edges"]) == len(mem["bin_edges"])
    assert np.max(np.abs(np.array(whole["bin_edges"]) - mem["bin_edges"])) <= b["psi_edges"]
    edges = np.array(whole["bin_edges"])  # PSI is exact for the edges used
    assert math.isclose(whole["stats"]["psi"], psi(binned_shares(ref, edges), binned_shares(cur, edges)),
                        rel_tol=1e-12)


def test_grid_counts_are_exact_at_every_point():
    from charter.metrics.sufficient_drift import Grid

    rng = np.random.default_rng(3)
    x = np.concatenate([rng.standard_t(1.2, 50_000), [0.0, -0.0, 5e-324, -5e-324, 1e300, -1e300]])
    g = Grid.of(float(x.min()), float(x.max()), float(x[x > 0].min()), float(x[x < 0].max()))
    points, cum = g.cumulative(g.counts(x))
    assert np.all(np.diff(points) > 0) and cum[-1] == len(x)
    assert np.array_equal(cum, np.searchsorted(np.sort(x), points, side="right"))


def test_a_corrupt_partition_or_a_missing_column_is_named(tmp_path):
    ref, cur = drift_frame(600, seed=5), drift_frame(600, seed=6)
    root = drift_repo(tmp_path / "r", ref, cur, parts=3)
    from charter.loading.datasets import dataset_sha256

    folder = root / "usecases" / "parts" / "data" / "reference"
    (folder / "month=01" / "part-0.parquet").write_bytes(b"PAR1 not parquet")
    cur_folder = root / "usecases" / "parts" / "data" / "current"
    cur.iloc[400:].drop(columns=["age"]).to_parquet(cur_folder / "month=02" / "part-0.parquet", index=False)
    spec = json.loads((root / "usecases" / "parts" / "usecase.yaml").read_text())
    spec["data"][0]["sha256"] = dataset_sha256(folder)
    spec["data"][1]["sha256"] = dataset_sha256(cur_folder)
    rb.write_usecase(root, spec)
    runs = _results(run(rb.load(root), ["parts"], jobs=1))
    reason = runs[("parts", "drift")].reason or ""
    assert runs[("parts", "drift")].status == "error"
    assert "'data/reference' partition 'month=01/part-0.parquet' cannot be read as Parquet" in reason
    # the reference repaired: the current side's partition without a column is named
    ref.iloc[200:400].reset_index(drop=True).to_parquet(folder / "month=01" / "part-0.parquet", index=False)
    spec["data"][0]["sha256"] = dataset_sha256(folder)
    rb.write_usecase(root, spec)
    runs = _results(run(rb.load(root), ["parts"], jobs=1))
    reason = runs[("parts", "drift")].reason or ""
    assert "'data/current' partition 'month=02/part-0.parquet' does not have the columns of " \
           "'data/current' partition 'month=00/part-0.parquet' (missing 'age')" in reason, reason
    spec["jobs"][1]["reference"], spec["jobs"][1]["current"] = "current", "reference"
    rb.write_usecase(root, spec)
    runs = _results(run(rb.load(root), ["parts"], jobs=1))
    assert "'data/current' partition 'month=02/part-0.parquet' has no column(s) 'age'" in \
        (runs[("parts", "drift-features")].reason or "")


def test_drift_reads_partitions_in_batches_never_whole(tmp_path, monkeypatch):
    from charter.jobs import data, partitioned

    ref, cur = drift_frame(3000, seed=8), drift_frame(2000, seed=9, shift=1.0)
    root = drift_repo(tmp_path / "r", ref, cur, parts=3)
    expected = _results(run(rb.load(root), ["parts"], jobs=1))
    seen: list[int] = []
    original = partitioned.batches

    def small_batches(path, columns, label, batch_rows=partitioned.BATCH_ROWS):  # type: ignore[no-untyped-def]
        for frame in original(path, columns, label, 250):
            seen.append(len(frame))
            yield frame

    def whole(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("a partitioned source was read whole")

    monkeypatch.setattr(partitioned, "batches", small_batches)
    monkeypatch.setattr(partitioned, "read_dataset", whole)
    monkeypatch.setattr(data, "read_table", whole)
    got = _results(run(rb.load(root), ["parts"], jobs=1, force=True))
    # two jobs, each reading every row of both sides once (samples this small need no grid pass)
    assert max(seen) <= 250 and sum(seen) == 2 * (3000 + 2000)
    for key in expected:
        assert got[key].status == expected[key].status, got[key].reason
        assert got[key].record.results == expected[key].record.results


def test_drift_partitions_run_on_the_cluster(cluster, tmp_path):
    ref = drift_frame(70_000, seed=12)
    cur = drift_frame(70_000, seed=13, shift=0.2)
    root = drift_repo(tmp_path / "r", ref, cur, parts=4)
    local = _results(run(rb.load(root), ["parts", "mixed"], jobs=1, force=True))
    dask = _results(run(rb.load(root), ["parts", "mixed"], jobs=2, force=True, backend="dask", scheduler=cluster))
    for key, r in local.items():
        assert dask[key].status == r.status, dask[key].reason
        assert json.dumps(dask[key].record.results) == json.dumps(r.record.results)
    income = next(f for f in local[("parts", "drift")].record.results["features"] if f["name"] == "income")
    assert income["summary"] == "grid"


# --------------------------------------------------------------------------- regression


def regression_frame(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    store = rng.choice(["a", "b", "c"], n).astype(object)
    store[rng.random(n) < 0.02] = None
    size = rng.normal(10, 2, n)
    y = 3 * size + (store == "a") * 5 + rng.normal(0, 1, n) + 1e4  # a large mean: a test of cancellation
    return pd.DataFrame({"store": store, "region": rng.choice(["x", "y"], n), "demand": y,
                         "forecast": y + rng.normal(0.2, 1.5, n), "constant": np.where(store == "b", 7.0, 7.0)})


def regression_repo(root: Path, frame: pd.DataFrame, parts: int) -> Path:
    from charter.io.fs import file_sha256
    from charter.loading.datasets import dataset_sha256

    rb.build_repo(root)
    for uc_id in ("single", "parts"):
        base = root / "usecases" / uc_id / "data"
        if uc_id == "single":
            base.mkdir(parents=True, exist_ok=True)
            frame.to_parquet(base / "sales.parquet", index=False)
            path, sha = "data/sales.parquet", file_sha256(base / "sales.parquet")
        else:
            write_partitions(frame, base / "sales", parts)
            path, sha = "data/sales", dataset_sha256(base / "sales")
        spec = rb.credit_usecase(uc_id)
        spec["task"] = {"type": "regression", "target": "demand", "description": "Units."}
        spec["evaluation"] = {"primaryMetric": "mae", "threshold": 5}
        spec["data"] = [{"id": "sales", "path": path, "sha256": sha, "description": "Sales.", "owner": "ana",
                         "personalData": False}]
        boot = {"replicates": 50, "seed": 3}
        spec["jobs"] = [
            {"id": "evaluate", "runner": "evaluate", "slices": ["store", "region"], "bootstrap": boot,
             "predictions": {"data": "sales", "label": "demand", "prediction": "forecast"}},
            {"id": "evaluate-constant", "runner": "evaluate", "slices": ["store"], "bootstrap": boot,
             "predictions": {"data": "sales", "label": "constant", "score": "forecast"}},
        ]
        rb.write_usecase(root, spec)
    return root


def _close(a: Any, b: Any) -> None:
    if isinstance(a, float) and isinstance(b, float):
        assert math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12), (a, b)
    else:
        assert a == b


@pytest.mark.parametrize("parts", [1, 6])
def test_regression_metrics_equal_the_in_memory_evaluation(tmp_path, parts):
    root = regression_repo(tmp_path / "r", regression_frame(9000, seed=1), parts)
    runs = _results(run(rb.load(root), jobs=1))
    assert all(r.status == "pass" for r in runs.values()), [(k, r.reason) for k, r in runs.items()]
    for job in ("evaluate", "evaluate-constant"):
        s, p = runs[("single", job)].record.results, runs[("parts", job)].record.results
        assert p["n"] == s["n"] == 9000
        assert set(p["metrics"]) == set(s["metrics"]) == {"mae", "rmse", "r2"}
        for m, est in p["metrics"].items():
            _close(est["value"], s["metrics"][m]["value"])
            assert est["reason"] == s["metrics"][m]["reason"]
            assert est["low"] is None and est["high"] is None  # no bootstrap interval on partitions
        assert p["slices"].keys() == s["slices"].keys()
        for col, blocks in p["slices"].items():
            assert list(blocks) == list(s["slices"][col])
            for value, block in blocks.items():
                exact = s["slices"][col][value]
                assert block["n"] == exact["n"]
                for m, est in block["metrics"].items():
                    _close(est["value"], exact["metrics"][m]["value"])
                    assert est["reason"] == exact["metrics"][m]["reason"]
        assert p["warnings"] == s["warnings"]
        assert "no" in p["bootstrap"]["regression_metrics"] and "interval" in p["bootstrap"]["regression_metrics"]
        assert p["residuals"] is None and "residuals" in p["curves_skipped"]
    assert "<missing>" in runs[("parts", "evaluate")].record.results["slices"]["store"]
    constant = runs[("parts", "evaluate-constant")].record.results["metrics"]["r2"]
    assert constant["value"] is None and "constant" in constant["reason"]


def test_regression_sums_do_not_cancel_and_merge_in_any_order():
    from functools import reduce

    from charter.metrics.sufficient_regression import M2, RegressionSums

    rng = np.random.default_rng(0)
    y = 1e9 + rng.normal(0, 1, 30_000)
    e = rng.normal(0, 1, 30_000)
    chunks = np.array_split(np.arange(len(y)), 7)
    sums = [RegressionSums.of([], [], y[c], y[c] + e[c]) for c in chunks]
    whole = reduce(RegressionSums.merge, sums).total()
    exact = float(np.sum((y - y.mean()) ** 2))
    assert math.isclose(whole[M2], exact, rel_tol=1e-9)
    assert math.isclose(reduce(RegressionSums.merge, sums[::-1]).total()[M2], exact, rel_tol=1e-9)


def test_a_bad_regression_partition_is_named(tmp_path):
    from charter.loading.datasets import dataset_sha256

    frame = regression_frame(900, seed=2)
    frame.loc[700, "forecast"] = np.nan
    root = regression_repo(tmp_path / "r", frame, 3)
    runs = _results(run(rb.load(root), ["parts"], jobs=1))
    assert runs[("parts", "evaluate")].status == "error"
    assert ("prediction column 'forecast' of 'data/sales' partition 'month=02/part-0.parquet' has 1 missing "
            "value(s) (first at row 100)") in (runs[("parts", "evaluate")].reason or "")
    folder = root / "usecases" / "parts" / "data" / "sales"
    frame.iloc[:300].drop(columns=["region"]).to_parquet(folder / "month=00" / "part-0.parquet", index=False)
    spec = json.loads((root / "usecases" / "parts" / "usecase.yaml").read_text())
    spec["data"][0]["sha256"] = dataset_sha256(folder)
    rb.write_usecase(root, spec)
    runs = _results(run(rb.load(root), ["parts"], jobs=1))
    assert "'data/sales' partition 'month=00/part-0.parquet' has no column(s) 'region'" in \
        (runs[("parts", "evaluate")].reason or "")


def test_regression_reads_partitions_in_batches_on_the_cluster(cluster, tmp_path, monkeypatch):
    from charter.jobs import data, partitioned

    root = regression_repo(tmp_path / "r", regression_frame(4000, seed=3), 4)
    seen: list[int] = []
    original = partitioned.arrow_batches

    def small(path, columns, label, batch_rows=partitioned.BATCH_ROWS):  # type: ignore[no-untyped-def]
        for batch, offset in original(path, columns, label, 300):
            seen.append(batch.num_rows)
            yield batch, offset

    def whole(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("a partitioned source was read whole")

    with monkeypatch.context() as m:
        m.setattr(partitioned, "arrow_batches", small)
        m.setattr(partitioned, "read_dataset", whole)
        m.setattr(data, "read_table", whole)
        local = _results(run(rb.load(root), ["parts"], jobs=1, force=True))
    assert seen and max(seen) <= 300 and sum(seen) == 2 * 4000
    dask = _results(run(rb.load(root), ["parts"], jobs=2, force=True, backend="dask", scheduler=cluster))
    for key, r in local.items():
        assert r.status == dask[key].status == "pass", (r.reason, dask[key].reason)
        for m_name, est in r.record.results["metrics"].items():
            _close(dask[key].record.results["metrics"][m_name]["value"], est["value"])
