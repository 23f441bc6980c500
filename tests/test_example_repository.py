"""The example governance repository is itself a test fixture: it must stay valid,
its ledger intact, and its gates decidable."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from charter.validation import validate

ROOT = Path(__file__).resolve().parents[1]


def charter(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "charter", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)


def test_example_repository_is_valid() -> None:
    result = validate(ROOT, use_cache=False)
    assert [d for d in result.diagnostics if d.severity == "error"] == []
    assert result.files >= 13


def test_example_ledger_verifies() -> None:
    out = charter("verify")
    assert out.returncode == 0, out.stdout + out.stderr


def test_example_gates_are_decidable() -> None:
    out = charter("gate", "--format", "json", "--no-fail")
    assert out.returncode == 0, out.stderr
    assert "Traceback" not in out.stderr


def test_example_codeowners_is_current() -> None:
    out = charter("codeowners", "--check")
    assert out.returncode == 0, out.stdout + out.stderr
