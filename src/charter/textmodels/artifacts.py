"""Saving and loading trained text classifiers, and hashing what was saved.

Only formats that cannot execute code are written or read: safetensors for
transformer weights, a ``.npz`` of plain arrays (``allow_pickle=False``) for
the probe head, JSON and the tokenizer's own text files for everything else.
Saved bytes depend only on the model, never on the time of saving, so that
:func:`artifact_sha256` can identify a model in evidence records.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import zipfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from .classifiers import FineTunedClassifier, FrozenEncoder, LinearProbeClassifier, TextClassifier
from .data import effective_max_length
from .deps import require_text_extras
from .result import TextModelResult

METADATA_FILE = "charter_text_model.json"
HEAD_FILE = "head.npz"
FORMAT_NAME = "charter-text-model"
FORMAT_VERSION = 1
# Fixed zip timestamp (the earliest zip can store) so that the same head gives the same bytes.
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


def artifact_sha256(out_dir: str | os.PathLike[str]) -> str:
    """SHA-256 over every file under ``out_dir``: relative path and content, in sorted path order."""
    root = Path(out_dir)
    if not root.is_dir():
        raise NotADirectoryError(f"not a model directory: {root}")
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(_file_sha256(path).encode() + b"\n")
    return digest.hexdigest()


def _file_sha256(path: Path) -> str:
    from ..loading.files import sha256_file

    return sha256_file(path)


@contextmanager
def quiet_transformers() -> Iterator[None]:
    """Silence transformers' progress bars and load reports for the duration: the core never prints."""
    _, transformers = require_text_extras()
    logging = transformers.utils.logging
    verbosity, bars = logging.get_verbosity(), logging.is_progress_bar_enabled()
    logging.set_verbosity_error()
    logging.disable_progress_bar()
    try:
        yield
    finally:
        logging.set_verbosity(verbosity)
        if bars:
            logging.enable_progress_bar()


# --------------------------------------------------------------------------- save


def save(
    model: TextModelResult | TextClassifier,
    out_dir: str | os.PathLike[str],
    *,
    overwrite: bool = False,
) -> str:
    """Write the classifier to ``out_dir`` atomically and return its :func:`artifact_sha256`.

    Files are written to a temporary sibling directory that is renamed into
    place, so readers never see a half-written model.
    """
    classifier = model.classifier if isinstance(model, TextModelResult) else model
    if classifier is None:
        raise ValueError("the result holds no classifier to save")
    target = Path(out_dir)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.tmp-"))
    try:
        os.chmod(staging, 0o755)
        _write(classifier, staging)
        _replace_dir(staging, target, overwrite=overwrite)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return artifact_sha256(target)


def _write(classifier: TextClassifier, directory: Path) -> None:
    if isinstance(classifier, FineTunedClassifier):
        with quiet_transformers():
            classifier.model.save_pretrained(directory)
            classifier.tokenizer.save_pretrained(directory)
        _write_json(directory / METADATA_FILE, _fine_tuned_metadata(classifier))
    elif isinstance(classifier, LinearProbeClassifier):
        _write_npz(directory / HEAD_FILE, coef=classifier.coef, intercept=classifier.intercept)
        _write_json(directory / METADATA_FILE, _probe_metadata(classifier))
    else:
        raise TypeError(f"cannot save a {type(classifier).__name__}")


def _fine_tuned_metadata(classifier: FineTunedClassifier) -> dict[str, Any]:
    return {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "kind": classifier.kind,
        "labels": list(classifier.labels),
        "max_length": classifier.max_length,
        "batch_size": classifier.batch_size,
    }


def _probe_metadata(classifier: LinearProbeClassifier) -> dict[str, Any]:
    encoder = classifier.encoder
    return {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "kind": classifier.kind,
        "labels": list(classifier.labels),
        "max_length": encoder.max_length,
        "batch_size": encoder.batch_size,
        # The encoder is referenced, not copied: it is an input of the job, hashed for lineage.
        "encoder_dir": str(encoder.source_dir.resolve()),
        "encoder_sha256": artifact_sha256(encoder.source_dir),
        "pooling": "mean",
        "normalize": encoder.normalize,
        "head_file": HEAD_FILE,
    }


