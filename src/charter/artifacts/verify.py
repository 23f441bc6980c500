"""``charter verify --format json``: the ledger's verification."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict

from .versioning import Versioned

SCHEMA_VERSION = 1


class VerifyProblem(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    kind: str
    """edited, removed, reordered, truncated, corrupt, record or schema."""
    message: str
    line: int | None = None
    """1-based line of ledger.jsonl (None for problems outside it)."""
    file: str


class VerifyReport(Versioned):
    SCHEMA_VERSION: ClassVar[int] = SCHEMA_VERSION
    ARTIFACT: ClassVar[str] = "verify report"

    schema_version: int = SCHEMA_VERSION
    ok: bool
    entries: int
    head: str | None
    """Hash of the last valid entry."""
    records_checked: int
    problems: list[VerifyProblem]


__all__ = ["VerifyProblem", "VerifyReport"]
