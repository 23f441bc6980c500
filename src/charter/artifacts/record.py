"""The evidence record envelope: one immutable record per job run, addressed by the hash of its inputs.

This is the contract between ``run`` (which writes records) and ``gate``,
``show``, ``diff`` and the site (which read them). The runner-specific payload
in ``results`` has its own typed model per runner kind.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .versioning import Versioned, check_version, version_of

SCHEMA_VERSION = 2
Status = Literal["pass", "fail", "error"]


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class Inputs(_Part):
    spec_sha256: str
    """Hash of the job's canonical spec section (and the spec parts it reads)."""
    data: dict[str, str] = {}
    """Data source id → sha256 of the file read."""
    upstream: dict[str, str] = {}
    """Job id → evidence id of the records this job consumed."""
    runner_version: str
    """The runner kind and its declared result version (`<kind>@<version>`), bumped when its computation changes."""
    packages: dict[str, str] = {}
    """Versions of the packages whose behaviour the result depends on."""
    seed: int | None = None


class Lineage(_Part):
    git_commit: str | None
    git_dirty: bool | None
    charter_version: str
    python: str
    platform: str
    packages: dict[str, str] = {}
    """Exact versions of the packages the result depends on (the id holds only the part the policy's
    `reproduction.packageStaleness` names)."""


class Artifact(_Part):
    name: str
    path: str
    """Path relative to the artifact store."""
    sha256: str
    """:func:`charter.io.fs.tree_sha256` of the file or folder."""
    bytes: int


class EvidenceRecord(Versioned):
    """``evidence/records/<use case>/<job>/<evidence id>.json``."""

    SCHEMA_VERSION: ClassVar[int] = SCHEMA_VERSION
    MIN_SCHEMA_VERSION: ClassVar[int] = 1
    ARTIFACT: ClassVar[str] = "evidence record"
    UPGRADE_HINT: ClassVar[str] = "re-run `charter run --force` to record it again"

    schema_version: int = SCHEMA_VERSION
    id: str
    """sha256 of the canonical inputs: the same inputs always give the same id."""
    use_case: str
    job: str
    runner: str
    status: Status
    reason: str | None = None
    """Why the job failed or errored."""
    inputs: Inputs
    lineage: Lineage
    started_at: str
    finished_at: str
    duration_s: float
    results: dict[str, Any] = Field(default_factory=dict)
    """Runner-specific payload; see the runner's result model."""
    artifacts: list[Artifact] = []
    spec: dict[str, Any] | None = None
    """The canonical spec section whose sha256 is `inputs.spec_sha256` (schema 2): lets a later change be
    named key by key. Not part of the id; ignored when it does not hash to `inputs.spec_sha256`."""
    deterministic: bool = True
    """Whether the runner gives identical results for identical inputs (false: a GPU fine-tune); the policy's
    ``reproduction`` setting decides whether evidence that cannot be reproduced may gate a stage."""


TIMING_KEYS = frozenset({"seconds", "examples_per_second", "duration_seconds", "duration_s"})
"""Keys inside results that measure time (a text model's per-epoch history), not a computed result: a
run on another machine or worker gives other values for the same model."""


def untimed(value: Any) -> Any:
    """``value`` (a record's results) without the keys of :data:`TIMING_KEYS`, at any depth."""
    if isinstance(value, dict):
        return {k: untimed(v) for k, v in value.items() if k not in TIMING_KEYS}
    if isinstance(value, list):
        return [untimed(v) for v in value]
    return value


def read_record(raw: bytes | str) -> EvidenceRecord:
    """An evidence record from a file's bytes.

    Raises SchemaVersionError for a version this Charter does not read, ValueError
    for anything else that is not a record. The common case (a current record)
    is validated straight from the bytes, without a second JSON parse."""
    try:
        record = EvidenceRecord.model_validate_json(raw)
    except ValidationError:
        # Not readable as a current record: say so precisely when it is a newer or older one.
        try:
            data = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            raise ValueError("not JSON") from None
        check_version(EvidenceRecord, version_of(EvidenceRecord, data))
        raise
    check_version(EvidenceRecord, record.schema_version)
    return record


__all__ = ["SCHEMA_VERSION", "Artifact", "EvidenceRecord", "Inputs", "Lineage", "Status", "read_record"]
