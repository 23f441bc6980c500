"""Runner kind ``sklearn-train``: train an allowlisted scikit-learn estimator, predict on a held-out split.

Execution: :mod:`charter.jobs.sklearn_train`. The estimator and each of its
parameters must be on the governance allowlist; :func:`param_problem` is the one
rule check both the validator and the runner apply.
"""

from __future__ import annotations

from typing import Any

from ...diagnostics import did_you_mean, known_list
from ...metrics.catalog import TaskType
from ...spec import known
from ...spec.governance import ParamRule
from ...spec.usecase import SklearnTrainJob, UseCase
from ._shared import TrainResult, format_train
from .base import PHASE_TRAIN, Checker, Loc, Reads, RunnerKind, task_spec


def param_problem(rule: ParamRule, value: Any) -> str | None:
    """Why a parameter value breaks its allowlist rule, or None."""
    kinds = {
        "null": value is None,
        "boolean": isinstance(value, bool),
        "integer": isinstance(value, int) and not isinstance(value, bool),
        "number": isinstance(value, (int, float)) and not isinstance(value, bool),
        "string": isinstance(value, str),
    }
    if not any(kinds[t] for t in rule.type):
        return f"expected {' or '.join(rule.type)}, got {value!r}"
    if rule.choices is not None and value not in rule.choices:
        return f"expected one of {rule.choices}, got {value!r}"
    if rule.min is not None and rule.max is not None and rule.min > rule.max:
        return None  # an empty range is the allowlist's error (param_rule_bounds), not the use case's
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if rule.min is not None and value < rule.min:
            return f"{value} is below the allowed minimum {rule.min:g}"
        if rule.max is not None and value > rule.max:
            return f"{value} is above the allowed maximum {rule.max:g}"
    return None


class SklearnTrain(RunnerKind[TrainResult]):
    name = "sklearn-train"
    description = "Train an allowlisted scikit-learn estimator and predict on a held-out split."
    spec_model = SklearnTrainJob
    result_model = TrainResult
    result_version = "1"
    backend = "charter.jobs.sklearn_train"
    packages = ("scikit-learn", "pandas", "numpy", "scipy")
    phase = PHASE_TRAIN
    predicts = True
    section = "training"

    def reads(self, repo: Any, uc: UseCase, job: Any) -> Reads:
        return Reads(spec={"task": task_spec(uc)}, data=[job.data], seed=job.split.seed)

    def crossref(self, check: Checker, uc: UseCase, job: Any, loc: Loc) -> None:
        check.ref(loc + ["data"], job.data, [d.id for d in uc.data], "data source")
        name = job.estimator.name
        rule = check.estimators.get(name)
        if rule is None or name not in known.ESTIMATORS:
            check.err("CH029", loc + ["estimator", "name"], f"estimator '{name}' is not on the governance allowlist",
                      did_you_mean(name, check.estimators) or f"allowed: {known_list(check.estimators)}")
        else:
            kind = known.ESTIMATORS[name][2]
            if uc.task is not None:
                want = "regressor" if uc.task.type is TaskType.REGRESSION else "classifier"
                if kind != want:
                    check.err("CH029", loc + ["estimator", "name"], f"'{name}' is a {kind}; the task needs a {want}")
            for pname, value in job.estimator.params.items():
                ploc = loc + ["estimator", "params", pname]
                prule = rule.params.get(pname)
                if prule is None:
                    check.err("CH029", ploc, f"parameter '{pname}' of {name} is not on the allowlist",
                              did_you_mean(pname, rule.params) or f"allowed: {known_list(rule.params) or 'none'}",
                              at_key=True)
                elif (why := param_problem(prule, value)) is not None:
                    check.err("CH029", ploc, f"{name}.{pname}: {why}")
        src = uc.source(job.data)
        if src is None:
            return
        if job.split.time_column:
            check.column(loc + ["split", "timeColumn"], uc, job.data, job.split.time_column)
        features = job.features.numeric + job.features.categorical
        for group in ("numeric", "categorical"):
            for k, f in enumerate(getattr(job.features, group)):
                check.column(loc + ["features", group, k], uc, job.data, f)
                if f in src.sensitive_attributes and not job.use_sensitive_attributes:
                    check.err("CH033", loc + ["features", group, k], f"'{f}' is a sensitive attribute",
                              "remove it from the features, or set useSensitiveAttributes: true with a justification")
        if not features:
            check.err("CH011", loc + ["features"], "a training job needs at least one feature")
        if uc.task is not None and uc.task.target:
            check.column(["task", "target"], uc, job.data, uc.task.target)
            if uc.task.target in features:
                check.err("CH033", loc + ["features"], f"the target '{uc.task.target}' is also a feature")
        elif uc.task is not None:
            check.err("CH011", ["task"], "training needs 'task.target' (the label column)")

    def format(self, result: TrainResult) -> list[str]:
        return format_train(result)


KIND = SklearnTrain()
