"""The linear probe: a frozen tiny BERT, mean pooling, and a logistic-regression head."""

from __future__ import annotations

import json
import pickle
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from sklearn.linear_model import LogisticRegression
from textmodels_support import Split, make_split

from charter.textmodels import (
    LinearProbeClassifier,
    TextModelResult,
    TextTrainConfig,
    artifact_sha256,
    linear_probe,
    load,
    predict,
    save,
)

# A random tiny encoder separates the classes only weakly: a weakly regularised head is needed.
CONFIG = TextTrainConfig(probe_c=100.0, max_length=32, num_threads=1, seed=3)


@pytest.fixture(scope="module")
def probed(tiny_bert: Path, train_split: Split, val_split: Split, test_split: Split) -> TextModelResult:
    return linear_probe(
        train_split.texts,
        train_split.labels,
        val_split.texts,
        val_split.labels,
        tiny_bert,
        config=CONFIG,
        eval_texts=test_split.texts,
    )


def test_probe_learns_above_chance(probed: TextModelResult, test_split: Split) -> None:
    accuracy = float((probed.eval_predictions == np.asarray(test_split.labels)).mean())
    assert accuracy >= 0.75  # chance is 0.5
    assert probed.kind == "linear_probe"
    assert probed.best_epoch == 1 and len(probed.history) == 1 and not probed.stopped_early
    record = probed.history[0]
    assert record.val_macro_f1 > 0.5 and record.examples_per_second > 0
    assert 0 < record.train_loss < np.log(2) and record.val_loss > 0


def test_probe_head_matches_sklearn(probed: TextModelResult, train_split: Split, test_split: Split) -> None:
    classifier = probed.classifier
    assert isinstance(classifier, LinearProbeClassifier)
    embeddings = classifier.encoder.embed(train_split.texts)
    oracle = LogisticRegression(C=CONFIG.probe_c, max_iter=CONFIG.probe_max_iter, random_state=CONFIG.seed)
    oracle.fit(embeddings.astype(np.float64), [probed.labels.index(label) for label in train_split.labels])

    expected = oracle.predict_proba(classifier.encoder.embed(test_split.texts).astype(np.float64))

    np.testing.assert_allclose(probed.eval_probabilities, expected, atol=1e-9)


def test_probe_with_three_classes_uses_softmax_like_sklearn(tiny_bert: Path) -> None:
    classes = ("billing", "outage", "praise")
    train, val = make_split(60, seed=21, classes=classes), make_split(15, seed=22, classes=classes)
    result = linear_probe(
        train.texts, train.labels, val.texts, val.labels, tiny_bert, config=CONFIG, eval_texts=val.texts
    )
    classifier = result.classifier
    assert isinstance(classifier, LinearProbeClassifier) and classifier.coef.shape[0] == 3
    oracle = LogisticRegression(C=CONFIG.probe_c, max_iter=CONFIG.probe_max_iter, random_state=CONFIG.seed)
    oracle.fit(classifier.encoder.embed(train.texts).astype(np.float64), [classes.index(x) for x in train.labels])

    expected = oracle.predict_proba(classifier.encoder.embed(val.texts).astype(np.float64))

    np.testing.assert_allclose(result.eval_probabilities, expected, atol=1e-9)


def test_mean_pooling_ignores_padding(probed: TextModelResult, test_split: Split) -> None:
    classifier = probed.classifier
    assert isinstance(classifier, LinearProbeClassifier)
    encoder = classifier.encoder
    texts = test_split.texts[:6]  # different lengths, so batched texts get padded

    batched = encoder.embed(texts)

    for text, row in zip(texts, batched):
        inputs = encoder.tokenizer(text, return_tensors="pt")
        with torch.no_grad():
            hidden = encoder.model(**inputs).last_hidden_state[0]
        alone = torch.nn.functional.normalize(hidden.mean(dim=0), dim=0).numpy()
        np.testing.assert_allclose(row, alone, atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(batched, axis=1), 1.0, atol=1e-5)


def test_probe_is_deterministic(
    probed: TextModelResult, tiny_bert: Path, train_split: Split, val_split: Split, test_split: Split
) -> None:
    again = linear_probe(
        train_split.texts,
        train_split.labels,
        val_split.texts,
        val_split.labels,
        tiny_bert,
        config=CONFIG,
        eval_texts=test_split.texts,
    )
    np.testing.assert_array_equal(again.eval_probabilities, probed.eval_probabilities)


def test_probe_save_load_round_trip_without_pickle(
    probed: TextModelResult, test_split: Split, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sha = save(probed, tmp_path / "probe")
    assert save(probed, tmp_path / "again") == sha  # byte-for-byte reproducible, npz included
    assert sorted(p.name for p in (tmp_path / "probe").iterdir()) == ["charter_text_model.json", "head.npz"]

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a pickle was loaded")

    monkeypatch.setattr(pickle, "load", refuse)
    monkeypatch.setattr(pickle, "loads", refuse)
    monkeypatch.setattr(torch, "load", refuse)
    labels, probabilities = predict(tmp_path / "probe", test_split.texts)

    np.testing.assert_array_equal(labels, probed.eval_predictions)
    np.testing.assert_allclose(probabilities, probed.eval_probabilities, atol=1e-9)
    assert artifact_sha256(tmp_path / "probe") == sha


def test_probe_refuses_a_changed_encoder(tiny_bert: Path, train_split: Split, val_split: Split, tmp_path: Path) -> None:
    encoder_dir = Path(shutil.copytree(tiny_bert, tmp_path / "encoder"))
    result = linear_probe(
        train_split.texts,
        train_split.labels,
        val_split.texts,
        val_split.labels,
        encoder_dir,
        config=replace(CONFIG, probe_max_iter=50),
        out_dir=tmp_path / "probe",
    )
    metadata = json.loads((tmp_path / "probe" / "charter_text_model.json").read_text())
    assert metadata["encoder_dir"] == str(encoder_dir.resolve())
    assert metadata["encoder_sha256"] == artifact_sha256(encoder_dir)
    assert result.artifact_sha256 == artifact_sha256(tmp_path / "probe")

    config_file = encoder_dir / "config.json"
    config_file.write_text(config_file.read_text() + "\n")

    with pytest.raises(ValueError, match="changed since the probe was trained"):
        load(tmp_path / "probe")
    assert isinstance(load(tmp_path / "probe", verify_encoder=False), LinearProbeClassifier)


def test_load_rejects_a_folder_that_is_not_a_saved_model(tiny_bert: Path) -> None:
    with pytest.raises(FileNotFoundError, match="charter_text_model.json is missing"):
        load(tiny_bert)
