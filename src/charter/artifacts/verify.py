"""``charter verify --format json``: the ledger's verification."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict

from .versioning import Versioned

SCHEMA_VERSION = 1


class VerifyProblem(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    kind: str
    """edited, removed, reordered, truncated, corrupt, record, missing, copied, fork, head, against, unrecorded
    or schema."""
    message: str
    line: int | None = None
    """1-based line of the chain file (None for problems outside it)."""
    file: str


class VerifyReport(Versioned):
    SCHEMA_VERSION: ClassVar[int] = SCHEMA_VERSION
    ARTIFACT: ClassVar[str] = "verify report"

    schema_version: int = SCHEMA_VERSION
    ok: bool
    entries: int
    head: str | None
    """The repository head: sha256 over every use case's chain tip (``<use case> <tip hash>`` lines)."""
    records_checked: int
    chains: dict[str, str] = {}
    """Use case → the tip hash of its chain."""
    problems: list[VerifyProblem]


__all__ = ["VerifyProblem", "VerifyReport"]
