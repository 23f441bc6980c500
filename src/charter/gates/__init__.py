"""Promotion gates: evidence + approvals + waivers + policy → a decision per stage."""

from .evaluate import GateError, decide, next_stage
from .evidence import EvidenceSource, EvidenceView, JobEvidence
from .model import GateDecision, RequirementResult

__all__ = [
    "EvidenceSource",
    "EvidenceView",
    "GateDecision",
    "GateError",
    "JobEvidence",
    "RequirementResult",
    "decide",
    "next_stage",
]
