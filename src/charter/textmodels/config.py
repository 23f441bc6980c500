"""Training configuration shared by fine-tuning and the linear probe."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Literal

EarlyStoppingMetric = Literal["val_loss", "val_macro_f1"]
EARLY_STOPPING_METRICS: tuple[str, ...] = ("val_loss", "val_macro_f1")


@dataclass(frozen=True)
class TextTrainConfig:
    """Hyper-parameters of one text-classification training job.

    Frozen and made of plain values so that it can be hashed into the evidence
    key of a job and written to JSON as is (``dataclasses.asdict``).
    """

    epochs: int = 3
    """Maximum number of passes over the training split (early stopping may end sooner)."""
    batch_size: int = 16
    """Training examples per optimiser step."""
    eval_batch_size: int | None = None
    """Examples per forward pass at evaluation and prediction; ``None`` means twice ``batch_size``."""
    learning_rate: float = 5e-5
    """Peak learning rate of AdamW, reached at the end of warm-up."""
    weight_decay: float = 0.01
    """Decoupled weight decay; never applied to biases and LayerNorm weights."""
    warmup_ratio: float = 0.1
    """Fraction of all optimiser steps spent warming the learning rate up linearly from 0."""
    max_grad_norm: float | None = 1.0
    """Gradient clipping norm; ``None`` disables clipping."""
    max_length: int = 128
    """Texts are truncated to this many tokens (special tokens included)."""
    patience: int | None = 2
    """Epochs without improvement of the monitored metric before stopping; ``None`` never stops early."""
    early_stopping_metric: EarlyStoppingMetric = "val_loss"
    """Validation metric that selects the best epoch: lower loss or higher macro-F1."""
    min_delta: float = 0.0
    """Smallest change of the monitored metric that counts as an improvement."""
    seed: int = 0
    """Seed of every random number generator involved (python, numpy, torch, shuffling)."""
    freeze_encoder: bool = False
    """Train only the classification head, keeping the pre-trained encoder fixed."""
    num_threads: int | None = None
    """CPU threads for torch (``torch.set_num_threads``); ``None`` keeps the current setting."""
    device: str | None = None
    """``"cpu"``, ``"cuda"``, ``"cuda:1"`` ...; ``None`` picks CUDA when available."""
    bucket_multiplier: int = 16
    """Batches are formed inside shuffled pools of ``bucket_multiplier * batch_size`` examples
    sorted by length, which cuts padding; 1 disables length bucketing."""
    probe_c: float = 1.0
    """Inverse regularisation strength of the linear probe's logistic regression."""
    probe_max_iter: int = 1000
    """Iteration budget of the linear probe's solver."""
    normalize_embeddings: bool = True
    """L2-normalise the mean-pooled embeddings of the probe, as sentence-transformers does for MiniLM."""

    def __post_init__(self) -> None:
        problems = list(_problems(self))
        if problems:
            raise ValueError("invalid TextTrainConfig: " + "; ".join(problems))

    @property
    def effective_eval_batch_size(self) -> int:
        return self.eval_batch_size if self.eval_batch_size is not None else 2 * self.batch_size

    def to_dict(self) -> dict[str, object]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def _problems(config: TextTrainConfig) -> list[str]:
    checks: list[tuple[bool, str]] = [
        (config.epochs >= 1, f"epochs must be >= 1, got {config.epochs}"),
        (config.batch_size >= 1, f"batch_size must be >= 1, got {config.batch_size}"),
        (
            config.eval_batch_size is None or config.eval_batch_size >= 1,
            f"eval_batch_size must be >= 1, got {config.eval_batch_size}",
        ),
        (config.learning_rate > 0, f"learning_rate must be > 0, got {config.learning_rate}"),
        (config.weight_decay >= 0, f"weight_decay must be >= 0, got {config.weight_decay}"),
        (0 <= config.warmup_ratio < 1, f"warmup_ratio must be in [0, 1), got {config.warmup_ratio}"),
        (
            config.max_grad_norm is None or config.max_grad_norm > 0,
            f"max_grad_norm must be > 0, got {config.max_grad_norm}",
        ),
        (config.max_length >= 2, f"max_length must be >= 2, got {config.max_length}"),
        (
            config.patience is None or config.patience >= 1,
            f"patience must be >= 1 or None, got {config.patience}",
        ),
        (
            config.early_stopping_metric in EARLY_STOPPING_METRICS,
            f"early_stopping_metric must be one of {EARLY_STOPPING_METRICS}, got {config.early_stopping_metric!r}",
        ),
        (config.min_delta >= 0, f"min_delta must be >= 0, got {config.min_delta}"),
        (
            config.num_threads is None or config.num_threads >= 1,
            f"num_threads must be >= 1, got {config.num_threads}",
        ),
        (config.bucket_multiplier >= 1, f"bucket_multiplier must be >= 1, got {config.bucket_multiplier}"),
        (config.probe_c > 0, f"probe_c must be > 0, got {config.probe_c}"),
        (config.probe_max_iter >= 1, f"probe_max_iter must be >= 1, got {config.probe_max_iter}"),
    ]
    return [message for ok, message in checks if not ok]
