"""Evidence: one immutable record per job run, addressed by the hash of its inputs.

The envelope (:class:`EvidenceRecord` and its parts) is defined in
:mod:`charter.artifacts.record`; result payloads are typed per runner kind (each
kind module under ``charter.kinds.runners`` holds its result model) so a report
can never show a number no job computed.
"""

from __future__ import annotations


from pydantic import BaseModel, ConfigDict

# The envelope is a persisted artifact and lives with the others (charter.artifacts);
# its names stay importable from here.
from ..artifacts.record import SCHEMA_VERSION, Artifact, EvidenceRecord, Inputs, Lineage, Status  # noqa: F401


class _Rec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


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
