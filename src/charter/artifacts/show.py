"""``charter show --format json``: the evidence of one use case for its current inputs."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict

from .record import EvidenceRecord
from .versioning import Versioned

SCHEMA_VERSION = 2
"""2: snake_case keys (1 used camelCase: useCase, evidenceHash, evidenceId, dependsOn)."""


class ShowJob(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    job: str
    runner: str
    evidence_id: str
    """The evidence id of the job's current inputs."""
    depends_on: list[str] = []
    state: Literal["fresh", "stale", "missing", "tampered"]
    status: Literal["pass", "fail", "error"] | None
    reason: str | None = None
    changed: list[str] = []
    """What changed since the shown record, when it is stale."""
    record: EvidenceRecord | None = None
    """The record for the current inputs (fresh), else the latest one (stale), else None."""


class ShowState(BaseModel):
    """The use case's portfolio state (:mod:`charter.assessment`), as ``charter gate`` and the site show it."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    state: str
    label: str
    text: str
    prohibited: bool
    next_stage: str | None = None


class ShowGate(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    stage: str
    passed: bool
    counts: dict[str, int]
    """Requirements by status: pass, fail, inconclusive, waived, error."""
    decided_on: str
    inconclusive: list[str] = []
    """`id: reason — rule` of each inconclusive requirement (the data cannot tell; the gate fails closed)."""


class ShowApproval(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    stage: str
    by: str
    role: str
    date: str
    expires: str
    status: str
    reason: str


class ShowWaiver(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    requirement: str
    stage: str | None = None
    """The stage the waiver is limited to (None: any stage)."""
    ticket: str
    expires: str
    status: str
    reason: str


class ShowReport(Versioned):
    SCHEMA_VERSION: ClassVar[int] = SCHEMA_VERSION
    MIN_SCHEMA_VERSION: ClassVar[int] = SCHEMA_VERSION
    ARTIFACT: ClassVar[str] = "show report"
    UPGRADE_HINT: ClassVar[str] = "run `charter show --format json` again"

    schema_version: int = SCHEMA_VERSION
    use_case: str
    title: str
    stage: str
    task: str | None
    evidence_hash: str | None
    """Hash of the current evidence bundle: what approvals sign (None when no gate could be decided)."""
    complete: bool
    """Every job has fresh, non-error evidence."""
    jobs: list[ShowJob]
    portfolio_state: ShowState | None = None
    gates: list[ShowGate] = []
    """The decisions on the declared stage and the next one."""
    approvals: list[ShowApproval] = []
    waivers: list[ShowWaiver] = []
    notes: list[str] = []
    warnings: list[str] = []


__all__ = ["ShowApproval", "ShowGate", "ShowJob", "ShowReport", "ShowState", "ShowWaiver"]
