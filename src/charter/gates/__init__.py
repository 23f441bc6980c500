"""Promotion gates: evidence + approvals + waivers + policy → a decision per stage.

Names are imported on first use: ``charter run`` needs only :mod:`.evidence` (is a
record current?), not the judging machinery behind :func:`decide`.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_WHERE = {
    "GateError": ".evaluate", "decide": ".evaluate", "next_stage": ".evaluate",
    "EvidenceSource": ".evidence", "EvidenceView": ".evidence", "JobEvidence": ".evidence",
    "GateDecision": ".model", "RequirementResult": ".model",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(module, __name__), name)
