"""Fine-tuning a pre-trained transformer for text classification.

The loop is deliberately small: AdamW with a linear warm-up/decay schedule,
dynamic padding over length-bucketed batches, validation after every epoch,
early stopping that restores the best weights. It returns data and never prints.
"""

from __future__ import annotations

import logging
import math
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .artifacts import quiet_transformers, safetensors_only, save
from .classifiers import FineTunedClassifier, labels_from_probabilities
from .config import TextTrainConfig
from .data import (
    TokenizedTexts,
    effective_max_length,
    macro_f1,
    pad_batch,
    tokenize,
    training_batches,
)
from .deps import require_text_extras
from .inputs import prepare_training
from .result import EpochRecord, TextModelResult
from .runtime import pad_token_id, reproducible_runtime, to_tensors

if TYPE_CHECKING:
    import torch

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Split:
    tokens: TokenizedTexts
    targets: np.ndarray


def fine_tune(
    train_texts: Sequence[str],
    train_labels: Sequence[object],
    val_texts: Sequence[str],
    val_labels: Sequence[object],
    model_dir: str | os.PathLike[str],
    *,
    config: TextTrainConfig | None = None,
    eval_texts: Sequence[str] | None = None,
    out_dir: str | os.PathLike[str] | None = None,
) -> TextModelResult:
    """Fine-tune the model in the local folder ``model_dir`` on the training split.

    Labels are compared as strings; their sorted distinct values become the
    class ids. The validation split drives early stopping and the choice of
    the kept weights. ``eval_texts`` are predicted with the kept weights;
    ``out_dir``, if given, receives the saved model and its hash.
    """
    config = config or TextTrainConfig()
    started = time.perf_counter()
    prepared = prepare_training(model_dir, train_texts, train_labels, val_texts, val_labels, config.device)
    source, labels, y_train, y_val, device = (
        prepared.source, prepared.labels, prepared.y_train, prepared.y_val, prepared.device)

    with reproducible_runtime(seed=config.seed, num_threads=config.num_threads, device=device):
        classifier = load_for_classification(source, labels, config, device)
        train = _Split(tokenize(classifier.tokenizer, train_texts, classifier.max_length), y_train)
        val = _Split(tokenize(classifier.tokenizer, val_texts, classifier.max_length), y_val)
        history, best_epoch = _train(classifier, train, val, config)
        probabilities = classifier.predict_proba(eval_texts) if eval_texts is not None else np.empty((0, len(labels)))

    artifact_dir, sha = (str(Path(out_dir)), save(classifier, out_dir)) if out_dir is not None else (None, None)
    return TextModelResult(
        kind="fine_tune",
        labels=labels,
        eval_predictions=labels_from_probabilities(labels, probabilities),
        eval_probabilities=probabilities,
        history=tuple(history),
        best_epoch=best_epoch,
        stopped_early=len(history) < config.epochs,
        duration_seconds=time.perf_counter() - started,
        device=device,
        seed=config.seed,
        config=config,
        base_model_dir=str(source),
        artifact_dir=artifact_dir,
        artifact_sha256=sha,
        classifier=classifier,
    )


def load_for_classification(
    source: Path, labels: tuple[str, ...], config: TextTrainConfig, device: str
) -> FineTunedClassifier:
    """Pre-trained encoder plus a freshly initialised head with one output per label.

    Call after seeding: the head's initial weights come from torch's generator.
    """
    _, transformers = require_text_extras()
    with quiet_transformers():
        tokenizer = transformers.AutoTokenizer.from_pretrained(source, local_files_only=True)
        model = transformers.AutoModelForSequenceClassification.from_pretrained(
            source,
            local_files_only=True,
            num_labels=len(labels),
            id2label=dict(enumerate(labels)),
            label2id={label: i for i, label in enumerate(labels)},
            # A folder that already has a head for another label set gets a new one.
            ignore_mismatched_sizes=True,
            **safetensors_only(source),
        )
    if tokenizer.pad_token is None and tokenizer.eos_token is not None:
        # GPT-like vocabularies have no padding token; the model must know which id pads.
        tokenizer.pad_token = tokenizer.eos_token
        model.config.pad_token_id = tokenizer.pad_token_id
    if config.freeze_encoder:
        model.base_model.requires_grad_(False)
    return FineTunedClassifier(
        model=model.to(device),
        tokenizer=tokenizer,
        labels=labels,
        max_length=effective_max_length(tokenizer, config.max_length),
        batch_size=config.effective_eval_batch_size,
        device=device,
    )


# --------------------------------------------------------------------------- training loop


def _train(
    classifier: FineTunedClassifier, train: _Split, val: _Split, config: TextTrainConfig
) -> tuple[list[EpochRecord], int]:
    model = classifier.model
    optimizer = build_optimizer(model, config)
    steps_per_epoch = math.ceil(len(train.targets) / config.batch_size)
    scheduler = linear_schedule(optimizer, steps_per_epoch * config.epochs, config.warmup_ratio)
    # Own generator: batch order does not depend on what else consumed numpy's global one.
    rng = np.random.default_rng(config.seed)
    stopper = EarlyStopping(config.early_stopping_metric, config.patience, config.min_delta)
    history: list[EpochRecord] = []
    for epoch in range(1, config.epochs + 1):
        train_loss, seconds = _train_epoch(classifier, train, optimizer, scheduler, rng, config)
        val_loss, val_f1 = _validate(classifier, val)
        history.append(
            EpochRecord(epoch, train_loss, val_loss, val_f1, len(train.targets) / max(seconds, 1e-9), seconds)
        )
        logger.debug("epoch %d: %s", epoch, history[-1])
        score = val_loss if config.early_stopping_metric == "val_loss" else val_f1
        if stopper.update(epoch, score, model, last=epoch == config.epochs):
            break
    stopper.restore_best(model)
    return history, stopper.best_epoch


