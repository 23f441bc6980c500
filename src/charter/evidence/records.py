"""Evidence: one immutable record per job run, addressed by the hash of its inputs.

The envelope (:class:`EvidenceRecord` and its parts) is defined in
:mod:`charter.artifacts.record`; result payloads are typed per runner kind (each
kind module under ``charter.kinds.runners`` holds its result model) so a report
can never show a number no job computed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict

# The envelope is a persisted artifact and lives with the others (charter.artifacts);
# its names stay importable from here.
from ..artifacts.record import SCHEMA_VERSION, Artifact, EvidenceRecord, Inputs, Lineage, Status  # noqa: F401


class _Rec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Estimate(_Rec):
    """A value with its confidence interval (bounds are None when not computed or undefined)."""

    value: float | None
    low: float | None = None
    high: float | None = None
    reason: str | None = None
    """Why the value is undefined (None), e.g. a single class in the slice."""
    method: str | None = None
    """How the interval was computed (``charter.metrics.intervals``): "wilson", "newcombe",
    "katz-log", "pairwise-newcombe", "pairwise-katz-log", "bca-bootstrap"; None in records
    written before methods were recorded, or when there is no interval."""


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
