"""Ranking metrics against sklearn.metrics.ndcg_score and ranx, exposure against a per-query loop."""

from __future__ import annotations

import numpy as np
import pytest

from charter.metrics.ranking import RankingDataError, evaluate_ranking, exposure_report, per_query, rank

CUTOFFS = [1, 3, 5, 10]


def _random(seed: int, nq: int = 60, ties: bool = True):
    rng = np.random.default_rng(seed)
    sizes = rng.integers(2, 25, nq)
    q = np.repeat([f"q{i:03d}" for i in range(nq)], sizes)
    item = np.concatenate([rng.permutation(40)[:s] for s in sizes]).astype(str)
    grade = rng.integers(0, 4, len(q)).astype(float)
    grade[rng.random(len(q)) < 0.4] = 0
    # scores rounded to one decimal: many ties inside a query
    score = np.round(rng.random(len(q)), 1 if ties else 12)
    # every query has at least one relevant item
    first = np.r_[0, np.cumsum(sizes)[:-1]]
    grade[first] = np.maximum(grade[first], 1)
    return q, item, grade, score


def _tiebroken(q, item, score):
    """Scores that encode the documented order (score descending, then item id ascending) without ties."""
    r = rank(q, item, np.zeros(len(q)), score)
    out = np.empty(len(q))
    out[r.order] = -r.rank0.astype(float)  # rank 0 highest
    return out


def test_ndcg_equals_sklearn_per_query():
    from sklearn.metrics import ndcg_score

    q, item, grade, score = _random(1)
    values = per_query(rank(q, item, grade, score), CUTOFFS)
    broken = _tiebroken(q, item, score)
    for qi, qid in enumerate(np.unique(q)):
        m = q == qid
        for k in CUTOFFS:
            ref = ndcg_score(grade[m][None, :], broken[m][None, :], k=k, ignore_ties=True)
            assert values[f"ndcg@{k}"][qi] == pytest.approx(ref, abs=1e-9)


def test_ndcg_equals_sklearn_without_ties_on_raw_scores():
    from sklearn.metrics import ndcg_score

    q, item, grade, score = _random(2, ties=False)
    values = per_query(rank(q, item, grade, score), [5])
    for qi, qid in enumerate(np.unique(q)):
        m = q == qid
        assert values["ndcg@5"][qi] == pytest.approx(ndcg_score(grade[m][None, :], score[m][None, :], k=5), abs=1e-9)


@pytest.mark.parametrize("seed", [3, 4])
def test_every_metric_equals_ranx(seed):
    import ranx  # the IR oracle (dev extra)
    q, item, grade, score = _random(seed)
    broken = _tiebroken(q, item, score)
    qrels = {}
    run = {}
    for a, b, g, s in zip(q, item, grade, broken):
        run.setdefault(a, {})[b] = float(s) + 1000.0
        if g >= 1:
            qrels.setdefault(a, {})[b] = int(g)
    names = [f"{m}@{k}" for m in ("ndcg", "map", "precision", "recall") for k in CUTOFFS] + ["mrr"]
    ref = ranx.evaluate(ranx.Qrels(qrels), ranx.Run(run), names, return_mean=False, make_comparable=True)
    values = per_query(rank(q, item, grade, score), CUTOFFS)
    assert (np.bincount(np.unique(q, return_inverse=True)[1]) < max(CUTOFFS)).any()  # short lists: precision by k
    for name in names:
        expected = np.asarray(ref[name], dtype=float)
        np.testing.assert_allclose(values[name], expected, atol=1e-9, rtol=0, err_msg=name)


def test_ties_are_broken_by_item_id():
    # two items with the same score: 'a' ranks above 'b' whatever the row order
    for items in (["a", "b"], ["b", "a"]):
        grades = [1.0, 0.0] if items[0] == "a" else [0.0, 1.0]
        values = per_query(rank(["q", "q"], items, grades, [0.5, 0.5]), [1])
        assert values["precision@1"][0] == 1.0 and values["mrr"][0] == 1.0


def test_overall_is_the_mean_over_queries_and_the_bootstrap_is_seeded():
    q, item, grade, score = _random(5)
    a = evaluate_ranking(q, item, grade, score, cutoffs=[5], n_boot=200, seed=7)
    b = evaluate_ranking(q, item, grade, score, cutoffs=[5], n_boot=200, seed=7)
    c = evaluate_ranking(q, item, grade, score, cutoffs=[5], n_boot=200, seed=8)
    assert a["metrics"] == b["metrics"] and a["metrics"]["ndcg@5"]["ci"] != c["metrics"]["ndcg@5"]["ci"]
    assert a["metrics"]["ndcg@5"]["value"] == pytest.approx(float(np.mean(a["per_query"]["ndcg@5"])), abs=1e-12)
    lo, hi = a["metrics"]["ndcg@5"]["ci"]
    assert lo < a["metrics"]["ndcg@5"]["value"] < hi


def test_bootstrap_resamples_queries():
    """The vectorised replicates equal a loop that draws queries with replacement from the same generator."""
    q, item, grade, score = _random(6, nq=30)
    rep = evaluate_ranking(q, item, grade, score, cutoffs=[3], n_boot=50, confidence=0.9, seed=11)
    v = rep["per_query"]["ndcg@3"]
    rng = np.random.default_rng(11)
    idx = rng.integers(0, len(v), size=(50, len(v)))
    means = np.array([v[row].mean() for row in idx])
    # the same replicates through the same (bias-corrected) interval method
    from charter.metrics.intervals import bca_interval

    lo, hi, _ = bca_interval(np.array([v.mean()]), means.reshape(-1, 1), None, None, 0.9)
    assert rep["metrics"]["ndcg@3"]["ci"] == pytest.approx([lo[0], hi[0]], abs=1e-12)


