"""Fine-tuning a tiny BERT built in the test session (no downloads, a second or so per run)."""

from __future__ import annotations

import pickle
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from textmodels_support import Split, make_split

from charter.textmodels import (
    FineTunedClassifier,
    TextModelResult,
    TextTrainConfig,
    artifact_sha256,
    fine_tune,
    load,
    predict,
    save,
)
from charter.textmodels import finetune as finetune_module
from charter.textmodels.finetune import EarlyStopping

CONFIG = TextTrainConfig(
    epochs=8,
    batch_size=16,
    learning_rate=3e-3,
    warmup_ratio=0.1,
    max_length=32,
    patience=None,
    seed=7,
    num_threads=1,
)


def _run(
    tiny_bert: Path,
    train: Split,
    val: Split,
    test: Split,
    config: TextTrainConfig = CONFIG,
    out_dir: Path | None = None,
) -> TextModelResult:
    return fine_tune(
        train.texts,
        train.labels,
        val.texts,
        val.labels,
        tiny_bert,
        config=config,
        eval_texts=test.texts,
        out_dir=out_dir,
    )


@pytest.fixture(scope="module")
def trained(tiny_bert: Path, train_split: Split, val_split: Split, test_split: Split) -> TextModelResult:
    return _run(tiny_bert, train_split, val_split, test_split)


def test_fine_tune_learns_a_separable_task(trained: TextModelResult, test_split: Split) -> None:
    accuracy = float((trained.eval_predictions == np.asarray(test_split.labels)).mean())

    assert accuracy >= 0.9  # chance is 0.5
    assert trained.labels == ("billing", "outage")
    assert trained.eval_probabilities.shape == (len(test_split.texts), 2)
    np.testing.assert_allclose(trained.eval_probabilities.sum(axis=1), 1.0, atol=1e-9)
    assert trained.history[-1].train_loss < trained.history[0].train_loss
    assert trained.history[-1].val_macro_f1 >= 0.9


def test_result_records_what_the_evidence_needs(trained: TextModelResult, tiny_bert: Path) -> None:
    assert trained.kind == "fine_tune"
    assert [record.epoch for record in trained.history] == list(range(1, CONFIG.epochs + 1))
    assert all(record.examples_per_second > 0 and record.seconds > 0 for record in trained.history)
    assert trained.device == "cpu"
    assert trained.seed == CONFIG.seed and trained.config == CONFIG
    assert trained.base_model_dir == str(tiny_bert)
    assert trained.duration_seconds > sum(record.seconds for record in trained.history)
    assert not trained.stopped_early
    assert trained.artifact_dir is None and trained.artifact_sha256 is None
    assert isinstance(trained.classifier, FineTunedClassifier)
    assert trained.classifier.model.config.id2label == {0: "billing", 1: "outage"}


def test_same_seed_gives_identical_results(
    trained: TextModelResult, tiny_bert: Path, train_split: Split, val_split: Split, test_split: Split, tmp_path: Path
) -> None:
    again = _run(tiny_bert, train_split, val_split, test_split, out_dir=tmp_path / "again")

    np.testing.assert_array_equal(again.eval_probabilities, trained.eval_probabilities)
    np.testing.assert_array_equal(again.eval_predictions, trained.eval_predictions)
    assert [(r.train_loss, r.val_loss) for r in again.history] == [(r.train_loss, r.val_loss) for r in trained.history]
    # Same weights, same bytes: the artifact hash identifies the model.
    assert save(trained, tmp_path / "first") == again.artifact_sha256


def test_another_seed_gives_another_model(
    trained: TextModelResult, tiny_bert: Path, train_split: Split, val_split: Split, test_split: Split
) -> None:
    other = _run(tiny_bert, train_split, val_split, test_split, replace(CONFIG, epochs=1, seed=8))
    first_epoch = _run(tiny_bert, train_split, val_split, test_split, replace(CONFIG, epochs=1))

    assert not np.array_equal(other.eval_probabilities, first_epoch.eval_probabilities)