def _write_json(path: Path, data: dict[str, Any]) -> None:
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def _write_npz(path: Path, **arrays: np.ndarray) -> None:
    """Like ``np.savez`` but with fixed zip timestamps, hence byte-for-byte reproducible."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as archive:
        for name, array in sorted(arrays.items()):
            info = zipfile.ZipInfo(f"{name}.npy", date_time=_ZIP_EPOCH)
            with archive.open(info, "w") as handle:
                np.lib.format.write_array(handle, np.ascontiguousarray(array), allow_pickle=False)


def _replace_dir(staging: Path, target: Path, *, overwrite: bool) -> None:
    if target.exists():
        if any(target.iterdir()) and not overwrite:
            raise FileExistsError(f"{target} exists and is not empty; pass overwrite=True to replace it")
        old = target.with_name(f".{target.name}.old-{os.getpid()}")
        os.replace(target, old)
        os.replace(staging, target)
        shutil.rmtree(old)
    else:
        os.replace(staging, target)


# --------------------------------------------------------------------------- load


def read_metadata(model_dir: str | os.PathLike[str]) -> dict[str, Any]:
    path = Path(model_dir) / METADATA_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{model_dir} is not a saved charter text model: {METADATA_FILE} is missing")
    metadata: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    if metadata.get("format") != FORMAT_NAME or metadata.get("format_version") != FORMAT_VERSION:
        raise ValueError(
            f"{path}: unsupported format {metadata.get('format')!r} version {metadata.get('format_version')!r}; "
            f"expected {FORMAT_NAME!r} version {FORMAT_VERSION}"
        )
    return metadata


def load(
    model_dir: str | os.PathLike[str],
    *,
    device: str | None = None,
    verify_encoder: bool = True,
) -> TextClassifier:
    """Load a classifier written by :func:`save`.

    ``verify_encoder`` checks that a probe's referenced encoder still has the
    hash it had when the head was trained; a changed encoder would silently
    make the head meaningless.
    """
    from .runtime import resolve_device

    metadata = read_metadata(model_dir)
    resolved = resolve_device(device)
    if metadata["kind"] == "fine_tune":
        return _load_fine_tuned(Path(model_dir), metadata, resolved)
    if metadata["kind"] == "linear_probe":
        return _load_probe(Path(model_dir), metadata, resolved, verify_encoder=verify_encoder)
    raise ValueError(f"{model_dir}: unknown model kind {metadata['kind']!r}")


def _load_fine_tuned(model_dir: Path, metadata: dict[str, Any], device: str) -> FineTunedClassifier:
    _, transformers = require_text_extras()
    with quiet_transformers():
        model = transformers.AutoModelForSequenceClassification.from_pretrained(
            model_dir, local_files_only=True, use_safetensors=True
        )
        tokenizer = transformers.AutoTokenizer.from_pretrained(model_dir, local_files_only=True)
    labels = tuple(metadata["labels"])
    stored = tuple(model.config.id2label[i] for i in range(len(labels)))
    if stored != labels:
        raise ValueError(f"{model_dir}: labels {list(labels)} disagree with the model config {list(stored)}")
    return FineTunedClassifier(
        model=model.to(device).eval(),
        tokenizer=tokenizer,
        labels=labels,
        max_length=int(metadata["max_length"]),
        batch_size=int(metadata["batch_size"]),
        device=device,
    )


def _load_probe(
    model_dir: Path, metadata: dict[str, Any], device: str, *, verify_encoder: bool
) -> LinearProbeClassifier:
    encoder_dir = Path(metadata["encoder_dir"])
    if verify_encoder and artifact_sha256(encoder_dir) != metadata["encoder_sha256"]:
        raise ValueError(
            f"{model_dir}: the encoder at {encoder_dir} changed since the probe was trained "
            f"(sha256 {metadata['encoder_sha256']} expected)"
        )
    with np.load(model_dir / metadata["head_file"], allow_pickle=False) as head:
        coef, intercept = head["coef"], head["intercept"]
    encoder = load_encoder(
        encoder_dir,
        max_length=int(metadata["max_length"]),
        batch_size=int(metadata["batch_size"]),
        device=device,
        normalize=bool(metadata["normalize"]),
    )
    return LinearProbeClassifier(encoder=encoder, coef=coef, intercept=intercept, labels=tuple(metadata["labels"]))


def load_encoder(
    encoder_dir: str | os.PathLike[str],
    *,
    max_length: int,
    batch_size: int,
    device: str,
    normalize: bool,
) -> FrozenEncoder:
    """The bare encoder (no head) of a local model folder, in eval mode with gradients off."""
    _, transformers = require_text_extras()
    source = require_local_dir(encoder_dir)
    with quiet_transformers():
        tokenizer = transformers.AutoTokenizer.from_pretrained(source, local_files_only=True)
        model = transformers.AutoModel.from_pretrained(source, local_files_only=True, **safetensors_only(source))
    model.requires_grad_(False)
    return FrozenEncoder(
        model=model.to(device).eval(),
        tokenizer=tokenizer,
        source_dir=source,
        max_length=effective_max_length(tokenizer, max_length),
        batch_size=batch_size,
        device=device,
        normalize=normalize,
    )


def require_local_dir(model_dir: str | os.PathLike[str]) -> Path:
    """A local folder, never a hub id: a missing folder must not turn into a download attempt."""
    path = Path(model_dir)
    if not path.is_dir():
        raise FileNotFoundError(f"model directory not found: {path}")
    return path


def safetensors_only(model_dir: Path) -> dict[str, bool]:
    """Refuse pickled ``.bin`` weights when the folder has safetensors ones."""
    return {"use_safetensors": True} if any(model_dir.glob("*.safetensors")) else {}


# --------------------------------------------------------------------------- predict


def predict(
    model_path: str | os.PathLike[str],
    texts: Sequence[str],
    *,
    device: str | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Predicted labels (str array) and class probabilities (``len(texts) x len(labels)``) of a saved model.

    An in-memory classifier (``result.classifier``) has the same ``predict`` method.
    """
    return load(model_path, device=device).predict(texts)
