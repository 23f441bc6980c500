"""``charter diff --format json``: the governance change between a git ref and the working tree."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

from .versioning import Versioned

SCHEMA_VERSION = 2
"""2: snake_case keys (1 mixed camelCase: baseCommit, useCases, newlyFailing, greaterIsBetter)."""


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class DiffChange(_Part):
    kind: str
    """stage, risk-tier, team, owners, evaluation, gate, fairness-check, data, job, approval, waiver, maturity,
    card, policy, risk-tier-policy, fairness-default, organisation, allowlist, usecase, spec."""
    message: str
    direction: str | None = None
    """loosened, tightened, promotion, demotion, added, removed, changed."""
    warn: bool = False
    """Worth a reviewer's attention (loosening, new sensitive data, role grants, promotions…)."""
    before: Any = None
    after: Any = None


class BeforeAfter(_Part):
    before: str | None
    after: str | None


class MetricPoint(_Part):
    value: float | None
    low: float | None = None
    high: float | None = None
    evidence: str
    """Id of the evaluation record the value comes from."""
    fresh: bool
    """Whether that record is for the side's current inputs (else it is the latest, stale one)."""


class MetricChange(_Part):
    metric: str
    before: MetricPoint | None
    after: MetricPoint | None
    delta: float | None = None
    greater_is_better: bool = True


class GateSummary(_Part):
    stage: str
    passed: bool
    counts: dict[str, int]
    statuses: dict[str, str]
    """Requirement id → pass, fail, waived or error."""


class RequirementTransition(_Part):
    requirement: str
    before: str | None
    after: str
    reason: str


class GateChange(_Part):
    before: GateSummary | None
    after: GateSummary
    transition: str | None = None
    """'newly passing', 'newly failing' or None."""
    requirements: list[RequirementTransition] = []
    note: str | None = None
    """Why the base is not compared (no evidence at the base, cannot be judged)."""


class UseCaseChange(_Part):
    id: str
    status: str
    """added, removed, changed (spec), evidence (only evidence records changed), governance."""
    stage: BeforeAfter
    risk_tier: BeforeAfter
    changes: list[DiffChange] = []
    metric: MetricChange | None = None
    gate: GateChange | None = None
    rerun: list[str] = []
    """Jobs whose inputs changed and that have no fresh evidence yet."""


class DiffSummary(_Part):
    added: int
    removed: int
    changed: int
    loosened: int
    tightened: int
    promotions: int
    newly_failing: int
    newly_passing: int


class DiffReport(Versioned):
    SCHEMA_VERSION: ClassVar[int] = SCHEMA_VERSION
    MIN_SCHEMA_VERSION: ClassVar[int] = SCHEMA_VERSION
    ARTIFACT: ClassVar[str] = "diff report"
    UPGRADE_HINT: ClassVar[str] = "run `charter diff --format json` again"

    schema_version: int = SCHEMA_VERSION
    base: str
    base_commit: str
    head: str = "working tree"
    decided_on: str
    summary: DiffSummary
    governance: list[DiffChange]
    use_cases: list[UseCaseChange]
    problems: list[str] = []
    """Base files that could not be read."""


__all__ = ["DiffChange", "DiffReport", "DiffSummary", "GateChange", "MetricChange", "UseCaseChange"]