def test_early_stopping_stops_and_restores_the_best_weights(
    tiny_bert: Path, train_split: Split, val_split: Split
) -> None:
    # Validation labels contradict training labels: the better the fit, the worse the validation loss.
    flipped = Split(val_split.texts, ["outage" if label == "billing" else "billing" for label in val_split.labels])
    config = replace(CONFIG, epochs=12, patience=2)

    result = _run(tiny_bert, train_split, flipped, flipped, config)

    val_losses = [record.val_loss for record in result.history]
    assert result.stopped_early
    assert len(result.history) == result.best_epoch + config.patience < config.epochs
    assert result.best_epoch == int(np.argmin(val_losses)) + 1
    assert val_losses[-1] > val_losses[result.best_epoch - 1]
    # The kept weights are the best epoch's, not the last one's: recompute its validation loss.
    targets = np.array([result.labels.index(label) for label in flipped.labels])
    restored_loss = -np.log(result.eval_probabilities[np.arange(len(targets)), targets]).mean()
    assert restored_loss == pytest.approx(val_losses[result.best_epoch - 1], abs=1e-5)


def test_early_stopping_on_macro_f1_keeps_the_first_best_epoch() -> None:
    model = torch.nn.Linear(2, 2)
    stopper = EarlyStopping("val_macro_f1", patience=2)
    scores = [0.5, 0.8, 0.8, 0.7]
    stopped = []
    for epoch, score in enumerate(scores, start=1):
        with torch.no_grad():
            model.weight.fill_(epoch)
        stopped.append(stopper.update(epoch, score, model))

    assert stopped == [False, False, False, True]
    assert stopper.best_epoch == 2
    stopper.restore_best(model)
    assert torch.all(model.weight == 2)


def test_training_batches_are_padded_to_their_own_longest_text(
    monkeypatch: pytest.MonkeyPatch, tiny_bert: Path, train_split: Split, val_split: Split
) -> None:
    shapes: list[tuple[int, int]] = []
    real_pad_batch = finetune_module.pad_batch

    def spy(tokens, indices, **kwargs):  # type: ignore[no-untyped-def]
        batch = real_pad_batch(tokens, indices, **kwargs)
        assert batch["input_ids"].shape[1] == int(tokens.lengths[indices].max())
        shapes.append(batch["input_ids"].shape)
        return batch

    monkeypatch.setattr(finetune_module, "pad_batch", spy)
    config = replace(CONFIG, epochs=1, max_length=64)

    fine_tune(train_split.texts, train_split.labels, val_split.texts, val_split.labels, tiny_bert, config=config)

    widths = [width for _, width in shapes]
    assert sum(rows for rows, _ in shapes) == len(train_split.texts)
    assert max(widths) < config.max_length
    assert len(set(widths)) > 1


def test_max_length_truncates(
    tiny_bert: Path, train_split: Split, val_split: Split, monkeypatch: pytest.MonkeyPatch
) -> None:
    widths: list[int] = []
    real_pad_batch = finetune_module.pad_batch

    def spy(tokens, indices, **kwargs):  # type: ignore[no-untyped-def]
        batch = real_pad_batch(tokens, indices, **kwargs)
        widths.append(batch["input_ids"].shape[1])
        return batch

    monkeypatch.setattr(finetune_module, "pad_batch", spy)
    fine_tune(
        train_split.texts,
        train_split.labels,
        val_split.texts,
        val_split.labels,
        tiny_bert,
        config=replace(CONFIG, epochs=1, max_length=6),
    )
    assert max(widths) == 6


def test_save_load_round_trip_predicts_the_same(
    trained: TextModelResult, test_split: Split, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sha = save(trained, tmp_path / "model")

    # Loading must never unpickle: only safetensors, json and the tokenizer's text files.
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a pickle was loaded")

    monkeypatch.setattr(pickle, "load", refuse)
    monkeypatch.setattr(pickle, "loads", refuse)
    monkeypatch.setattr(torch, "load", refuse)
    labels, probabilities = predict(tmp_path / "model", test_split.texts)

    np.testing.assert_array_equal(labels, trained.eval_predictions)
    np.testing.assert_allclose(probabilities, trained.eval_probabilities, atol=1e-6)
    assert sha == artifact_sha256(tmp_path / "model")
    suffixes = {path.suffix for path in (tmp_path / "model").rglob("*") if path.is_file()}
    assert suffixes <= {".json", ".safetensors", ".txt"}, suffixes
    assert isinstance(load(tmp_path / "model"), FineTunedClassifier)


def test_fine_tune_saves_when_given_an_output_dir(
    tiny_bert: Path, train_split: Split, val_split: Split, tmp_path: Path
) -> None:
    result = fine_tune(
        train_split.texts,
        train_split.labels,
        val_split.texts,
        val_split.labels,
        tiny_bert,
        config=replace(CONFIG, epochs=1),
        out_dir=tmp_path / "out",
    )
    assert result.artifact_dir == str(tmp_path / "out")
    assert result.artifact_sha256 == artifact_sha256(tmp_path / "out")
    assert result.eval_predictions.shape == (0,) and result.eval_probabilities.shape == (0, 2)


def test_save_refuses_to_overwrite_unless_asked(trained: TextModelResult, tmp_path: Path) -> None:
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "stale.txt").write_text("old")

    with pytest.raises(FileExistsError):
        save(trained, tmp_path / "model")
    save(trained, tmp_path / "model", overwrite=True)

    assert not (tmp_path / "model" / "stale.txt").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["model"]  # no staging leftovers


