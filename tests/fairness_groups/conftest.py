from __future__ import annotations

import copy
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "gates"))

from support import USECASE, GovRepo  # noqa: E402


@pytest.fixture(scope="session")
def _ready_template(tmp_path_factory: pytest.TempPathFactory) -> GovRepo:
    base = tmp_path_factory.mktemp("fairness-groups")
    ready = GovRepo(base / "ready", copy.deepcopy(USECASE))
    ready.planned()
    ready.record_all()
    uc = ready.usecases["churn"]
    ready.approve(uc, by="cleo", role="product-manager")
    ready.approve(uc, by="ben", role="ml-auditor")
    return ready


@pytest.fixture
def ready(_ready_template: GovRepo, tmp_path: Path) -> GovRepo:
    """The gates' example use case with every job recorded passing and both production approvals."""
    return GovRepo.copy_of(_ready_template, tmp_path / "repo")
