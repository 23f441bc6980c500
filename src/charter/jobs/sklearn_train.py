"""Runner ``sklearn-train``: train an allowlisted scikit-learn estimator, predict on a held-out split.

* The estimator class comes from the fixed table ``charter.spec.known.ESTIMATORS``
  and must also be on the governance allowlist; every parameter must be on the
  allowlist and pass its rule (checked again here, not only by the validator).
* Preprocessing: numeric features → median imputation + standard scaling;
  categorical features → most-frequent imputation + one-hot encoding (unknown
  categories ignored).
* Split: by time when ``split.timeColumn`` is set (the latest rows are the test
  set); otherwise ``train_test_split`` with the job's seed, stratified on the label for
  classification (``split.stratify``). Estimators with a ``random_state`` get the
  seed unless the spec sets one.
* Sensitive attributes are refused as features unless ``useSensitiveAttributes``.
* Artifacts: ``model`` (the fitted pipeline, joblib; loaded only after its sha256
  matches the evidence) and
  ``predictions`` (see :mod:`.predictions`). :func:`load_model` loads a model only
  when its sha256 matches the evidence record that produced it.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from ..evidence.records import EvidenceRecord
from ..kinds.runners._shared import TrainResult
from ..kinds.runners.sklearn_train import param_problem
from ..spec import known
from .base import JobContext, JobError, JobOutput, file_sha256
from .predictions import PREDICTIONS_ARTIFACT, PREDICTIONS_FILE, write_predictions

MODEL_ARTIFACT = "model"


def check_estimator(allowlist: Any, name: str, params: dict[str, Any], task_type: Any) -> tuple[str, str]:
    """(module, class) of an estimator allowed by both Charter's table and the allowlist, params checked."""
    if name not in known.ESTIMATORS:
        raise JobError(f"estimator '{name}' is not an estimator Charter can build")
    rules = {r.name: r for r in (allowlist.estimators if allowlist is not None else [])}
    rule = rules.get(name)
    if rule is None:
        raise JobError(f"estimator '{name}' is not on the governance allowlist")
    module, cls, kind = known.ESTIMATORS[name]
    if task_type is not None:
        want = "regressor" if getattr(task_type, "value", task_type) == "regression" else "classifier"
        if kind != want:
            raise JobError(f"'{name}' is a {kind}; the task needs a {want}")
    for pname, value in params.items():
        prule = rule.params.get(pname)
        if prule is None:
            raise JobError(f"parameter '{pname}' of {name} is not on the allowlist")
        why = param_problem(prule, value)
        if why is not None:
            raise JobError(f"{name}.{pname}: {why}")
    return module, cls


def build_pipeline(estimator: Any, numeric: list[str], categorical: list[str]):  # type: ignore[no-untyped-def]
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    parts = []
    if numeric:
        parts.append(("numeric", Pipeline([("impute", SimpleImputer(strategy="median")),
                                           ("scale", StandardScaler())]), list(numeric)))
    if categorical:
        parts.append(("categorical", Pipeline([
            ("impute", SimpleImputer(strategy="most_frequent")),
            ("onehot", OneHotEncoder(handle_unknown="ignore", sparse_output=False)),
        ]), list(categorical)))
    return Pipeline([("preprocess", ColumnTransformer(parts, remainder="drop")), ("model", estimator)])


def _save_model(model: Any, folder: Path) -> str:
    # joblib (a pickle) is safe here only because load_model refuses any file whose
    # sha256 is not the one this repository's own run recorded in its evidence.
    import joblib

    name = "model.joblib"
    joblib.dump(model, folder / name)
    return name


def load_model(record: EvidenceRecord, artifact_root: Path) -> Any:
    """Load the fitted model of a training record, only if its bytes match the evidence.

    The file is a pickle: it is opened only after its sha256 matches the record,
    which this repository's own run wrote, so a file swapped in is never executed.
    """
    art = next((a for a in record.artifacts if a.name == MODEL_ARTIFACT), None)
    if art is None:
        raise JobError(f"evidence {record.id[:12]} has no model artifact")
    path = (Path(artifact_root) / art.path).resolve()
    if Path(artifact_root).resolve() not in path.parents or not path.is_file():
        raise JobError(f"model artifact {art.path} is missing")
    if file_sha256(path) != art.sha256:
        raise JobError(f"model artifact {art.path} does not match the sha256 in its evidence; refusing to load it")
    import joblib

    return joblib.load(path)


