from __future__ import annotations

import copy
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from support import USECASE, GovRepo  # noqa: E402


@pytest.fixture(scope="session")
def _templates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, GovRepo]:
    """Built once per session; tests get copies (planning and writing records dominate otherwise)."""
    base = tmp_path_factory.mktemp("templates")
    bare = GovRepo(base / "gov", copy.deepcopy(USECASE))
    bare.planned()
    ready = GovRepo.copy_of(bare, base / "ready")
    ready.record_all()
    uc = ready.usecases["churn"]
    ready.approve(uc, by="cleo", role="product-manager")
    ready.approve(uc, by="ben", role="ml-auditor")
    return {"gov": bare, "ready": ready}


@pytest.fixture
def gov(_templates: dict[str, GovRepo], tmp_path: Path) -> GovRepo:
    """The example use case (production, high risk) without any evidence."""
    return GovRepo.copy_of(_templates["gov"], tmp_path / "repo")


@pytest.fixture
def ready(_templates: dict[str, GovRepo], tmp_path: Path) -> GovRepo:
    """Every job recorded with passing results and both production approvals on the current evidence."""
    return GovRepo.copy_of(_templates["ready"], tmp_path / "repo")
