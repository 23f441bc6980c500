"""Drop a file into valid/ or invalid/ and it becomes a test.

A case replaces one file of the fixture repository (``# target: <path>`` on its
first line; default: the churn use case). Invalid cases assert the exact text
report in ``<case>.expected``; refresh with UPDATE_EXPECTED=1 and review the diff.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from charter.report.diagnostics import format_text, summary_line
from charter.validation import validate


HERE = Path(__file__).parent
VALID = sorted((HERE / "valid").glob("*.yaml"))
INVALID = sorted((HERE / "invalid").glob("*.yaml"))


UC = "usecases/churn/usecase.yaml"
FIXTURE_CSV = HERE / "fixture/usecases/churn/data/customers.csv"


def _apply(repo: Path, case: Path) -> None:
    sha = hashlib.sha256(FIXTURE_CSV.read_bytes()).hexdigest()
    text = case.read_text(encoding="utf-8").replace("{{SHA}}", sha)
    first = text.splitlines()[0] if text else ""
    target = first.removeprefix("# target:").strip() if first.startswith("# target:") else UC
    (repo / target).parent.mkdir(parents=True, exist_ok=True)
    (repo / target).write_text(text, encoding="utf-8")


@pytest.mark.parametrize("case", VALID, ids=[p.stem for p in VALID])
def test_valid(case: Path, repo: Path) -> None:
    _apply(repo, case)
    result = validate(repo, use_cache=False)
    assert [d for d in result.diagnostics if d.severity == "error"] == []


@pytest.mark.parametrize("case", INVALID, ids=[p.stem for p in INVALID])
def test_invalid(case: Path, repo: Path) -> None:
    _apply(repo, case)
    result = validate(repo, use_cache=False)
    report = format_text(result.diagnostics, result.sources) + "\n" + summary_line(result.diagnostics, result.files) + "\n"
    expected = case.with_suffix(".expected")
    if os.environ.get("UPDATE_EXPECTED"):
        expected.write_text(report, encoding="utf-8")
    assert not result.ok
    assert report == expected.read_text(encoding="utf-8")
