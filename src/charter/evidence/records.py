"""Evidence: one immutable record per job run, addressed by the hash of its inputs.

This module is the contract between ``run`` (which writes records), ``gate`` and
``render`` (which only read them). Result payloads are typed per runner so a
report can never show a number no job computed.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = 1
Status = Literal["pass", "fail", "error"]


class _Rec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Estimate(_Rec):
    """A value with its bootstrap interval (bounds are None when not computed or undefined)."""

    value: float | None
    low: float | None = None
    high: float | None = None
    reason: str | None = None
    """Why the value is undefined (None), e.g. a single class in the slice."""


class Inputs(_Rec):
    spec_sha256: str
    """Hash of the job's canonical spec section (and the spec parts it reads)."""
    data: dict[str, str] = {}
    """Data source id → sha256 of the file read."""
    upstream: dict[str, str] = {}
    """Job id → evidence id of the records this job consumed."""
    runner_version: str
    """Charter version plus a hash of the runner's code."""
    packages: dict[str, str] = {}
    """Versions of the packages whose behaviour the result depends on."""
    seed: int | None = None


class Lineage(_Rec):
    git_commit: str | None
    git_dirty: bool | None
    charter_version: str
    python: str
    platform: str


class Artifact(_Rec):
    name: str
    path: str
    """Path relative to the artifact store."""
    sha256: str
    bytes: int


class EvidenceRecord(_Rec):
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
    """Runner-specific payload; see the *Result models below."""
    artifacts: list[Artifact] = []


# --- result payloads per runner -------------------------------------------------------


class ContractFailure(_Rec):
    column: str | None
    check: str
    failures: int
    examples: list[Any] = []


class ContractSource(_Rec):
    data: str
    path: str
    sha256: str
    rows: int | None
    passed: bool
    failures: list[ContractFailure] = []


class DataContractResult(_Rec):
    sources: list[ContractSource]


class TrainResult(_Rec):
    estimator: str
    params: dict[str, Any]
    features: list[str]
    target: str
    n_train: int
    n_test: int
    n_validation: int = 0
    labels: list[Any] = []
    """Class labels in the order of the score columns (classification)."""
    predictions_artifact: str
    """Artifact name holding the held-out rows' predictions (and their sensitive/slice columns)."""
    model_artifact: str
    history: list[dict[str, Any]] = []
    """Per-epoch training history (text models)."""
    device: str | None = None


class MetricsBlock(_Rec):
    n: int
    metrics: dict[str, Estimate]


class EvaluateResult(_Rec):
    task: str
    source: str
    """'job:<id>' or 'data:<id>' — where the predictions came from."""
    n: int
    labels: list[Any] = []
    metrics: dict[str, Estimate]
    confusion_matrix: list[list[int]] | None = None
    slices: dict[str, dict[str, MetricsBlock]] = {}
    """Slice column → value → metrics."""
    champion: dict[str, Estimate] | None = None
    """The champion's metrics on the same rows (relative gates)."""
    bootstrap: dict[str, Any] = {}
    warnings: list[str] = []
    """Small slices, metrics that could not be computed, and similar notes."""


class GroupRow(_Rec):
    group: dict[str, Any]
    label: str
    n: int
    small: bool
    metrics: dict[str, float | None]
    undefined: dict[str, str] = {}
    """Metric → why its value (0 by fairlearn's convention) is really 0/0 in this group."""


class AttributeFairness(_Rec):
    attributes: list[str]
    groups: list[GroupRow]
    disparities: dict[str, Estimate]
    extremes: dict[str, dict[str, Any]] = {}
    """Disparity → the group metric it compares and the groups with its lowest and highest value."""


class FairnessResult(_Rec):
    task: str
    source: str
    min_group_size: int
    results: list[AttributeFairness]
    bootstrap: dict[str, Any] = {}
    warnings: list[str] = []


class DriftFeature(_Rec):
    name: str
    kind: Literal["numeric", "categorical"]
    method: str
    statistic: float | None
    p_value: float | None = None
    psi: float | None = None
    threshold: float
    drifted: bool


class DriftResult(_Rec):
    reference: str
    current: str
    schema_changes: dict[str, list[Any]]
    """added / removed / retyped columns."""
    features: list[DriftFeature]
    drift_share: float
    drifted: bool
    thresholds: dict[str, float]
    skipped: dict[str, str] = {}
    """Features not compared, with the reason."""


RESULT_MODELS: dict[str, type[_Rec]] = {
    "data-contract": DataContractResult,
    "sklearn-train": TrainResult,
    "text-finetune": TrainResult,
    "text-linear-probe": TrainResult,
    "evaluate": EvaluateResult,
    "fairness": FairnessResult,
    "drift": DriftResult,
}
