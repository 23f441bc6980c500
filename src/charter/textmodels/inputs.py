"""What both training routes (fine-tuning and the linear probe) check and derive first."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .artifacts import require_local_dir
from .data import check_split, encode_labels, label_vocabulary
from .deps import require_text_extras
from .runtime import resolve_device


@dataclass(frozen=True)
class TrainingInputs:
    source: Path
    """The local model folder."""
    labels: tuple[str, ...]
    """Class labels (as strings, sorted): the class ids are their positions."""
    y_train: np.ndarray
    y_val: np.ndarray
    device: str


def prepare_training(
    model_dir: str | os.PathLike[str],
    train_texts: Sequence[str],
    train_labels: Sequence[object],
    val_texts: Sequence[str],
    val_labels: Sequence[object],
    device: str | None,
) -> TrainingInputs:
    """Check the extras, the model folder and both splits; encode the labels; pick the device."""
    require_text_extras()
    source = require_local_dir(model_dir)
    check_split(train_texts, train_labels, split="train")
    check_split(val_texts, val_labels, split="validation")
    labels = label_vocabulary(train_labels)
    return TrainingInputs(
        source=source,
        labels=labels,
        y_train=encode_labels(train_labels, labels, split="train"),
        y_val=encode_labels(val_labels, labels, split="validation"),
        device=resolve_device(device),
    )
