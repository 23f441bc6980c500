"""Evidence: one immutable record per job run, addressed by the hash of its inputs.

The envelope (:class:`EvidenceRecord` and its parts) is defined in
:mod:`charter.artifacts.record`; this module holds the result payloads, typed
per runner so a report can never show a number no job computed.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

# The envelope is a persisted artifact and lives with the others (charter.artifacts);
# its names stay importable from here.
from ..artifacts.record import SCHEMA_VERSION, Artifact, EvidenceRecord, Inputs, Lineage, Status  # noqa: F401


class _Rec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Estimate(_Rec):
    """A value with its bootstrap interval (bounds are None when not computed or undefined)."""

    value: float | None
    low: float | None = None
    high: float | None = None
    reason: str | None = None
    """Why the value is undefined (None), e.g. a single class in the slice."""


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
