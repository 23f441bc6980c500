"""Evidence: one immutable record per job run, addressed by the hash of its inputs.

This module is the contract between ``run`` (which writes records), ``gate`` and
``render`` (which only read them). Result payloads are typed per runner kind (each
kind module under ``charter.kinds.runners`` holds its result model) so a report
can never show a number no job computed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

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
    """The JSON of the runner kind's result model; typed access: ``charter.kinds.runners.get(runner).result(record)``."""
    artifacts: list[Artifact] = []


# --- result payloads --------------------------------------------------------------------
# Each runner kind owns its result model (``charter.kinds.runners.<kind>``) and reads a
# record's payload with ``kind.result(record)``. The names below still resolve here,
# lazily (the kinds import this module), for readers not yet reading through the kind.

_MOVED = {
    "ContractFailure": "data_contract", "ContractSource": "data_contract", "DataContractResult": "data_contract",
    "TrainResult": "_shared", "MetricsBlock": "evaluate", "EvaluateResult": "evaluate",
    "GroupRow": "fairness", "AttributeFairness": "fairness", "FairnessResult": "fairness",
    "DriftFeature": "drift", "DriftResult": "drift",
}

if TYPE_CHECKING:
    from ..kinds.runners._shared import TrainResult
    from ..kinds.runners.data_contract import ContractFailure, ContractSource, DataContractResult
    from ..kinds.runners.drift import DriftFeature, DriftResult
    from ..kinds.runners.evaluate import EvaluateResult, MetricsBlock
    from ..kinds.runners.fairness import AttributeFairness, FairnessResult, GroupRow


def __getattr__(name: str) -> Any:
    if name == "RESULT_MODELS":
        from ..kinds import runners

        return {k.name: k.result_model for k in runners.all_kinds()}
    if name in _MOVED:
        import importlib

        return getattr(importlib.import_module(f"charter.kinds.runners.{_MOVED[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
