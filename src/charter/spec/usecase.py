"""One ML/AI use case: ``usecases/<id>/usecase.yaml``."""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import Field, ValidatorFunctionWrapHandler, WrapValidator, model_validator

from ..metrics.catalog import TaskType
from .common import Date, Id, Link, Meta, Model, NonEmpty, Number, Sha256, Text
from .generative import ChatCompletionsJob, GenerativeCompareJob, GenerativeEvalJob
from .requirements import Requirement

Scalar = Union[str, int, float, bool, None]

# --- the five definition questions ---------------------------------------------------


class Task(Model):
    type: Annotated[TaskType, Field(strict=False)]
    """binary-classification, multiclass-classification, text-classification, regression, ranking or generation."""
    target: NonEmpty | None = None
    """Column holding the label (or the value to predict)."""
    positive_label: Scalar = None
    """For binary classification: the label value that counts as positive."""
    description: Text
    """What the model decides or predicts, in plain words."""


class Evaluation(Model):
    primary_metric: NonEmpty
    """The metric the model is judged on."""
    threshold: Number
    """Minimum (or maximum, for lower-is-better metrics) acceptable value of the primary metric."""
    secondary_metrics: list[NonEmpty] = []
    rationale: Text | None = None
    """Why this metric and threshold fit the business problem."""


class BusinessImpact(Model):
    kpi: NonEmpty
    """The business KPI the use case moves."""
    unit: NonEmpty | None = None
    baseline: Number | None = None
    target: Number | None = None
    measurement: Text
    """How the impact is measured (experiment design, data, cadence)."""
    value_per_year: Number | None = Field(default=None, ge=0)
    """Expected yearly value in the organisation's currency."""
    cost_per_year: Number | None = Field(default=None, ge=0)
    """Expected yearly cost: infrastructure, data, people, labelling."""
    currency: NonEmpty = "EUR"
    risk_reduced: Text | None = None
    esg_impact: Text | None = None


class Consumption(Model):
    mode: Literal["online", "streaming", "batch", "edge"]
    """How predictions are served: online real-time endpoint, streaming from a queue, offline batch, or on-device."""
    latency_p95_ms: Number | None = Field(default=None, gt=0)
    throughput_per_second: Number | None = Field(default=None, gt=0)
    schedule: NonEmpty | None = None
    """For batch: when it runs."""
    consumers: list[NonEmpty] = Field(min_length=1)
    """Who or what consumes the predictions."""
    predictions_logged: bool = False
    """Every request and prediction is logged for monitoring and audit."""
    human_in_the_loop: bool = False
    """A person reviews predictions before they take effect."""


class NeedForAI(Model):
    simpler_alternative: Text
    """What simpler solution (rules, heuristics, reporting) was considered, and why it is not enough."""
    drives_revenue: bool = False
    competitive_advantage: bool = False
    proprietary_data: bool = False
    llm_overkill: bool | None = None
    """For generative use cases: would a smaller model or no LLM do?"""


# --- data -----------------------------------------------------------------------------

ColumnType = Literal["string", "integer", "float", "boolean", "date", "category"]


class ColumnContract(Model):
    type: ColumnType
    nullable: bool = False
    unique: bool = False
    min: Number | None = None
    max: Number | None = None
    allowed: list[Scalar] | None = None
    """Allowed values."""
    pattern: NonEmpty | None = None
    """Regular expression every (string) value must match fully."""
    min_distinct: int | None = Field(default=None, ge=1)
    """At least this many distinct non-missing values (2 on a sensitive attribute: a fairness check needs two
    groups, and a join that filled a default leaves one)."""
    description: Text | None = None


class RowBounds(Model):
    min: int | None = Field(default=None, ge=0)
    max: int | None = Field(default=None, ge=0)


class DataContract(Model):
    columns: dict[NonEmpty, ColumnContract] = Field(min_length=1)
    """Expected columns keyed by name."""
    rows: RowBounds | None = None
    strict: bool = True
    """Columns not declared here are errors."""


class DataSource(Model):
    id: Id
    path: NonEmpty
    """File path relative to the use case folder (CSV or Parquet), inside the repository."""
    sha256: Sha256
    """Pinned content hash; a mismatch stops every job that reads the file."""
    description: Text
    owner: Id
    """Person accountable for the data."""
    personal_data: bool
    """Holds personal data (GDPR)."""
    sensitive_attributes: list[NonEmpty] = []
    """Columns describing protected groups; used for fairness, excluded from features by default."""
    contract: DataContract | None = None
    origin: Text | None = None
    """Where the data comes from (system, vendor, generation script)."""


