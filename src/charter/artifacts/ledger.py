"""Entries of the per-use-case chains ``evidence/ledger/<use case>.jsonl`` (see :mod:`charter.engine.ledger`).

Schema 3 (this one) adds ``merges`` (the other tips a merge entry joins, covered
by the hash). Schema 2 entries lived in the single file ``evidence/ledger.jsonl``;
schema 1 entries (no ``schema_version``, camelCase run payloads) are not read:
the ledger must be recorded again.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from .decision import DecisionRecord
from .versioning import Versioned

SCHEMA_VERSION = 3
EntryType = Literal["run", "decision"]


class RunEntry(BaseModel):
    """The payload of a ``run`` entry: one job run and the sha256 of the record file it wrote."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    use_case: str
    job: str
    runner: str
    evidence_id: str
    status: Literal["pass", "fail", "error"]
    reason: str | None = None
    record_sha256: str | None = None
    """sha256 of the evidence record file's bytes; None when no record was written (the previous one was kept)."""
    duration_s: float | None = None


class LedgerEntry(Versioned):
    """One line of the ledger."""

    SCHEMA_VERSION: ClassVar[int] = SCHEMA_VERSION
    MIN_SCHEMA_VERSION: ClassVar[int] = 3
    ARTIFACT: ClassVar[str] = "ledger"
    UPGRADE_HINT: ClassVar[str] = ("record it again: move evidence/ledger.jsonl, evidence/ledger.head and "
                                   "evidence/records aside, then run `charter run --force` (and "
                                   "`charter gate --record` for decisions)")
    UNVERSIONED: ClassVar[int | None] = 1

    schema_version: int = SCHEMA_VERSION
    seq: int
    prev: str
    """Hash of the entry before (64 zeros for the first)."""
    merges: list[str] = []
    """Hashes of the other tips this entry joins (after a merge of two branches that both appended)."""
    hash: str
    """sha256 of the canonical JSON of schema_version, seq, prev, merges, at, type and payload."""
    at: str
    type: EntryType
    payload: dict[str, Any]

    def run(self) -> RunEntry | None:
        """The run payload, or None for a decision or a payload that is not a run's."""
        if self.type != "run":
            return None
        try:
            return RunEntry.model_validate(self.payload)
        except ValidationError:
            return None

    def decision(self) -> DecisionRecord | None:
        """The decision payload (SchemaVersionError for a version this Charter does not read), or None."""
        if self.type != "decision":
            return None
        try:
            return DecisionRecord.read(self.payload)
        except ValidationError:
            return None


__all__ = ["SCHEMA_VERSION", "EntryType", "LedgerEntry", "RunEntry"]
