"""Label encoding, tokenisation and batching: numpy only, no torch.

Texts are tokenised once, without padding, into one flat array per feature.
Each batch is then padded to its own longest sequence (dynamic padding), and
training batches are drawn from length-sorted pools so that a batch holds
texts of similar length and little compute is spent on padding.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

ATTENTION_MASK = "attention_mask"


class Tokenizer(Protocol):
    """The part of a transformers tokenizer that is used here."""

    pad_token_id: int | None
    padding_side: str

    def __call__(self, texts: list[str], **kwargs: Any) -> Any: ...


def label_vocabulary(train_labels: Sequence[object]) -> tuple[str, ...]:
    """Sorted distinct labels, as strings; id ``i`` is ``vocabulary[i]``."""
    vocabulary = tuple(sorted({str(label) for label in train_labels}))
    if len(vocabulary) < 2:
        raise ValueError(f"a classifier needs at least 2 distinct labels in the training split, got {list(vocabulary)}")
    return vocabulary


def encode_labels(labels: Sequence[object], vocabulary: Sequence[str], *, split: str) -> np.ndarray:
    """Map labels to ids of ``vocabulary``; labels unseen in training are an error."""
    index = {label: i for i, label in enumerate(vocabulary)}
    unknown = sorted({str(label) for label in labels} - index.keys())
    if unknown:
        raise ValueError(f"{split} labels {unknown} do not occur in the training labels {list(vocabulary)}")
    return np.fromiter((index[str(label)] for label in labels), dtype=np.int64, count=len(labels))


def check_split(texts: Sequence[str], labels: Sequence[object], *, split: str) -> None:
    if len(texts) != len(labels):
        raise ValueError(f"{split}: {len(texts)} texts but {len(labels)} labels")
    if len(texts) == 0:
        raise ValueError(f"{split}: no examples")


@dataclass(frozen=True)
class TokenizedTexts:
    """Unpadded token features of many texts, stored flat with offsets."""

    features: dict[str, np.ndarray]
    """Feature name (``input_ids``, ``token_type_ids`` ...) to the concatenation of all texts' values."""
    offsets: np.ndarray
    """``offsets[i]:offsets[i + 1]`` is text ``i``'s slice of every feature."""

    @property
    def lengths(self) -> np.ndarray:
        return np.diff(self.offsets)

    def __len__(self) -> int:
        return len(self.offsets) - 1


def tokenize(tokenizer: Tokenizer, texts: Sequence[str], max_length: int) -> TokenizedTexts:
    """Tokenise without padding; the attention mask is rebuilt per batch."""
    texts = [str(text) for text in texts]
    if not texts:
        return TokenizedTexts(features={}, offsets=np.zeros(1, dtype=np.int64))
    encoded = tokenizer(texts, truncation=True, max_length=max_length, padding=False)
    names = [name for name in encoded if name != ATTENTION_MASK]
    lengths = np.fromiter((len(ids) for ids in encoded["input_ids"]), dtype=np.int64, count=len(texts))
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    features = {
        name: np.fromiter((token for row in encoded[name] for token in row), dtype=np.int64, count=int(offsets[-1]))
        for name in names
    }
    return TokenizedTexts(features=features, offsets=offsets)


def effective_max_length(tokenizer: Any, requested: int) -> int:
    """``requested``, capped by what the model can take (its position embeddings)."""
    limit = getattr(tokenizer, "model_max_length", None)
    # Tokenizers without a known limit report a huge sentinel (int(1e30)).
    return min(requested, int(limit)) if isinstance(limit, int) and limit > 0 else requested


def pad_batch(
    tokens: TokenizedTexts,
    indices: np.ndarray,
    *,
    pad_token_id: int,
    padding_side: str = "right",
) -> dict[str, np.ndarray]:
    """Pad the texts at ``indices`` to the longest of them (not to ``max_length``)."""
    lengths = tokens.lengths[indices]
    width = int(lengths.max()) if len(indices) else 0
    batch = {
        name: np.full((len(indices), width), pad_token_id if name == "input_ids" else 0, dtype=np.int64)
        for name in tokens.features
    }
    mask = np.zeros((len(indices), width), dtype=np.int64)
    for row, (index, length) in enumerate(zip(indices, lengths)):
        start = int(tokens.offsets[index])
        columns = slice(0, length) if padding_side == "right" else slice(width - length, width)
        for name, values in tokens.features.items():
            batch[name][row, columns] = values[start : start + length]
        mask[row, columns] = 1
    batch[ATTENTION_MASK] = mask
    return batch


def training_batches(
    lengths: np.ndarray,
    batch_size: int,
    rng: np.random.Generator,
    *,
    bucket_multiplier: int = 16,
) -> list[np.ndarray]:
    """One epoch of shuffled batches, each drawn from a pool of similar lengths.

    The data are shuffled, cut into pools of ``bucket_multiplier`` batches, each
    pool is sorted by length and cut into batches, and the batch order is
    shuffled again, so that every epoch differs while padding stays small. The
    same ``rng`` state always gives the same batches.
    """
    order = rng.permutation(len(lengths))
    pool_size = batch_size * bucket_multiplier
    batches: list[np.ndarray] = []
    for start in range(0, len(order), pool_size):
        pool = order[start : start + pool_size]
        if bucket_multiplier > 1:
            pool = pool[np.argsort(-lengths[pool], kind="stable")]
        batches.extend(pool[i : i + batch_size] for i in range(0, len(pool), batch_size))
    return [batches[i] for i in rng.permutation(len(batches))]


def inference_batches(lengths: np.ndarray, batch_size: int) -> Iterator[np.ndarray]:
    """Batches of texts sorted by length: the least padding; outputs are scattered back by index."""
    order = np.argsort(-lengths, kind="stable")
    for start in range(0, len(order), batch_size):
        yield order[start : start + batch_size]


def macro_f1(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> float:
    """Macro-averaged F1 over all ``n_classes``; a class never true nor predicted scores 0.

    Same convention as ``sklearn.metrics.f1_score(average="macro", labels=range(n_classes),
    zero_division=0)``, without importing scikit-learn in the training loop.
    """
    confusion = np.bincount(y_true * n_classes + y_pred, minlength=n_classes * n_classes)
    confusion = confusion.reshape(n_classes, n_classes)
    true_positive = np.diag(confusion).astype(np.float64)
    denominator = confusion.sum(axis=0) + confusion.sum(axis=1)
    f1 = np.divide(2 * true_positive, denominator, out=np.zeros(n_classes), where=denominator > 0)
    return float(f1.mean())
