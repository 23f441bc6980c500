"""Pure data helpers: labels, dynamic padding, length-bucketed batches, macro-F1, config checks."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import f1_score

from charter.textmodels import TextTrainConfig
from charter.textmodels.data import (
    TokenizedTexts,
    encode_labels,
    inference_batches,
    label_vocabulary,
    macro_f1,
    pad_batch,
    training_batches,
)


def _tokens(lengths: list[int]) -> TokenizedTexts:
    """Texts whose token ids are 100*i + position, so every value says where it came from."""
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    ids = np.concatenate([100 * i + np.arange(n) + 1 for i, n in enumerate(lengths)]).astype(np.int64)
    return TokenizedTexts(features={"input_ids": ids, "token_type_ids": np.zeros_like(ids)}, offsets=offsets)


def test_label_vocabulary_is_sorted_strings() -> None:
    assert label_vocabulary(["b", "a", "b", 3]) == ("3", "a", "b")


def test_label_vocabulary_needs_two_classes() -> None:
    with pytest.raises(ValueError, match="at least 2 distinct labels"):
        label_vocabulary(["a", "a"])


def test_encode_labels_rejects_labels_unseen_in_training() -> None:
    assert encode_labels(["b", "a"], ("a", "b"), split="validation").tolist() == [1, 0]
    with pytest.raises(ValueError, match=r"validation labels \['c'\] do not occur"):
        encode_labels(["a", "c"], ("a", "b"), split="validation")


def test_pad_batch_pads_to_the_longest_in_the_batch_not_max_length() -> None:
    tokens = _tokens([3, 5, 2, 9])

    batch = pad_batch(tokens, np.array([2, 0]), pad_token_id=0)

    assert batch["input_ids"].tolist() == [[201, 202, 0], [1, 2, 3]]
    assert batch["attention_mask"].tolist() == [[1, 1, 0], [1, 1, 1]]
    assert batch["token_type_ids"].shape == (2, 3)


def test_pad_batch_left_padding() -> None:
    batch = pad_batch(_tokens([3, 1]), np.array([0, 1]), pad_token_id=7, padding_side="left")

    assert batch["input_ids"].tolist() == [[1, 2, 3], [7, 7, 101]]
    assert batch["attention_mask"].tolist() == [[1, 1, 1], [0, 0, 1]]


def test_training_batches_cover_every_example_once_and_are_reproducible() -> None:
    lengths = np.random.default_rng(0).integers(1, 100, size=203)

    first = training_batches(lengths, 16, np.random.default_rng(5), bucket_multiplier=4)
    again = training_batches(lengths, 16, np.random.default_rng(5), bucket_multiplier=4)
    other = training_batches(lengths, 16, np.random.default_rng(6), bucket_multiplier=4)

    assert sorted(np.concatenate(first).tolist()) == list(range(203))
    assert [b.tolist() for b in first] == [b.tolist() for b in again]
    assert [b.tolist() for b in first] != [b.tolist() for b in other]
    assert all(len(b) <= 16 for b in first)


def test_length_bucketing_reduces_padding() -> None:
    lengths = np.random.default_rng(0).integers(1, 128, size=512)

    def padded_tokens(multiplier: int) -> int:
        batches = training_batches(lengths, 32, np.random.default_rng(0), bucket_multiplier=multiplier)
        return sum(int(lengths[b].max()) * len(b) for b in batches)

    assert padded_tokens(16) < 0.7 * padded_tokens(1)


def test_successive_epochs_differ_with_one_generator() -> None:
    rng = np.random.default_rng(0)
    lengths = np.arange(64)
    epoch1 = training_batches(lengths, 8, rng)
    epoch2 = training_batches(lengths, 8, rng)
    assert [b.tolist() for b in epoch1] != [b.tolist() for b in epoch2]


def test_inference_batches_sort_by_length_and_cover_everything() -> None:
    lengths = np.array([3, 9, 1, 7, 5])
    batches = list(inference_batches(lengths, 2))
    assert [b.tolist() for b in batches] == [[1, 3], [4, 0], [2]]


@pytest.mark.parametrize("seed", range(5))
def test_macro_f1_matches_sklearn(seed: int) -> None:
    rng = np.random.default_rng(seed)
    y_true = rng.integers(0, 4, size=50)
    y_pred = rng.integers(0, 3, size=50)  # class 3 is never predicted

    expected = f1_score(y_true, y_pred, average="macro", labels=range(4), zero_division=0)

    assert macro_f1(y_true, y_pred, 4) == pytest.approx(expected)


def test_config_collects_every_problem() -> None:
    with pytest.raises(ValueError) as caught:
        TextTrainConfig(epochs=0, batch_size=0, warmup_ratio=1.5, early_stopping_metric="accuracy")  # type: ignore[arg-type]
    message = str(caught.value)
    for field in ("epochs", "batch_size", "warmup_ratio", "early_stopping_metric"):
        assert field in message


def test_config_is_frozen_and_serialisable() -> None:
    config = TextTrainConfig(seed=3)
    with pytest.raises(AttributeError):
        config.seed = 4  # type: ignore[misc]
    assert config.to_dict()["seed"] == 3
    assert config.effective_eval_batch_size == 2 * config.batch_size
