from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

FIXTURE = Path(__file__).parent / "fixture"
UC = "usecases/churn/usecase.yaml"


def fixture_sha() -> str:
    return hashlib.sha256((FIXTURE / "usecases/churn/data/customers.csv").read_bytes()).hexdigest()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    dest = tmp_path / "repo"
    shutil.copytree(FIXTURE, dest)
    return dest
