"""Text classification for use cases whose task is ``text_classification``.

Two training jobs share one result type: :func:`fine_tune` (a pre-trained
transformer fine-tuned end to end, or only its head) and :func:`linear_probe`
(a frozen encoder plus a logistic-regression head). Models load only from
local folders. torch and transformers are optional (the ``text`` extra) and
imported only when a function needs them, so this package imports without them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# Names resolve on first use: validation reads ``textmodels.config`` and must not pay
# for numpy and the artifact code just to list the training settings.
_EXPORTS = {
    "artifact_sha256": "artifacts", "load": "artifacts", "predict": "artifacts", "save": "artifacts",
    "FineTunedClassifier": "classifiers", "LinearProbeClassifier": "classifiers", "TextClassifier": "classifiers",
    "TextTrainConfig": "config",
    "EXTRA_NAME": "deps", "INSTALL_HINT": "deps", "MissingExtraError": "deps", "require_text_extras": "deps",
    "fine_tune": "finetune", "linear_probe": "probe", "EpochRecord": "result", "TextModelResult": "result",
}

if TYPE_CHECKING:
    from .artifacts import artifact_sha256, load, predict, save
    from .classifiers import FineTunedClassifier, LinearProbeClassifier, TextClassifier
    from .config import TextTrainConfig
    from .deps import EXTRA_NAME, INSTALL_HINT, MissingExtraError, require_text_extras
    from .finetune import fine_tune
    from .probe import linear_probe
    from .result import EpochRecord, TextModelResult


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)


__all__ = [
    "EXTRA_NAME",
    "INSTALL_HINT",
    "EpochRecord",
    "FineTunedClassifier",
    "LinearProbeClassifier",
    "MissingExtraError",
    "TextClassifier",
    "TextModelResult",
    "TextTrainConfig",
    "artifact_sha256",
    "fine_tune",
    "linear_probe",
    "load",
    "predict",
    "require_text_extras",
    "save",
]
