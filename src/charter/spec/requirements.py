"""Promotion requirements: what a use case must show to enter a life-cycle stage.

The same shapes appear in the organisation's policy (per stage and per risk
tier) and in a use case's own ``gates`` overrides, which may tighten a policy
requirement with the same id but never loosen it (a waiver is the only way).
"""

from __future__ import annotations

from typing import Annotated, Literal, Union

from pydantic import Field, model_validator

from .common import Id, Model, NonEmpty, Number, Text


class _Requirement(Model):
    id: Id
    """Stable id of the requirement; waivers and overrides refer to it."""
    description: Text | None = None
    """Why the requirement exists, shown next to its decision."""


class DefinitionRequirement(_Requirement):
    """The five definition questions are answered (the entry ticket to experimentation)."""

    kind: Literal["definition"]
    need_for_ai: bool = False
    """Also require the "do we even need AI?" answer (`needForAi`: the simpler alternative considered)."""


class MetricRequirement(_Requirement):
    """A model metric must meet a bound, optionally on a slice or against the champion."""

    kind: Literal["metric"]
    metric: NonEmpty
    """Metric name (see the metric catalogue) or `primary` for the use case's primary metric.
    `primary` without a bound means: meets the use case's own `evaluation.threshold`."""
    min: Number | None = None
    """Lowest acceptable value (inclusive)."""
    max: Number | None = None
    """Highest acceptable value (inclusive)."""
    slice: NonEmpty | None = None
    """Judge the metric on this slice (`column=value`) instead of overall; `*` means every slice."""
    use_interval: bool = False
    """Judge the pessimistic bound of the bootstrap interval rather than the point estimate."""
    min_absolute_change: Number | None = None
    """Versus the champion: the candidate must improve by at least this much (in the metric's direction)."""
    min_relative_change: Number | None = None
    """Versus the champion: the candidate must improve by at least this fraction of the champion's value."""

    @model_validator(mode="after")
    def _bound_given(self) -> "MetricRequirement":
        unbounded = (self.min is None and self.max is None and self.min_absolute_change is None
                     and self.min_relative_change is None)
        if unbounded and self.metric != "primary":
            raise ValueError("a metric requirement needs min, max, minAbsoluteChange or minRelativeChange "
                             "(only `metric: primary` may omit them, meaning the use case's own threshold)")
        return self


class FairnessRequirement(_Requirement):
    """Every fairness check (or the named one) must stay within its limit."""

    kind: Literal["fairness"]
    check: Id | None = None
    """A fairness check id of the use case; default: all of its checks."""
    use_interval: bool | None = None
    """Judge the bootstrap interval's pessimistic bound rather than the point estimate (overrides the check's own setting)."""


class DataContractRequirement(_Requirement):
    """Every data source with a contract (or the named ones) passed its data validation."""

    kind: Literal["data-contract"]
    data: list[Id] | None = None
    """Data source ids; default: every source with a contract."""


class DriftRequirement(_Requirement):
    """The latest drift report stays within limits."""

    kind: Literal["drift"]
    max_drift_share: Number = 0.5
    """Highest acceptable share of drifted features."""


class MaturityRequirement(_Requirement):
    """An MLOps process has reached at least a level."""

    kind: Literal["maturity"]
    process: Id
    """One of the seven MLOps processes."""
    min_level: int = Field(ge=0)
    """Lowest acceptable maturity level."""


class DocumentationRequirement(_Requirement):
    """The system card narrative is complete."""

    kind: Literal["documentation"]
    fields: list[NonEmpty] | None = None
    """Card fields that must be filled in (camelCase, as in the spec); default: all of them."""
    min_words: int = Field(default=10, ge=0)
    """A field counts as written only with at least this many words."""


class ApprovalRequirement(_Requirement):
    """A person holding a role signed off the current evidence for this stage."""

    kind: Literal["approval"]
    role: Id
    """Role the approver must hold in the organisation."""
    count: int = Field(default=1, ge=1)
    """How many distinct approvers with that role are needed."""


class EvidenceRequirement(_Requirement):
    """A job ran and succeeded on the current inputs (for jobs no other requirement reads)."""

    kind: Literal["evidence"]
    runner: NonEmpty
    """Runner whose successful, fresh evidence is required (for example `sklearn-train`)."""


Requirement = Annotated[
    Union[
        DefinitionRequirement,
        MetricRequirement,
        FairnessRequirement,
        DataContractRequirement,
        DriftRequirement,
        MaturityRequirement,
        DocumentationRequirement,
        ApprovalRequirement,
        EvidenceRequirement,
    ],
    Field(discriminator="kind"),
]

REQUIREMENT_KINDS = ("definition", "metric", "fairness", "data-contract", "drift", "maturity",
                     "documentation", "approval", "evidence")
