"""What a text-classification training job returns."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .classifiers import ModelKind, TextClassifier
from .config import TextTrainConfig


@dataclass(frozen=True)
class EpochRecord:
    """Metrics of one epoch (the linear probe reports a single record)."""

    epoch: int
    """1-based epoch number."""
    train_loss: float
    """Mean cross-entropy over the training examples seen in this epoch."""
    val_loss: float
    """Mean cross-entropy on the validation split after this epoch."""
    val_macro_f1: float
    """Macro-F1 on the validation split after this epoch."""
    examples_per_second: float
    """Training throughput of this epoch (evaluation time excluded)."""
    seconds: float
    """Wall-clock training time of this epoch (evaluation excluded)."""


@dataclass(frozen=True)
class TextModelResult:
    """Outcome of :func:`fine_tune` or :func:`linear_probe`.

    Everything except ``classifier`` is plain data suitable for an evidence
    record; ``classifier`` is the trained model in memory, for :func:`save`
    and further predictions.
    """

    kind: ModelKind
    labels: tuple[str, ...]
    """Class names; column ``i`` of every probability array is ``labels[i]``."""
    eval_predictions: np.ndarray = field(repr=False, compare=False)
    """Predicted label (str) per evaluation text; empty when no ``eval_texts`` were given."""
    eval_probabilities: np.ndarray = field(repr=False, compare=False)
    """Shape ``(len(eval_texts), len(labels))``; rows sum to 1."""
    history: tuple[EpochRecord, ...]
    best_epoch: int
    """1-based epoch whose weights were kept."""
    stopped_early: bool
    duration_seconds: float
    """Wall-clock time of the whole job, including loading, evaluation and saving."""
    device: str
    seed: int
    config: TextTrainConfig
    base_model_dir: str
    """The local folder of the pre-trained model (the encoder for the probe)."""
    artifact_dir: str | None = None
    """Where the model was saved, if it was."""
    artifact_sha256: str | None = None
    """:func:`artifact_sha256` of ``artifact_dir``, if saved."""
    classifier: TextClassifier | None = field(default=None, repr=False, compare=False)
