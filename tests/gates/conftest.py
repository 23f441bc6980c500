from __future__ import annotations

import copy
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from support import USECASE, GovRepo  # noqa: E402


@pytest.fixture
def gov(tmp_path: Path) -> GovRepo:
    return GovRepo(tmp_path / "repo", copy.deepcopy(USECASE))


@pytest.fixture
def ready(gov: GovRepo) -> GovRepo:
    """Every job recorded with passing results and both production approvals on the current evidence."""
    gov.record_all()
    uc = gov.usecases["churn"]
    gov.approve(uc, by="cleo", role="product-manager")
    gov.approve(uc, by="ben", role="ml-auditor")
    return gov
