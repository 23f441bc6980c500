"""Zero-shot text classification via a frozen encoder plus a linear head.

The pre-trained encoder is never updated: texts are embedded once (mean
pooling over real tokens, as sentence-transformers does for MiniLM) and a
logistic regression is fitted on the training embeddings. Cheap, strong as a
baseline, and a training job of its own with the same result type as
:func:`charter.textmodels.fine_tune`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .artifacts import load_encoder, save
from .classifiers import LinearProbeClassifier, labels_from_probabilities
from .config import TextTrainConfig
from .data import macro_f1
from .inputs import prepare_training
from .result import EpochRecord, TextModelResult
from .runtime import reproducible_runtime


def linear_probe(
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
    """Fit a logistic-regression head on frozen mean-pooled embeddings from ``model_dir``.

    Uses ``max_length``, ``eval_batch_size``, ``seed``, ``num_threads``,
    ``device``, ``probe_c``, ``probe_max_iter`` and ``normalize_embeddings``
    of ``config``; the history holds one record (the fit is not epoch-based).
    """
    config = config or TextTrainConfig()
    started = time.perf_counter()
    prepared = prepare_training(model_dir, train_texts, train_labels, val_texts, val_labels, config.device)
    source, labels, y_train, y_val, device = (
        prepared.source, prepared.labels, prepared.y_train, prepared.y_val, prepared.device)

    with reproducible_runtime(seed=config.seed, num_threads=config.num_threads, device=device):
        encoder = load_encoder(
            source,
            max_length=config.max_length,
            batch_size=config.effective_eval_batch_size,
            device=device,
            normalize=config.normalize_embeddings,
        )
        import sklearn.linear_model  # noqa: F401  # imported here so the throughput excludes import time

        fit_started = time.perf_counter()
        train_embeddings = encoder.embed(train_texts)
        coef, intercept = fit_head(train_embeddings, y_train, config)
        seconds = time.perf_counter() - fit_started
        classifier = LinearProbeClassifier(encoder=encoder, coef=coef, intercept=intercept, labels=labels)
        val_probabilities = classifier.predict_proba(val_texts)
        probabilities = classifier.predict_proba(eval_texts) if eval_texts is not None else np.empty((0, len(labels)))

    record = EpochRecord(
        epoch=1,
        train_loss=log_loss(classifier.proba_from_embeddings(train_embeddings), y_train),
        val_loss=log_loss(val_probabilities, y_val),
        val_macro_f1=macro_f1(y_val, val_probabilities.argmax(axis=1), len(labels)),
        examples_per_second=len(y_train) / max(seconds, 1e-9),
        seconds=seconds,
    )
    artifact_dir, sha = (str(Path(out_dir)), save(classifier, out_dir)) if out_dir is not None else (None, None)
    return TextModelResult(
        kind="linear_probe",
        labels=labels,
        eval_predictions=labels_from_probabilities(labels, probabilities),
        eval_probabilities=probabilities,
        history=(record,),
        best_epoch=1,
        stopped_early=False,
        duration_seconds=time.perf_counter() - started,
        device=device,
        seed=config.seed,
        config=config,
        base_model_dir=str(source),
        artifact_dir=artifact_dir,
        artifact_sha256=sha,
        classifier=classifier,
    )


def fit_head(embeddings: np.ndarray, targets: np.ndarray, config: TextTrainConfig) -> tuple[np.ndarray, np.ndarray]:
    """Logistic regression on the embeddings; only its arrays are kept, never the estimator."""
    from sklearn.linear_model import LogisticRegression

    head = LogisticRegression(C=config.probe_c, max_iter=config.probe_max_iter, random_state=config.seed)
    head.fit(embeddings.astype(np.float64), targets)
    return head.coef_.copy(), head.intercept_.copy()


def log_loss(probabilities: np.ndarray, targets: np.ndarray) -> float:
    """Mean cross-entropy; probabilities are clipped so a confident mistake costs a finite amount."""
    picked = probabilities[np.arange(len(targets)), targets]
    return -float(np.log(np.clip(picked, 1e-15, 1.0)).mean())
