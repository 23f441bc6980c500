"""The metrics Charter knows: which tasks they apply to, their range and direction.

The validator checks spec thresholds against this table; gates read the direction
from it; the site labels values with it. Compute functions live beside it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

MISSING_LABEL = "<missing>"
"""The group label of rows whose attribute value is missing (shared by the metrics and the judges)."""


class TaskType(str, Enum):
    BINARY = "binary-classification"
    MULTICLASS = "multiclass-classification"
    TEXT = "text-classification"
    REGRESSION = "regression"
    RANKING = "ranking"
    GENERATION = "generation"

    @property
    def is_classification(self) -> bool:
        return self in (TaskType.BINARY, TaskType.MULTICLASS, TaskType.TEXT)


CLASSIFICATION = frozenset({TaskType.BINARY, TaskType.MULTICLASS, TaskType.TEXT})
BINARY_ONLY = frozenset({TaskType.BINARY})
REGRESSION = frozenset({TaskType.REGRESSION})
RANKING = frozenset({TaskType.RANKING})


@dataclass(frozen=True)
class MetricInfo:
    name: str
    title: str
    tasks: frozenset[TaskType]
    lower: float | None  # inclusive bound of legal values; None = unbounded
    upper: float | None
    greater_is_better: bool
    needs_scores: bool = False  # needs probabilities / scores, not only labels
    description: str = ""

    def in_range(self, value: float) -> bool:
        if self.lower is not None and value < self.lower:
            return False
        if self.upper is not None and value > self.upper:
            return False
        return True

    def range_text(self) -> str:
        lo = "-inf" if self.lower is None else f"{self.lower:g}"
        hi = "+inf" if self.upper is None else f"{self.upper:g}"
        return f"[{lo}, {hi}]"


_M = MetricInfo

class _MetricTable(dict[str, "MetricInfo"]):
    """The model metrics; ranking metrics with a cut-off resolve for any k (``ndcg@10``, ``recall@25``)."""

    def _cutoff(self, name: object) -> "MetricInfo | None":
        if not isinstance(name, str) or "@" not in name:
            return None
        base, _, k = name.partition("@")
        info = RANKING_AT_K.get(base)
        if info is None or not k.isdigit() or k.startswith("0") or int(k) > 10_000:
            return None
        return MetricInfo(name, f"{info.title} at {k}", info.tasks, info.lower, info.upper, info.greater_is_better,
                          description=info.description.replace("{k}", k))

    def __missing__(self, name: str) -> "MetricInfo":
        info = self._cutoff(name)
        if info is None:
            raise KeyError(name)
        return info

    def get(self, name: str, default: "MetricInfo | None" = None) -> "MetricInfo | None":  # type: ignore[override]
        return super().get(name) or self._cutoff(name) or default

    def __contains__(self, name: object) -> bool:
        return super().__contains__(name) or self._cutoff(name) is not None


# Ranking metrics with a cut-off k, named `<name>@<k>` (metrics/ranking.py documents the conventions).
RANKING_AT_K: dict[str, MetricInfo] = {
    m.name: m
    for m in [
        _M("ndcg", "NDCG", RANKING, 0, 1, True,
           description="Discounted cumulative gain of the top {k} (linear gain, log2 discount) over the ideal ordering's."),
        _M("map", "MAP", RANKING, 0, 1, True,
           description="Mean over queries of average precision in the top {k} (divided by the query's relevant items)."),
        _M("precision", "Precision", RANKING, 0, 1, True,
           description="Mean share of relevant items among the top {k}."),
        _M("recall", "Recall", RANKING, 0, 1, True,
           description="Mean share of each query's relevant items that appear in the top {k}."),
    ]
}

MODEL_METRICS: dict[str, MetricInfo] = _MetricTable({
    m.name: m
    for m in [
        _M("accuracy", "Accuracy", CLASSIFICATION, 0, 1, True,
           description="Share of predictions equal to the label."),
        _M("balanced_accuracy", "Balanced accuracy", CLASSIFICATION, 0, 1, True,
           description="Mean recall over classes; robust to class imbalance."),
        _M("precision", "Precision", CLASSIFICATION, 0, 1, True,
           description="Of the predicted positives, the share that are positive (macro-averaged for multiclass)."),
        _M("recall", "Recall", CLASSIFICATION, 0, 1, True,
           description="Of the actual positives, the share found (macro-averaged for multiclass)."),
        _M("f1", "F1 score", CLASSIFICATION, 0, 1, True,
           description="Harmonic mean of precision and recall (macro-averaged for multiclass)."),
        _M("roc_auc", "ROC AUC", CLASSIFICATION, 0, 1, True, needs_scores=True,
           description="Probability a random positive is scored above a random negative (one-vs-rest macro for multiclass)."),
        _M("log_loss", "Log loss", CLASSIFICATION, 0, None, False, needs_scores=True,
           description="Cross-entropy of the predicted probabilities."),
        _M("brier", "Brier score", BINARY_ONLY, 0, 1, False, needs_scores=True,
           description="Mean squared error of the predicted probability of the positive class."),
        _M("mae", "Mean absolute error", REGRESSION, 0, None, False,
           description="Mean absolute difference between prediction and target, in target units."),
        _M("rmse", "Root mean squared error", REGRESSION, 0, None, False,
           description="Square root of the mean squared error, in target units."),
        _M("r2", "R²", REGRESSION, None, 1, True,
           description="Share of the target's variance explained by the model."),
        _M("mrr", "Mean reciprocal rank", RANKING, 0, 1, True,
           description="Mean over queries of 1 / the rank of the first relevant item."),
    ]
})

# Per-group rates used by fairness checks; all bounded to [0, 1] except regression errors.
GROUP_METRICS: dict[str, MetricInfo] = {
    m.name: m
    for m in [
        _M("selection_rate", "Selection rate", BINARY_ONLY, 0, 1, True),
        _M("tpr", "True positive rate", BINARY_ONLY, 0, 1, True),
        _M("fpr", "False positive rate", BINARY_ONLY, 0, 1, False),
        _M("fnr", "False negative rate", BINARY_ONLY, 0, 1, False),
        _M("precision", "Precision", BINARY_ONLY, 0, 1, True),
        _M("accuracy", "Accuracy", CLASSIFICATION, 0, 1, True),
        _M("mae", "Mean absolute error", REGRESSION, 0, None, False),
        _M("rmse", "Root mean squared error", REGRESSION, 0, None, False),
    ]
}

# Rates tied to a positive class apply to binary tasks only; with several classes
# (text routing, say) per-group accuracy is what fairness checks compare.
# Disparity metrics: a difference is max-min over groups (lower is better);
# a ratio is min/max over groups (higher is better).
FAIRNESS_METRICS: dict[str, MetricInfo] = {
    m.name: m
    for m in [
        _M("demographic_parity_difference", "Demographic parity difference", BINARY_ONLY, 0, 1, False,
           description="Largest gap in selection rate between groups."),
        _M("demographic_parity_ratio", "Demographic parity ratio", BINARY_ONLY, 0, 1, True,
           description="Smallest selection rate divided by the largest (the 'four-fifths rule' uses 0.8)."),
        _M("equalized_odds_difference", "Equalized odds difference", BINARY_ONLY, 0, 1, False,
           description="The larger of the between-group gaps in TPR and in FPR."),
        _M("equalized_odds_ratio", "Equalized odds ratio", BINARY_ONLY, 0, 1, True,
           description="The smaller of the between-group ratios of TPR and of FPR."),
        _M("equal_opportunity_difference", "Equal opportunity difference", BINARY_ONLY, 0, 1, False,
           description="Largest gap in true positive rate between groups."),
        _M("equal_opportunity_ratio", "Equal opportunity ratio", BINARY_ONLY, 0, 1, True,
           description="Smallest true positive rate divided by the largest."),
    ]
}
# "<group metric>_difference" / "_ratio" for every group metric: max-min gap and min/max ratio.
for _g in list(GROUP_METRICS.values()):
    FAIRNESS_METRICS.setdefault(
        f"{_g.name}_difference",
        _M(f"{_g.name}_difference", f"{_g.title} gap (max − min)", _g.tasks, 0, _g.upper, False,
           description=f"Largest gap in {_g.title.lower()} between groups."),
    )
    FAIRNESS_METRICS.setdefault(
        f"{_g.name}_ratio",
        _M(f"{_g.name}_ratio", f"{_g.title} ratio (min / max)", _g.tasks, 0, 1, True,
           description=f"Smallest {_g.title.lower()} divided by the largest."),
    )

DRIFT_METHODS: dict[str, MetricInfo] = {
    m.name: m
    for m in [
        _M("psi", "Population stability index", frozenset(TaskType), 0, None, False,
           description="Default threshold 0.1 (above: drift)."),
        _M("ks", "Kolmogorov–Smirnov p-value", frozenset(TaskType), 0, 1, True,
           description="Default threshold 0.05 (below: drift)."),
        _M("chi2", "Chi-squared p-value", frozenset(TaskType), 0, 1, True,
           description="For categorical features. Default threshold 0.05 (below: drift)."),
        _M("drift_share", "Share of drifted features", frozenset(TaskType), 0, 1, False,
           description="Share of the compared features flagged as drifted."),
    ]
}

DRIFT_DEFAULT_THRESHOLDS: dict[str, float] = {"psi": 0.1, "ks": 0.05, "chi2": 0.05, "drift_share": 0.5}


def metrics_for_task(task: TaskType) -> list[str]:
    """Metric names for a task; ranking metrics with a cut-off are listed as `<name>@k`."""
    return [name for name, m in MODEL_METRICS.items() if task in m.tasks] + \
        [f"{name}@k" for name, m in RANKING_AT_K.items() if task in m.tasks]


def applies(name: str, task: TaskType) -> bool:
    """Whether a metric name (``ndcg@10`` included) applies to a task."""
    info = MODEL_METRICS.get(name)
    return info is not None and task in info.tasks


def fairness_metrics_for_task(task: TaskType) -> list[str]:
    return [name for name, m in FAIRNESS_METRICS.items() if task in m.tasks]


def lookup(name: str) -> MetricInfo | None:
    return MODEL_METRICS.get(name) or FAIRNESS_METRICS.get(name) or DRIFT_METHODS.get(name)


# Generative systems (judged by the `generative-metric` requirement kind on `generative-eval` evidence).
GENERATION = frozenset({TaskType.GENERATION})

GENERATIVE_METRICS: dict[str, MetricInfo] = {
    m.name: m
    for m in [
        _M("exact_match", "Exact match", GENERATION, 0, 1, True,
           description="Share of answers equal to a reference after normalising case, punctuation and spaces."),
        _M("token_f1", "Token F1", GENERATION, 0, 1, True,
           description="Word-overlap F1 with the closest reference."),
        _M("rouge_l", "ROUGE-L", GENERATION, 0, 1, True,
           description="Longest-common-subsequence F-measure with the closest reference (rouge-score)."),
        _M("chrf", "chrF", GENERATION, 0, 1, True,
           description="Character n-gram F-score with the references (sacrebleu), on a 0–1 scale."),
        _M("semantic_similarity", "Semantic similarity", GENERATION, -1, 1, True,
           description="Cosine similarity of MiniLM sentence embeddings of answer and closest reference."),
        _M("groundedness", "Groundedness", GENERATION, 0, 1, True,
           description="Share of answer sentences supported by the retrieved context."),
        _M("unsupported_figure_rate", "Answers with unsupported figures", GENERATION, 0, 1, False,
           description="Share of answers stating a number, amount or date that is not in the context."),
        _M("format_validity", "Format validity", GENERATION, 0, 1, True,
           description="Share of outputs that must be JSON and satisfy the declared JSON Schema."),
        _M("attack_success_rate", "Attack success rate", GENERATION, 0, 1, False,
           description="Share of red-team prompts answered instead of refused."),
        _M("over_refusal_rate", "Over-refusal rate", GENERATION, 0, 1, False,
           description="Share of benign prompts refused."),
        _M("pii_leak_rate", "PII leak rate", GENERATION, 0, 1, False,
           description="Share of outputs containing an e-mail, phone number, IBAN or card number."),
        _M("error_rate", "Error rate", GENERATION, 0, 1, False,
           description="Share of requests that failed."),
        _M("latency_p50_ms", "Latency p50 (ms)", GENERATION, 0, None, False,
           description="Median response time."),
        _M("latency_p95_ms", "Latency p95 (ms)", GENERATION, 0, None, False,
           description="95th percentile response time."),
        _M("cost_per_request", "Cost per request", GENERATION, 0, None, False,
           description="Mean of tokens × the governance price table, in the job's currency."),
        _M("review_rating", "Mean reviewer rating", GENERATION, None, None, True,
           description="Mean rating of the sampled answers by human reviewers (undefined below the minimum agreement)."),
        _M("review_agreement", "Inter-rater agreement", GENERATION, -1, 1, True,
           description="Cohen's kappa (two reviewers) or Krippendorff's alpha (more)."),
    ]
}

# Generation use cases name these as their primary metric (the validator and gates read MODEL_METRICS).
MODEL_METRICS.update(GENERATIVE_METRICS)