def test_artifact_sha256_changes_with_any_file(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text("{}")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.txt").write_text("x")
    before = artifact_sha256(tmp_path)

    (tmp_path / "sub" / "b.txt").write_text("y")
    assert artifact_sha256(tmp_path) != before
    (tmp_path / "sub" / "b.txt").write_text("x")
    assert artifact_sha256(tmp_path) == before
    (tmp_path / "sub" / "b.txt").rename(tmp_path / "sub" / "c.txt")
    assert artifact_sha256(tmp_path) != before


def test_freeze_encoder_trains_only_the_head(tiny_bert: Path, train_split: Split, val_split: Split) -> None:
    result = fine_tune(
        train_split.texts,
        train_split.labels,
        val_split.texts,
        val_split.labels,
        tiny_bert,
        config=replace(CONFIG, epochs=1, freeze_encoder=True),
    )
    assert isinstance(result.classifier, FineTunedClassifier)
    model = result.classifier.model
    trainable = {name for name, p in model.named_parameters() if p.requires_grad}
    assert trainable == {"classifier.weight", "classifier.bias"}
    # The encoder weights are those of the pre-trained folder.
    from transformers import AutoModel

    original = AutoModel.from_pretrained(tiny_bert, local_files_only=True)
    torch.testing.assert_close(model.base_model.state_dict(), original.state_dict())


def test_three_classes_and_non_string_labels(tiny_bert: Path) -> None:
    classes = ("billing", "outage", "praise")
    train, val = make_split(96, seed=11, classes=classes), make_split(30, seed=12, classes=classes)
    numeric = {name: i for i, name in enumerate(classes)}

    result = fine_tune(
        train.texts,
        [numeric[label] for label in train.labels],
        val.texts,
        [numeric[label] for label in val.labels],
        tiny_bert,
        config=replace(CONFIG, epochs=12, learning_rate=5e-3),
        eval_texts=val.texts,
    )
    assert result.labels == ("0", "1", "2")
    accuracy = (result.eval_predictions == np.array([str(numeric[label]) for label in val.labels])).mean()
    assert accuracy >= 0.8


def test_bad_inputs_are_reported(tiny_bert: Path, train_split: Split, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="validation labels \\['spam'\\]"):
        fine_tune(train_split.texts, train_split.labels, ["x"], ["spam"], tiny_bert, config=CONFIG)
    with pytest.raises(ValueError, match="train: 96 texts but 1 labels"):
        fine_tune(train_split.texts, ["billing"], ["x"], ["billing"], tiny_bert, config=CONFIG)
    with pytest.raises(FileNotFoundError, match="model directory not found"):
        fine_tune(train_split.texts, train_split.labels, ["x"], ["billing"], tmp_path / "nope", config=CONFIG)


def test_a_best_last_epoch_keeps_the_live_weights() -> None:
    model = torch.nn.Linear(2, 2)
    stopper = EarlyStopping("val_loss", patience=None)
    for epoch, loss in enumerate([0.9, 0.5, 0.4], start=1):
        with torch.no_grad():
            model.weight.fill_(epoch)
        assert not stopper.update(epoch, loss, model, last=epoch == 3)

    stopper.restore_best(model)

    assert stopper.best_epoch == 3
    assert torch.all(model.weight == 3)  # not epoch 2's snapshot


def test_torch_global_settings_are_restored(tiny_bert: Path, train_split: Split, val_split: Split) -> None:
    threads = torch.get_num_threads()
    deterministic = torch.are_deterministic_algorithms_enabled()
    fill = torch.utils.deterministic.fill_uninitialized_memory

    fine_tune(
        train_split.texts[:16],
        train_split.labels[:16],
        val_split.texts,
        val_split.labels,
        tiny_bert,
        config=replace(CONFIG, epochs=1, num_threads=1 if threads > 1 else 2),
    )

    assert torch.get_num_threads() == threads
    assert torch.are_deterministic_algorithms_enabled() == deterministic
    assert torch.utils.deterministic.fill_uninitialized_memory == fill
