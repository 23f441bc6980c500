"""Sufficient statistics of one batch equal a plain count, whatever path codes the columns.

Batches are counted in cache-sized pieces and small integer ranges are coded by
offset rather than hashed; these tests hold both to a naive Counter over rows.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pyarrow as pa
import pytest

from charter.metrics import sufficient
from charter.metrics.sufficient import MISSING, KeyCounts, ScoreHistogram


def _naive(*columns: list) -> Counter:
    return Counter(zip(*columns))


def _plain(values: list) -> list:
    return [MISSING if v is None else v for v in values]


@pytest.mark.parametrize("labels", [[0, 1], [-1, 1], [3, 7, 5], [10**9, 10**9 + 70000]])
def test_integer_keys_count_like_a_counter(labels: list[int]) -> None:
    rng = np.random.default_rng(0)
    n = 3 * sufficient.CHUNK_ROWS + 17  # several pieces and a short last one
    y = rng.choice(labels, n)
    region = rng.choice(["north", "south", "east"], n)
    p = rng.random(n) < 0.4
    got = KeyCounts.of(("region", "y", "p"), [pa.array(region).dictionary_encode(), pa.array(y.astype(np.int64)),
                                              pa.array(p)])
    assert got.counts == _naive(region.tolist(), y.tolist(), p.tolist())
    assert got.total == n


def test_int8_labels_and_boolean_numpy_predictions() -> None:
    rng = np.random.default_rng(1)
    n = sufficient.CHUNK_ROWS + 5
    y = rng.integers(0, 2, n).astype(np.int8)
    p = rng.random(n) < 0.5
    got = KeyCounts.of(("y", "p"), [pa.array(y), p])
    assert got.counts == _naive(y.tolist(), p.tolist())


def test_missing_values_are_one_key() -> None:
    sex = ["f", None, "m", None, "f"]
    y = [1, 0, None, 1, 1]
    got = KeyCounts.of(("sex", "y"), [pa.array(sex), pa.array(y, pa.int64())])
    assert got.counts == _naive(_plain(sex), _plain(y))


def test_many_distinct_keys_take_the_sorting_path() -> None:
    rng = np.random.default_rng(2)
    n = 50_000
    ids = rng.integers(0, 10**12, n)  # too wide a range to code by offset, too many cells to count densely
    other = rng.integers(0, 10**12, n)
    got = KeyCounts.of(("a", "b"), [pa.array(ids), pa.array(other)])
    assert got.counts == _naive(ids.tolist(), other.tolist())


def test_score_histogram_in_pieces_equals_one_pass() -> None:
    rng = np.random.default_rng(3)
    n = 2 * sufficient.CHUNK_ROWS + 999
    bins = 1024
    scores = rng.random(n).round(4)
    region = rng.choice(["a", "b"], n)
    y = rng.integers(0, 2, n)
    got = ScoreHistogram.of([pa.array(region), pa.array(y)], scores, bins)
    cells = np.clip(np.floor(scores * bins), 0, bins - 1).astype(int)
    for key in {(r, int(v)) for r, v in zip(region.tolist(), y.tolist())}:
        rows = (region == key[0]) & (y == key[1])
        assert np.array_equal(got.hist[key], np.bincount(cells[rows], minlength=bins))
        s = scores[rows]
        eps = np.finfo(np.float64).eps
        want = [(-np.log(np.clip(s, eps, 1 - eps))).sum(), (-np.log(np.clip(1 - s, eps, 1 - eps))).sum(),
                (s * s).sum(), ((1 - s) ** 2).sum()]
        assert got.sums[key] == pytest.approx(want, rel=1e-12)
    assert (got.low, got.high) == (scores.min(), scores.max())
    assert sum(int(h.sum()) for h in got.hist.values()) == n


@pytest.mark.parametrize("threads", [1, 2, 3])
@pytest.mark.parametrize("n", range(1, 41))
def test_partitions_merge_in_the_same_tree_here_and_on_a_cluster(n: int, threads: int) -> None:
    """The streamed merge here pairs partitions exactly as the cluster's tree does, whose tasks each reduce
    a block of partitions (a power of two of them), merged above the blocks as their results come."""
    from charter.jobs import partitioned

    submitted: list[str] = []
    cancelled: list[object] = []

    class FakeFuture:  # done once its result was taken (the tree takes them in submission order)
        def __init__(self, value: object) -> None:
            self.value, self.taken = value, False

        def result(self) -> object:
            self.taken = True
            if isinstance(self.value, Exception):
                raise self.value
            return self.value

        def done(self) -> bool:
            return self.taken

        def release(self) -> None:
            pass

        def cancel(self) -> None:
            cancelled.append(self.value)

    def value(x):  # noqa: ANN001, ANN202
        return x.value if isinstance(x, FakeFuture) else x

    class FakeClient:  # runs each task at once, in submission order
        def nthreads(self) -> dict[str, int]:
            return {f"w{i}": 1 for i in range(threads)}

        def submit(self, fn, *args, pure=True, priority=0):  # noqa: ANN001, ANN201
            submitted.append(fn.__name__)
            try:
                return FakeFuture(fn(*[value(a) for a in args]))
            except ValueError as exc:
                return FakeFuture(exc)

    def leaf(part: int, tag: str) -> str:
        return f"{tag}{part}"

    def merge(a: str, b: str) -> str:  # not associative: the string shows the tree
        return f"({a} {b})"

    parts = list(range(n))
    here = partitioned.reduce_partitions(leaf, merge, parts, "p")
    there = partitioned.reduce_partitions(leaf, merge, parts, "p", client=FakeClient())
    assert here == there
    # the cluster runs blocks only: a merge task would hold a worker's slot while its inputs travel to it
    assert submitted == ["_block"] * len(partitioned.blocks(n, threads))
    # the cluster's tasks: aligned power-of-two blocks covering every partition once, never growing
    spans = [(i << h, min((i + 1) << h, n)) for h, i in partitioned.blocks(n, threads)]
    assert [a for a, _ in spans] == [0] + [b for _, b in spans[:-1]] and spans[-1][1] == n
    sizes = [b - a for a, b in spans]
    assert sizes == sorted(sizes, reverse=True)
    # no block is larger than its share of what remains, and the shares are taken whole (powers of two)
    for (a, b), size in zip(spans, sizes, strict=True):
        share = max(1, (n - a) // (partitioned.SHARES_PER_THREAD * threads))
        assert size <= share < 2 * size or a % (2 * size)
    assert threads == 1 or sizes[-1] == 1
    assert here.count("p") == n
    assert not cancelled
    # a block that fails: its error comes back, and the blocks after it are cancelled, not left running
    submitted.clear()

    def failing(part: int, tag: str) -> str:
        if part == 0:
            raise ValueError(f"partition {part} is corrupt")
        return f"{tag}{part}"

    with pytest.raises(ValueError, match="partition 0 is corrupt"):
        partitioned.reduce_partitions(failing, merge, parts, "p", client=FakeClient())
    assert len(cancelled) == len(submitted) - 1  # every block after the first, which failed
