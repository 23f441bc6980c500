from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_PARTS = ("governance", "usecases", "evidence", "mkdocs.yml", ".github/CODEOWNERS")

# Decisions every non-interactive `charter new usecase` in the example needs.
DECISIONS = ["--team", "credit-risk-analytics", "--owner", "ingrid-valk", "--risk", "limited"]


@pytest.fixture
def example(tmp_path: Path) -> Path:
    """A temporary copy of the example governance repository."""
    dest = tmp_path / "example"
    dest.mkdir()
    for part in EXAMPLE_PARTS:
        src = ROOT / part
        if src.is_dir():
            shutil.copytree(src, dest / part)
        else:
            (dest / part).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dest / part)
    return dest


def make_table(n: int = 400, seed: int = 0) -> pd.DataFrame:
    """Applicants with ids, ints, floats with gaps, categories, free text and one target per task."""
    rng = np.random.default_rng(seed)
    age = rng.integers(18, 80, n)
    income = np.round(rng.normal(3000, 700, n), 2)
    risk = (age < 30).astype(float) * 0.8 + (income < 2600) * 0.9 + rng.normal(0, 0.5, n)
    df = pd.DataFrame({
        "applicant_id": [f"APP-{i:05d}" for i in range(n)],
        "age": age,
        "sex": rng.choice(["female", "male"], n),
        "region": rng.choice(["north", "south", "east", "west"], n),
        "income": income,
        "open_accounts": rng.integers(0, 9, n),
        "comment": [f"customer wrote about account {i} and asked for a call back soon" if i % 3 else
                    f"short note {i % 5} about the statement and fees charged this month" for i in range(n)],
        "defaulted": (risk > 0.9).astype(int),
        "segment": np.where(risk > 1.2, "gold", np.where(risk > 0.5, "silver", "bronze")),
        "balance": np.round(income * 2.5 + rng.normal(0, 300, n), 2),
        "score": np.round(1 / (1 + np.exp(-(risk - 0.9) * 3)), 4),
    })
    df.loc[::13, "income"] = np.nan
    return df


@pytest.fixture
def table_csv(tmp_path: Path) -> Path:
    path = tmp_path / "applicants.csv"
    make_table().to_csv(path, index=False)
    return path
