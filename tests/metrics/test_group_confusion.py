"""Each group's confusion matrix in the fairness report equals scikit-learn's on that group's rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import confusion_matrix

from charter.metrics.groups import fairness_report


def test_group_confusion_matrices_match_sklearn() -> None:
    rng = np.random.default_rng(4)
    n = 3000
    sex = rng.choice(["f", "m", "x"], size=n, p=[0.5, 0.45, 0.05])
    band = rng.choice(["young", "old"], size=n)
    y_true = rng.integers(0, 2, size=n)
    y_pred = np.where(rng.random(n) < 0.8, y_true, 1 - y_true)
    report = fairness_report(y_true, y_pred, pd.DataFrame({"sex": sex, "band": band}), n_boot=0)
    for attr in report["attributes"].values():
        for g in attr["groups"]:
            mask = np.ones(n, dtype=bool)
            for col, value in g["values"].items():
                mask &= (sex if col == "sex" else band) == value
            expected = confusion_matrix(y_true[mask], y_pred[mask], labels=[0, 1]).tolist()
            assert g["confusion"] == expected, (attr["columns"], g["label"])


def test_regression_groups_have_no_confusion_matrix() -> None:
    rng = np.random.default_rng(1)
    y = rng.normal(size=200)
    report = fairness_report(y, y + rng.normal(size=200), {"g": rng.choice(["a", "b"], size=200)},
                             task="regression", n_boot=0)
    assert all("confusion" not in g for a in report["attributes"].values() for g in a["groups"])