def test_slices_are_query_attributes():
    q, item, grade, score = _random(7, nq=40)
    site = np.where(np.char.endswith(q.astype(str), ("0", "2", "4", "6", "8")[0]), "even", "odd")
    rep = evaluate_ranking(q, item, grade, score, cutoffs=[5], slices={"site": site}, n_boot=0)
    by = {s["value"]: s for s in rep["slices"]}
    mask = np.array([x.endswith("0") for x in np.unique(q)])
    assert by["even"]["n_queries"] == int(mask.sum())
    assert by["even"]["metrics"]["ndcg@5"]["value"] == pytest.approx(rep["per_query"]["ndcg@5"][mask].mean())
    varying = np.arange(len(q)).astype(str)
    with pytest.raises(RankingDataError, match="varies within query"):
        evaluate_ranking(q, item, grade, score, cutoffs=[5], slices={"row": varying}, n_boot=0)


def test_queries_without_a_relevant_item():
    q = ["a", "a", "b", "b"]
    item = ["x", "y", "x", "y"]
    grade = [1, 0, 0, 0]
    score = [0.9, 0.1, 0.5, 0.4]
    with pytest.raises(RankingDataError, match="query 'b' has no relevant item") as err:
        evaluate_ranking(q, item, grade, score, cutoffs=[1], n_boot=0)
    assert err.value.row == 2
    ex = evaluate_ranking(q, item, grade, score, cutoffs=[1], n_boot=0, no_relevant="exclude")
    assert ex["n_queries"] == 1 and ex["excluded_queries"] == 1 and ex["metrics"]["ndcg@1"]["value"] == 1.0
    zero = evaluate_ranking(q, item, grade, score, cutoffs=[1], n_boot=0, no_relevant="zero")
    assert zero["n_queries"] == 2 and zero["metrics"]["ndcg@1"]["value"] == 0.5


def test_duplicate_pairs_are_refused_with_both_rows():
    with pytest.raises(RankingDataError, match="duplicate .* query 'a', item 'x'") as err:
        rank(["a", "b", "a"], ["x", "x", "x"], [1, 1, 0], [0.1, 0.2, 0.3])
    assert (err.value.row, err.value.first) == (2, 0)


def _exposure_loop(q, item, grade, score, group, cutoff, min_size):
    """Per-query shares the slow way."""
    qids = np.unique(q)
    labels = sorted(set(group))
    es, rs = [], []
    for qid in qids:
        m = np.flatnonzero(q == qid)
        order = sorted(m, key=lambda i: (-score[i], item[i]))
        e = {g: 0.0 for g in labels}
        r = {g: 0.0 for g in labels}
        for pos, i in enumerate(order, start=1):
            if cutoff is None or pos <= cutoff:
                e[group[i]] += 1 / np.log2(1 + pos)
            r[group[i]] += float(grade[i] >= 1)
        te, tr = sum(e.values()), sum(r.values())
        es.append([e[g] / te for g in labels])
        rs.append([r[g] / tr for g in labels])
    es, rs = np.mean(es, axis=0), np.mean(rs, axis=0)
    counts = np.array([sum(1 for x in group if x == g) for g in labels])
    big = counts >= min_size
    ratio = es / rs
    return labels, es, rs, ratio[big].min() / ratio[big].max(), np.abs(es - rs)[big].max()


@pytest.mark.parametrize("cutoff", [None, 5])
def test_exposure_equals_a_per_query_loop(cutoff):
    q, item, grade, score = _random(8)
    rng = np.random.default_rng(0)
    group = rng.choice(["p", "r", "s", "t"], size=len(q), p=[0.45, 0.3, 0.24, 0.01])
    r = rank(q, item, grade, score)
    rep = exposure_report(r, group, cutoff=cutoff, min_group_size=20, n_boot=100, seed=1)
    labels, es, rs, ratio, diff = _exposure_loop(q, item, grade, score, group, cutoff, 20)
    got = {g["group"]: g for g in rep["groups"]}
    for i, lab in enumerate(labels):
        assert got[lab]["exposure_share"] == pytest.approx(es[i], abs=1e-12)
        assert got[lab]["relevant_share"] == pytest.approx(rs[i], abs=1e-12)
    assert rep["disparities"]["exposure_ratio"]["value"] == pytest.approx(ratio, abs=1e-12)
    assert rep["disparities"]["exposure_difference"]["value"] == pytest.approx(diff, abs=1e-12)
    assert rep["small_groups"] == ["t"] and got["t"]["small"]
    lo, hi = rep["disparities"]["exposure_ratio"]["ci"]
    assert 0 <= lo <= hi <= 1


def test_exposure_needs_two_comparable_groups():
    q, item, grade, score = _random(9, nq=10)
    rep = exposure_report(rank(q, item, grade, score), np.array(["a"] * len(q)), n_boot=10)
    assert rep["disparities"]["exposure_ratio"]["value"] is None
    assert "fewer than two groups" in rep["disparities"]["exposure_ratio"]["reason"]