# --- jobs -----------------------------------------------------------------------------


class Split(Model):
    test_size: Number = Field(default=0.25, gt=0, lt=1)
    validation_size: Number = Field(default=0.0, ge=0, lt=1)
    """Share of the training part held out for early stopping (text models)."""
    seed: int = 0
    stratify: bool = True
    time_column: NonEmpty | None = None
    """Split by time instead of at random: the latest `testSize` share of rows (by this
    column, ISO dates or numbers) is the test set, so a forecast is judged on a future it
    has not seen. Rows sharing the cut-off value all go to the test set."""


class Features(Model):
    numeric: list[NonEmpty] = []
    categorical: list[NonEmpty] = []


class Estimator(Model):
    name: NonEmpty
    """Allowlisted estimator class name."""
    params: dict[NonEmpty, Scalar] = {}


class _Job(Model):
    id: Id
    description: Text | None = None
    # excluded from dumps, hence from evidence ids: a budget bounds a run, it does not change results
    timeout_seconds: int | None = Field(default=None, ge=1, exclude=True)
    """Wall-clock budget of this job in seconds (default: the policy's `jobs.timeoutSeconds`;
    at most its `jobs.maxTimeoutSeconds`). A job over its budget is stopped and recorded as an error."""


class DataContractJob(_Job):
    """Validate data sources against their contracts (pandera)."""

    runner: Literal["data-contract"]
    data: list[Id] | None = None
    """Sources to validate; default: every source with a contract."""


class SklearnTrainJob(_Job):
    """Train a scikit-learn estimator on a data source and predict on a held-out split."""

    runner: Literal["sklearn-train"]
    data: Id
    features: Features
    estimator: Estimator
    split: Split = Split()
    use_sensitive_attributes: bool = False
    """Allow sensitive attributes as features (off by default)."""


class TextModelRef(Model):
    source: Id
    """Allowlisted pre-trained model id (governance allowlist `models`)."""


class TextTrainJob(_Job):
    """Adapt a pre-trained transformer: fine-tune, or a frozen encoder with a linear head."""

    runner: Literal["text-finetune", "text-linear-probe"]
    data: Id
    text: NonEmpty
    """Column with the text."""
    model: TextModelRef
    split: Split = Split(validation_size=0.1)
    params: dict[NonEmpty, Scalar] = {}
    """Training settings: epochs, batchSize, learningRate, maxLength, patience..."""


class PredictionsRef(Model):
    job: Id | None = None
    """A training job whose held-out predictions are evaluated."""
    data: Id | None = None
    """Or a data source holding precomputed predictions (auditing a system that cannot be retrained)."""
    label: NonEmpty | None = None
    """With `data`: ground-truth column."""
    score: NonEmpty | None = None
    """With `data`: score / probability column."""
    prediction: NonEmpty | None = None
    """With `data`: predicted label column (default: score ≥ threshold)."""
    threshold: Number = 0.5

    @model_validator(mode="after")
    def _one_source(self) -> "PredictionsRef":
        if (self.job is None) == (self.data is None):
            raise ValueError("give exactly one of 'job' or 'data'")
        if self.data is not None and self.label is None:
            raise ValueError("precomputed predictions need 'label' (the ground-truth column)")
        if self.data is not None and self.score is None and self.prediction is None:
            raise ValueError("precomputed predictions need 'score' or 'prediction'")
        return self


class Bootstrap(Model):
    replicates: int = Field(default=1000, ge=0, le=100_000)
    confidence: Number = Field(default=0.95, gt=0, lt=1)
    seed: int = 0


class EvaluateJob(_Job):
    """Compute the task's metrics overall and per slice, with bootstrap intervals."""

    runner: Literal["evaluate"]
    predictions: PredictionsRef
    slices: list[NonEmpty] = []
    """Columns whose values define slices."""
    champion: PredictionsRef | None = None
    """The current production model's predictions on the same rows, for relative gates."""
    bootstrap: Bootstrap = Bootstrap()


class FairnessJob(_Job):
    """Per-group metrics and disparities for each sensitive attribute and their intersection."""

    runner: Literal["fairness"]
    predictions: PredictionsRef
    sensitive_attributes: list[NonEmpty] | None = None
    """Default: the sensitive attributes of the data the predictions come from."""
    intersections: bool = True
    bootstrap: Bootstrap = Bootstrap()