def time_split(when: Any, test_size: float) -> tuple[Any, Any]:
    """Row positions (train, test): the test set is the latest ``test_size`` share by
    ``when``; every row at the cut-off value joins the test set, so no period is split."""
    import numpy as np
    import pandas as pd

    if when.isna().any():
        raise JobError(f"time column '{when.name}' has {int(when.isna().sum())} missing value(s)")
    key = pd.to_numeric(when, errors="coerce") if pd.api.types.is_numeric_dtype(when) else \
        pd.to_datetime(when, errors="coerce", format="ISO8601")
    if key.isna().any():
        raise JobError(f"time column '{when.name}' has values that are neither ISO dates nor numbers")
    values = key.to_numpy()
    n_test = max(1, int(np.ceil(test_size * len(values))))
    cutoff = np.sort(values)[len(values) - n_test]
    test = values >= cutoff
    if test.all():
        raise JobError(f"time column '{when.name}' has a single value: nothing is left to train on")
    rows = np.arange(len(values))
    return rows[~test], rows[test]


def _json_label(v: Any) -> Any:
    from ..metrics.groups import jsonable

    return jsonable(v)


def run(ctx: JobContext) -> JobOutput:
    import numpy as np
    from sklearn.model_selection import train_test_split

    job, uc = ctx.job, ctx.use_case
    if uc.task is None or not uc.task.target:
        raise JobError("training needs the use case's task.target (the label column)")
    if uc.third_party:
        raise JobError("a third-party system cannot be retrained")
    target = uc.task.target
    is_regression = uc.task.type.value == "regression"
    params = dict(job.estimator.params)
    module, cls = check_estimator(ctx.allowlist, job.estimator.name, params, uc.task.type)
    src = ctx.source(job.data)
    numeric, categorical = list(job.features.numeric), list(job.features.categorical)
    features = numeric + categorical
    if not features:
        raise JobError("a training job needs at least one feature")
    sensitive = [f for f in features if f in src.sensitive_attributes]
    if sensitive and not job.use_sensitive_attributes:
        raise JobError(f"sensitive attribute(s) {', '.join(sensitive)} used as features; "
                       "set useSensitiveAttributes: true with a justification")
    if target in features:
        raise JobError(f"the target '{target}' is also a feature")
    time_col = job.split.time_column
    extra = [time_col] if time_col and time_col not in features + [target] else []
    df = ctx.read(job.data, columns=features + [target] + extra)
    y = df[target]
    if y.isna().any():
        raise JobError(f"target column '{target}' has {int(y.isna().sum())} missing value(s)")
    X = df[features].copy()
    for c in numeric:
        converted = __import__("pandas").to_numeric(X[c], errors="coerce")
        bad = int((converted.isna() & X[c].notna()).sum())
        if bad:
            raise JobError(f"numeric feature '{c}' has {bad} non-numeric value(s)")
        X[c] = converted.astype("float64")
    for c in categorical:
        X[c] = X[c].astype(object).where(X[c].notna(), np.nan)
        X[c] = X[c].map(lambda v: v if isinstance(v, float) and np.isnan(v) else str(v))

    estimator_cls = getattr(importlib.import_module(module), cls)
    est = estimator_cls()
    effective = dict(params)
    if "random_state" in est.get_params() and "random_state" not in effective:
        effective["random_state"] = job.split.seed
    try:
        est.set_params(**effective)
    except ValueError as exc:
        raise JobError(f"{job.estimator.name}: {exc}") from None

    rows = np.arange(len(df))
    if time_col:
        tr, te = time_split(df[time_col], job.split.test_size)
    else:
        stratify = y if (job.split.stratify and not is_regression) else None
        try:
            tr, te = train_test_split(rows, test_size=job.split.test_size, random_state=job.split.seed,
                                      stratify=stratify)
        except ValueError as exc:
            raise JobError(f"cannot split the data: {exc}") from None
    if not is_regression and y.iloc[tr].nunique() < 2:
        raise JobError("the training split holds a single class")
    model = build_pipeline(est, numeric, categorical)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X.iloc[tr], y.iloc[tr])
        y_pred = model.predict(X.iloc[te])
        scores = None
        labels: list[Any] = []
        if not is_regression:
            labels = [_json_label(c) for c in model.classes_]
            if hasattr(model, "predict_proba"):
                try:
                    scores = model.predict_proba(X.iloc[te])
                except (AttributeError, NotImplementedError):
                    scores = None
            if scores is None and hasattr(model, "decision_function"):
                d = np.asarray(model.decision_function(X.iloc[te]), dtype=np.float64)
                scores = np.stack([-d, d], axis=1) if d.ndim == 1 else d

    folder = ctx.artifact_dir
    model_file = _save_model(model, folder)
    write_predictions(folder / PREDICTIONS_FILE, te, y.iloc[te].to_numpy(), y_pred, scores,
                      df.drop(columns=[target]).iloc[te])
    result = TrainResult(
        estimator=job.estimator.name,
        params=effective,
        features=features,
        target=target,
        n_train=len(tr),
        n_test=len(te),
        labels=labels,
        predictions_artifact=PREDICTIONS_ARTIFACT,
        model_artifact=MODEL_ARTIFACT,
    )
    return JobOutput("pass", None, result,
                     {MODEL_ARTIFACT: model_file, PREDICTIONS_ARTIFACT: PREDICTIONS_FILE})
