"""Promotion requirements: what a use case must show to enter a life-cycle stage.

The same shapes appear in the organisation's policy (per stage and per risk
tier) and in a use case's own ``gates`` overrides, which may tighten a policy
requirement with the same id but never loosen it (a waiver is the only way).
Each kind's model lives in its module under :mod:`charter.kinds.requirements`;
this module builds the discriminated union from that registry.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Union

from pydantic import Field

from ..kinds.requirements import KINDS
from ..kinds.requirements.approval import ApprovalRequirement
from ..kinds.requirements.data_contract import DataContractRequirement
from ..kinds.requirements.definition import DefinitionRequirement
from ..kinds.requirements.documentation import DocumentationRequirement
from ..kinds.requirements.drift import DriftRequirement
from ..kinds.requirements.evidence import EvidenceRequirement
from ..kinds.requirements.exposure import ExposureRequirement
from ..kinds.requirements.fairness import FairnessRequirement
from ..kinds.requirements.generative_metric import GenerativeMetricRequirement
from ..kinds.requirements.generative_regression import GenerativeRegressionRequirement
from ..kinds.requirements.maturity import MaturityRequirement
from ..kinds.requirements.metric import MetricRequirement

if TYPE_CHECKING:  # the type checker needs the members spelled out; the registry test keeps both equal
    Requirement = Annotated[
        Union[DefinitionRequirement, MetricRequirement, FairnessRequirement, DataContractRequirement,
              DriftRequirement, MaturityRequirement, DocumentationRequirement, ApprovalRequirement,
              EvidenceRequirement, ExposureRequirement,
              GenerativeMetricRequirement, GenerativeRegressionRequirement],
        Field(discriminator="kind"),
    ]
else:
    Requirement = Annotated[Union[tuple(k.model for k in KINDS.values())], Field(discriminator="kind")]

REQUIREMENT_KINDS = tuple(KINDS)

__all__ = [
    "ApprovalRequirement",
    "DataContractRequirement",
    "DefinitionRequirement",
    "DocumentationRequirement",
    "DriftRequirement",
    "EvidenceRequirement",
    "ExposureRequirement",
    "FairnessRequirement",
    "GenerativeMetricRequirement",
    "GenerativeRegressionRequirement",
    "MaturityRequirement",
    "MetricRequirement",
    "REQUIREMENT_KINDS",
    "Requirement",
]
