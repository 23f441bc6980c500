"""Charter's numeric engine: evaluation, fairness and drift as pure functions.

Every function takes arrays / DataFrames and returns JSON-ready dicts (floats,
ints, strings, lists; ``None`` with a reason where a value is undefined).
Metric names are those of :mod:`charter.metrics.catalog`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .catalog import TaskType

# The compute modules import numpy, pandas and scipy. They load on first use
# (PEP 562), so importing the catalog (as every spec model does) stays cheap and
# `charter validate` / a no-op `charter run` never pay for them.
_LAZY = {
    "DEFAULT_CONFIDENCE": "bootstrap", "DEFAULT_REPLICATES": "bootstrap", "DEFAULT_SEED": "bootstrap",
    "percentile_interval": "bootstrap", "evaluate_classification": "classification", "PSI_EPSILON": "drift",
    "drift_report": "drift", "psi": "drift", "MISSING_LABEL": "groups", "available_disparities": "groups",
    "fairness_report": "groups", "normalize_task": "groups", "evaluate_regression": "regression",
}

if TYPE_CHECKING:
    from .bootstrap import DEFAULT_CONFIDENCE, DEFAULT_REPLICATES, DEFAULT_SEED, percentile_interval
    from .classification import evaluate_classification
    from .drift import PSI_EPSILON, drift_report, psi
    from .groups import MISSING_LABEL, available_disparities, fairness_report, normalize_task
    from .regression import evaluate_regression


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


__all__ = [
    "DEFAULT_CONFIDENCE",
    "DEFAULT_REPLICATES",
    "DEFAULT_SEED",
    "MISSING_LABEL",
    "PSI_EPSILON",
    "available_disparities",
    "drift_report",
    "evaluate",
    "evaluate_classification",
    "evaluate_regression",
    "fairness_report",
    "normalize_task",
    "percentile_interval",
    "psi",
]


def evaluate(task: str | TaskType | None, y_true: Any, y_pred: Any = None, y_score: Any = None, **kwargs: Any) -> dict:
    """Evaluate predictions for a task: dispatches to the regression or classification evaluator."""
    from .classification import evaluate_classification
    from .groups import normalize_task
    from .regression import evaluate_regression

    if normalize_task(task) == "regression":
        if y_score is not None:
            raise ValueError("regression takes no y_score")
        return evaluate_regression(y_true, y_pred, **kwargs)
    return evaluate_classification(y_true, y_pred, y_score, task=task, **kwargs)