def _train_epoch(
    classifier: FineTunedClassifier,
    train: _Split,
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LRScheduler,
    rng: np.random.Generator,
    config: TextTrainConfig,
) -> tuple[float, float]:
    """One pass over shuffled length-bucketed batches; returns (mean loss, seconds)."""
    torch, _ = require_text_extras()
    model, tokenizer, device = classifier.model, classifier.tokenizer, classifier.device
    trainable = [p for p in model.parameters() if p.requires_grad]
    pad_id, side = pad_token_id(tokenizer), tokenizer.padding_side
    model.train()
    started = time.perf_counter()
    loss_sum = torch.zeros((), dtype=torch.float64, device=device)
    for indices in training_batches(
        train.tokens.lengths, config.batch_size, rng, bucket_multiplier=config.bucket_multiplier
    ):
        batch = to_tensors(pad_batch(train.tokens, indices, pad_token_id=pad_id, padding_side=side), device)
        targets = torch.from_numpy(train.targets[indices]).to(device)
        loss = torch.nn.functional.cross_entropy(model(**batch).logits, targets)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if config.max_grad_norm is not None:
            torch.nn.utils.clip_grad_norm_(trainable, config.max_grad_norm)
        optimizer.step()
        scheduler.step()
        # Accumulated on the device: no host synchronisation per step.
        loss_sum += loss.detach() * len(indices)
    mean_loss = float(loss_sum) / len(train.targets)
    return mean_loss, time.perf_counter() - started


def _validate(classifier: FineTunedClassifier, val: _Split) -> tuple[float, float]:
    """Mean cross-entropy and macro-F1 of the current weights on the validation split."""
    logits = classifier.logits_of_tokens(val.tokens).astype(np.float64)
    log_probabilities = logits - _logsumexp(logits)
    loss = -float(log_probabilities[np.arange(len(val.targets)), val.targets].mean())
    return loss, macro_f1(val.targets, logits.argmax(axis=1), logits.shape[1])


def _logsumexp(scores: np.ndarray) -> np.ndarray:
    top = scores.max(axis=1, keepdims=True)
    return top + np.log(np.exp(scores - top).sum(axis=1, keepdims=True))


def build_optimizer(model: Any, config: TextTrainConfig) -> torch.optim.Optimizer:
    """AdamW over trainable parameters; biases and norm weights (1-D) are not decayed."""
    torch, _ = require_text_extras()
    trainable = [p for p in model.parameters() if p.requires_grad]
    groups = [
        {"params": [p for p in trainable if p.ndim >= 2], "weight_decay": config.weight_decay},
        {"params": [p for p in trainable if p.ndim < 2], "weight_decay": 0.0},
    ]
    groups = [group for group in groups if group["params"]]
    try:
        # The fused kernel is markedly faster (one kernel for all parameters) where torch has it.
        return torch.optim.AdamW(groups, lr=config.learning_rate, fused=True)
    except (RuntimeError, TypeError, ValueError):
        return torch.optim.AdamW(groups, lr=config.learning_rate)


def linear_schedule(
    optimizer: torch.optim.Optimizer, total_steps: int, warmup_ratio: float
) -> torch.optim.lr_scheduler.LRScheduler:
    """Linear warm-up from 0 to the peak rate, then linear decay to 0 at ``total_steps``."""
    torch, _ = require_text_extras()
    warmup_steps = math.ceil(total_steps * warmup_ratio)

    def factor(step: int) -> float:
        if step < warmup_steps:
            return step / warmup_steps
        return max(0.0, (total_steps - step) / max(1, total_steps - warmup_steps))

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)


@dataclass
class EarlyStopping:
    """Tracks the best epoch by a validation metric and keeps a copy of its weights."""

    metric: str
    patience: int | None
    min_delta: float = 0.0
    best_epoch: int = 0
    best_score: float | None = None
    stale_epochs: int = 0
    _best_state: dict[str, Any] | None = field(default=None, repr=False)

    def update(self, epoch: int, score: float, model: Any, *, last: bool = False) -> bool:
        """Record an epoch's score; returns True when training should stop.

        No snapshot is taken after the ``last`` epoch: if it is the best, the
        live weights are kept as they are (saves a copy of the whole model).
        """
        if self._improved(score):
            self.best_epoch, self.best_score, self.stale_epochs = epoch, score, 0
            # Copied off the device so the snapshot cannot alias weights the optimiser updates.
            self._best_state = (
                None if last else {k: v.detach().to("cpu", copy=True) for k, v in model.state_dict().items()}
            )
            return False
        self.stale_epochs += 1
        return self.patience is not None and self.stale_epochs >= self.patience

    def restore_best(self, model: Any) -> None:
        if self._best_state is not None:
            model.load_state_dict(self._best_state)

    def _improved(self, score: float) -> bool:
        if math.isnan(score):
            return self.best_score is None
        if self.best_score is None or math.isnan(self.best_score):
            return True
        if self.metric == "val_loss":
            return score < self.best_score - self.min_delta
        return score > self.best_score + self.min_delta
