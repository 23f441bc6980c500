"""Trained text classifiers held in memory: a fine-tuned transformer or a frozen encoder plus a linear head."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

import numpy as np

from .data import TokenizedTexts, tokenize
from .deps import require_text_extras
from .runtime import forward_in_batches, pad_token_id

if TYPE_CHECKING:
    import torch

ModelKind = Literal["fine_tune", "linear_probe"]


class TextClassifier(Protocol):
    """What the job engine needs from any trained text classifier."""

    kind: ModelKind
    labels: tuple[str, ...]

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray: ...

    def predict(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]: ...


def labels_from_probabilities(labels: Sequence[str], probabilities: np.ndarray) -> np.ndarray:
    """The most probable label of each row (the first one on ties, like ``argmax``)."""
    return np.asarray(labels, dtype=str)[probabilities.argmax(axis=1)]


@dataclass
class FineTunedClassifier:
    """A transformer with a sequence-classification head, plus its tokenizer."""

    model: Any  # transformers PreTrainedModel
    tokenizer: Any
    labels: tuple[str, ...]
    max_length: int
    batch_size: int
    device: str
    kind: ModelKind = field(default="fine_tune", init=False)

    def logits(self, texts: Sequence[str]) -> np.ndarray:
        return self.logits_of_tokens(tokenize(self.tokenizer, texts, self.max_length))

    def logits_of_tokens(self, tokens: TokenizedTexts) -> np.ndarray:
        """Logits of already tokenised texts; leaves the model in eval mode."""
        self.model.eval()
        return forward_in_batches(
            lambda batch: self.model(**batch).logits,
            tokens,
            width=len(self.labels),
            batch_size=self.batch_size,
            pad_token_id=pad_token_id(self.tokenizer),
            padding_side=self.tokenizer.padding_side,
            device=self.device,
        )

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        return softmax(self.logits(texts).astype(np.float64))

    def predict(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        probabilities = self.predict_proba(texts)
        return labels_from_probabilities(self.labels, probabilities), probabilities


@dataclass
class FrozenEncoder:
    """Sentence embeddings: mean of the last hidden states over real (non-padding) tokens."""

    model: Any  # transformers PreTrainedModel without a head
    tokenizer: Any
    source_dir: Path
    max_length: int
    batch_size: int
    device: str
    normalize: bool = True

    @property
    def dimension(self) -> int:
        return int(self.model.config.hidden_size)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.model.eval()
        tokens = tokenize(self.tokenizer, texts, self.max_length)
        return forward_in_batches(
            self._pooled,
            tokens,
            width=self.dimension,
            batch_size=self.batch_size,
            pad_token_id=pad_token_id(self.tokenizer),
            padding_side=self.tokenizer.padding_side,
            device=self.device,
        )

    def _pooled(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        torch, _ = require_text_extras()
        hidden = self.model(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
        return torch.nn.functional.normalize(pooled, p=2, dim=1) if self.normalize else pooled


@dataclass
class LinearProbeClassifier:
    """A frozen encoder and a logistic-regression head stored as plain arrays.

    The head is applied with numpy, so predicting never needs scikit-learn or
    a pickled estimator: binary heads have one row of coefficients (sigmoid),
    multi-class heads one row per class (softmax), as in scikit-learn.
    """

    encoder: FrozenEncoder
    coef: np.ndarray
    intercept: np.ndarray
    labels: tuple[str, ...]
    kind: ModelKind = field(default="linear_probe", init=False)

    def proba_from_embeddings(self, embeddings: np.ndarray) -> np.ndarray:
        scores = embeddings.astype(np.float64) @ self.coef.T + self.intercept
        if self.coef.shape[0] == 1:
            positive = 1.0 / (1.0 + np.exp(-scores[:, 0]))
            return np.column_stack([1.0 - positive, positive])
        return softmax(scores)

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        return self.proba_from_embeddings(self.encoder.embed(texts))

    def predict(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        probabilities = self.predict_proba(texts)
        return labels_from_probabilities(self.labels, probabilities), probabilities


def softmax(scores: np.ndarray) -> np.ndarray:
    shifted = np.exp(scores - scores.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)
