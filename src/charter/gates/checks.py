"""The judges of the requirement kinds, by kind name.

Each judge lives in its kind's module under :mod:`charter.kinds.requirements`,
with the helpers they share in :mod:`charter.kinds.requirements.base`; this
module keeps the names the gate's callers have always imported.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..kinds.requirements import KINDS
from ..kinds.requirements.approval import approval_expiry
from ..kinds.requirements.approval import judge as judge_approval
from ..kinds.requirements.base import Context, Outcome, Part, Rule, combine, fmt, waiver_dict
from ..kinds.requirements.data_contract import judge as judge_data_contract
from ..kinds.requirements.definition import judge as judge_definition
from ..kinds.requirements.documentation import judge as judge_documentation
from ..kinds.requirements.drift import judge as judge_drift
from ..kinds.requirements.evidence import judge as judge_evidence
from ..kinds.requirements.fairness import judge as judge_fairness
from ..kinds.requirements.maturity import judge as judge_maturity
from ..kinds.requirements.metric import judge as judge_metric

JUDGES: dict[str, Callable[[Context, Any], Outcome]] = {name: k.judge for name, k in KINDS.items()}

__all__ = ["JUDGES", "Context", "Outcome", "Part", "Rule", "approval_expiry", "combine", "fmt", "judge_approval",
           "judge_data_contract", "judge_definition", "judge_documentation", "judge_drift", "judge_evidence",
           "judge_fairness", "judge_maturity", "judge_metric", "waiver_dict"]