class DriftJob(_Job):
    """Compare current data with the reference: schema and distribution drift."""

    runner: Literal["drift"]
    reference: Id
    current: Id
    features: list[NonEmpty] | None = None
    categorical: list[NonEmpty] | None = None
    thresholds: dict[Literal["psi", "ks", "chi2", "drift_share"], Number] = {}


class ExposureSpec(Model):
    """Fairness of exposure by one group attribute of the ranked items (provider, channel, region)."""

    attribute: NonEmpty
    """Column holding each item's group."""
    cutoff: int | None = Field(default=None, ge=1, le=10_000)
    """Only the top `cutoff` positions receive attention (default: the whole list)."""
    min_group_size: int = Field(default=30, ge=1)
    """Groups with fewer items are reported and flagged, not compared."""


class RankingEvaluateJob(_Job):
    """Ranking metrics (NDCG@k, MAP@k, MRR, precision@k, recall@k) overall and per slice, and fairness
    of exposure, with intervals by bootstrapping queries."""

    runner: Literal["ranking-evaluate"]
    data: Id
    """Data source with one row per (query, item): the ranked list the system produced."""
    query: NonEmpty
    """Column with the query id (a queue, a search, a customer)."""
    item: NonEmpty
    """Column with the item id; ties in score are broken by item id, ascending."""
    grade: NonEmpty
    """Column with the relevance grade (a non-negative number)."""
    score: NonEmpty
    """Column with the system's score; higher ranks first."""
    cutoffs: list[Annotated[int, Field(ge=1, le=10_000)]] = Field(default=[5, 10], min_length=1)
    """The k of NDCG@k, MAP@k, precision@k and recall@k."""
    relevant_grade: Number = Field(default=1, gt=0)
    """Items with a grade at least this are relevant."""
    no_relevant: Literal["error", "exclude", "zero"] = "error"
    """Queries without a relevant item: refuse them, leave them out of every average, or score them 0."""
    slices: list[NonEmpty] = []
    """Query-level columns whose values define slices."""
    exposure: list[ExposureSpec] = []
    bootstrap: Bootstrap = Bootstrap()


EXTRA_JOB_MODELS: dict[str, type[Model]] = {}
"""Runner name → job model of each runner kind registered beyond the built-in ones
(``charter.kinds.runners.register`` fills it): their jobs parse too, and the published
schema, which describes the built-in kinds, stays as it is."""


