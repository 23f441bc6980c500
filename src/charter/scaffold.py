"""A new use case spec: valid from the first commit, commented for the team filling it in."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .loading.loader import Repository

_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,62}$")

TEMPLATE = """\
# yaml-language-server: $schema=../../schemas/usecase.schema.json
# A new use case. Fill in the five definition questions (task, evaluation, data,
# businessImpact, consumption) before asking to enter '{next_stage}'.
# Validate with: charter validate usecases/{id}
apiVersion: charter/v1
kind: UseCase
id: {id}
title: {title}
summary: >-
  One paragraph: what the system does, for whom, and why it matters.
businessUnit: {business_unit}
team: {team}
stage: {stage}
# Risk tier from governance/policy.yaml: {tiers}
riskTier: {tier}
owners:
  # role id -> person id (the person must hold that role in governance/organisation.yaml)
  {owner_role}: {owner}

# 1. Task: what is the final task?
# task:
#   type: binary-classification   # multiclass-classification, text-classification, regression, ranking, generation
#   target: label_column
#   positiveLabel: 1
#   description: What the model decides or predicts, in plain words.

# 2. Evaluation metric: how is the model judged?
# evaluation:
#   primaryMetric: roc_auc
#   threshold: 0.75
#   secondaryMetrics: [recall, brier]
#   rationale: Why this metric and threshold fit the problem.

# 3. Relevant data: sources, owners, personal data, sensitive attributes.
# data:
#   - id: training-data
#     path: data/training.csv          # relative to this folder, inside the repository
#     sha256: <run: sha256sum usecases/{id}/data/training.csv>
#     description: Where the rows come from and what one row is.
#     owner: {owner}
#     personalData: false
#     sensitiveAttributes: []

# 4. Business impact: how will the impact be measured?
# businessImpact:
#   kpi: The KPI this use case moves
#   baseline: 0
#   target: 0
#   measurement: How and when the KPI is measured.
#   valuePerYear: 0

# 5. Consumption needs: how is the output consumed?
# consumption:
#   mode: batch                       # online, streaming, batch or edge
#   consumers: [Who or what uses the predictions]

# Do we even need AI?
# needForAi:
#   simplerAlternative: The simpler option considered, and why it is not enough.

card:
  intendedUse: >-
    What the system is for, and who may rely on it.
"""


@dataclass(frozen=True)
class Scaffold:
    path: str
    text: str


class ScaffoldError(ValueError):
    pass


def new_usecase(repo: Repository, usecase_id: str, title: str | None = None) -> Scaffold:
    if not _ID.match(usecase_id):
        raise ScaffoldError(f"'{usecase_id}' is not a valid id: use lower-case letters, digits, '.', '_' or '-'")
    target = repo.root / "usecases" / usecase_id / "usecase.yaml"
    if target.exists():
        raise ScaffoldError(f"{target.relative_to(repo.root)} already exists")
    org, pol = repo.organisation, repo.policy
    if org is None or pol is None:
        raise ScaffoldError("governance/ needs an Organisation and a Policy before use cases can be added "
                            "(run 'charter validate' to see what is missing)")
    owner_role = "product-manager" if any("product-manager" in p.roles for p in org.people) else org.people[0].roles[0]
    owner = next(p for p in org.people if owner_role in p.roles)
    team = next((t for t in org.teams if t.id == owner.team), org.teams[0])
    tier = next((t for t in pol.risk_tiers if t.max_stage is None), pol.risk_tiers[0])
    text = TEMPLATE.format(
        id=usecase_id,
        title=_yaml_str(title or usecase_id.replace("-", " ").capitalize()),
        business_unit=team.business_unit,
        team=team.id,
        stage=pol.stages[0].id,
        next_stage=pol.stages[1].id if len(pol.stages) > 1 else pol.stages[0].id,
        tiers=", ".join(t.id for t in pol.risk_tiers),
        tier=tier.id,
        owner_role=owner_role,
        owner=owner.id,
    )
    return Scaffold(path=f"usecases/{usecase_id}/usecase.yaml", text=text)


def _yaml_str(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'