def _registered_job(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    if EXTRA_JOB_MODELS and isinstance(value, dict):
        model = EXTRA_JOB_MODELS.get(value.get("runner"))  # type: ignore[arg-type]
        if model is not None:
            return model.model_validate(value)
    return handler(value)


Job = Annotated[
    Union[DataContractJob, SklearnTrainJob, TextTrainJob, EvaluateJob, FairnessJob, DriftJob, RankingEvaluateJob,
          GenerativeEvalJob, GenerativeCompareJob, ChatCompletionsJob],
    Field(discriminator="runner"),
    WrapValidator(_registered_job),
]


# --- fairness, approvals, waivers, card -----------------------------------------------


class FairnessCheck(Model):
    id: Id
    sensitive_attributes: list[NonEmpty] = Field(min_length=1)
    """One column, or several for their intersection."""
    metric: NonEmpty
    """Disparity metric, for example `demographic_parity_ratio`."""
    min: Number | None = None
    max: Number | None = None
    use_interval: bool = False
    """Judge the bootstrap interval's pessimistic bound, not the point estimate."""
    min_group_size: int | None = Field(default=None, ge=1)
    """Groups with fewer rows are reported but left out of the disparity judged (default: the policy's
    `fairness.minGroupSize`)."""
    include_small_groups: bool = False
    """Judge the disparity over every group, small ones included (they are still flagged)."""
    reference_group: NonEmpty | None = None
    """A group label (as the evidence labels it: `White`, or `sex=F, race=White` for an intersection): each other
    group is also judged against it (the check's metric over that group and the reference), as bias audits do."""
    affected_groups: Text
    """Who could be harmed and how."""
    rationale: Text
    """Why this metric and threshold fit the business context."""

    @model_validator(mode="after")
    def _bound(self) -> "FairnessCheck":
        if self.min is None and self.max is None:
            raise ValueError("a fairness check needs 'min' or 'max'")
        return self


class Approval(Model):
    stage: Id
    by: Id
    """Person id."""
    role: Id
    date: Date
    evidence: Sha256
    """Review digest of what was approved for this stage: each job's status, a hash of its results and the
    data it read, and the spec sections that judge them (`charter approve` writes it; gate decisions carry
    the current one as `reviewDigest`)."""
    expires: Date | None = None
    note: Text | None = None
    signature: NonEmpty | None = None
    """Armored SSH signature (`-----BEGIN SSH SIGNATURE-----`) by one of the approver's listed keys over
    the use case, stage, by, role, date, expires and evidence (`charter approve --key`)."""


class Waiver(Model):
    requirement: Id
    stage: Id | None = None
    """Stage the waiver applies to; default: any."""
    owner: Id
    """Person accountable for the waiver; must hold a role the policy lets waive the requirement's kind."""
    reason: Text
    ticket: NonEmpty
    expires: Date
    date: Date | None = None
    """Day the waiver was granted; its duration (to `expires`) is measured from it, else from today."""
    approved_by: Id | None = None
    """Person (holding a role allowed to waive the kind) whose signature grants the waiver, when the policy
    requires signed waivers."""
    signature: NonEmpty | None = None
    """Armored SSH signature by `approvedBy` over the use case, requirement, stage, owner, ticket, reason,
    date and expires."""


class Card(Model):
    intended_use: Text | None = None
    out_of_scope_use: Text | None = None
    limitations: Text | None = None
    ethical_considerations: Text | None = None
    misuse_and_edge_cases: Text | None = None
    content_warnings: Text | None = None
    human_oversight: Text | None = None
    regulatory_justification: Text | None = None
    """How the system would be justified to a regulator."""


CARD_FIELDS = tuple(Card.model_fields)


class Prioritisation(Model):
    strategic_alignment: int = Field(ge=1, le=5)
    data_readiness: int = Field(ge=1, le=5)
    technical_readiness: int = Field(ge=1, le=5)
    risk: int = Field(ge=1, le=5)
    """1 = low risk, 5 = high risk."""
    labelling_budget: Text | None = None
    cannibalises: list[Id] = []
    """Use cases competing for the same surface or metric."""


class Maturity(Model):
    development: int = Field(ge=0)
    operationalisation: int = Field(ge=0)
    continuous_training: int = Field(ge=0, alias="continuous-training")
    model_deployment: int = Field(ge=0, alias="model-deployment")
    prediction_serving: int = Field(ge=0, alias="prediction-serving")
    continuous_monitoring: int = Field(ge=0, alias="continuous-monitoring")
    management: int = Field(ge=0)

    def by_process(self) -> dict[str, int]:
        return {f.alias or name: getattr(self, name) for name, f in type(self).model_fields.items()}


class UseCase(Model):
    """An ML/AI use case and everything needed to govern it."""

    api_version: Literal["charter/v1"] = Field(alias="apiVersion")
    kind: Literal["UseCase"]
    id: Id
    """Must equal the folder name under `usecases/`."""
    title: NonEmpty
    summary: Text
    business_unit: Id
    team: Id
    stage: Id
    """Current life-cycle stage (from governance policy)."""
    risk_tier: Id
    owners: dict[Id, Id | list[Id]] = Field(min_length=1)
    """Role id → person id(s)."""
    tags: list[NonEmpty] = []
    links: list[Link] = []
    task: Task | None = None
    evaluation: Evaluation | None = None
    data: list[DataSource] = []
    business_impact: BusinessImpact | None = None
    consumption: Consumption | None = None
    need_for_ai: NeedForAI | None = None
    maturity: Maturity | None = None
    okrs: list[Id] = []
    """Key result ids this use case contributes to."""
    prioritisation: Prioritisation | None = None
    jobs: list[Job] = []
    fairness: list[FairnessCheck] = []
    gates: dict[Id, list[Requirement]] = {}
    """Stage id → extra or stricter requirements than the policy's."""
    approvals: list[Approval] = []
    waivers: list[Waiver] = []
    card: Card = Card()
    third_party: bool = False
    """The model is a vendor's: it can be evaluated, not retrained."""
    meta: Meta | None = None

    def owner_ids(self) -> dict[str, list[str]]:
        return {role: ([p] if isinstance(p, str) else list(p)) for role, p in self.owners.items()}

    def definition_gaps(self) -> list[str]:
        """The definition questions still unanswered."""
        gaps = []
        if self.task is None:
            gaps.append("task")
        if self.evaluation is None:
            gaps.append("evaluation")
        if not self.data:
            gaps.append("data")
        if self.business_impact is None:
            gaps.append("businessImpact")
        if self.consumption is None:
            gaps.append("consumption")
        return gaps

    def source(self, data_id: str) -> DataSource | None:
        return next((d for d in self.data if d.id == data_id), None)

    def job(self, job_id: str) -> Any:
        return next((j for j in self.jobs if j.id == job_id), None)
