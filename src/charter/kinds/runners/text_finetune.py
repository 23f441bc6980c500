"""Runner kind ``text-finetune``: fine-tune an allowlisted pre-trained transformer for text classification.

Execution: :func:`charter.jobs.text_train.train` with :func:`charter.textmodels.fine_tune`.
``text-linear-probe`` (:mod:`.text_linear_probe`) shares the spec model and the
checks and differs only in how it trains. The model source enters the evidence
id: an installed package by its major.minor, a repository folder by its content hash.

``params`` are checked when the spec is validated, like scikit-learn parameters:
each must be a :class:`~charter.textmodels.config.TextTrainConfig` setting, on
the allowlist's ``textParams`` and within its rule (types, ``min``/``max``,
``choices``), and together they must make a valid configuration.
:func:`text_params_problems` is the one check the validator and the runner apply.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ...diagnostics import did_you_mean, known_list
from ...engine.hashing import package_version, sha256_bytes
from ...loading.files import PathEscape, resolve_inside, sha256_file
from ...spec.usecase import TextTrainJob, UseCase
from ._shared import TrainResult, format_train
from .base import PHASE_TRAIN, Checker, Loc, Reads, RunnerKind, task_spec

if TYPE_CHECKING:
    from ...jobs.base import JobContext, JobOutput


FORBIDDEN_TEXT_PARAMS = frozenset({"seed"})
TEXT_CONFIG_FIELDS = (
    "epochs", "batch_size", "eval_batch_size", "learning_rate", "weight_decay", "warmup_ratio", "max_grad_norm",
    "max_length", "patience", "early_stopping_metric", "min_delta", "seed", "freeze_encoder", "num_threads", "device",
    "bucket_multiplier", "probe_c", "probe_max_iter", "normalize_embeddings",
)
"""The fields of ``textmodels.config.TextTrainConfig``, listed here so that validation names them without
importing the text-model package (and numpy with it); a test keeps the two equal."""
"""Settings a job cannot set in ``params`` (the seed is the split's)."""


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(w.title() for w in rest)


def text_param_names() -> list[str]:
    """The settings a text job may name in ``params`` (camelCase, as specs write them)."""
    return sorted(_camel(f) for f in TEXT_CONFIG_FIELDS if f not in FORBIDDEN_TEXT_PARAMS)


def text_param_field(name: str) -> str | None:
    """The TextTrainConfig field a ``params`` key (camelCase or snake_case) names, or None."""
    field = _snake(name)
    known = set(TEXT_CONFIG_FIELDS) - FORBIDDEN_TEXT_PARAMS
    return field if field in known else None


def text_params_problems(rules: dict[str, Any], params: dict[str, Any]) -> list[tuple[str | None, str, str | None]]:
    """``(param or None for the whole, problem, hint)`` for a text job's ``params`` against the allowlist's
    ``textParams`` rules; empty when the settings are allowed and make a valid configuration."""
    from ...textmodels.config import TextTrainConfig
    from .sklearn_train import param_problem

    by_field = {text_param_field(k) or k: v for k, v in rules.items()}
    allowed = sorted(k for k in rules if text_param_field(k) is not None)
    out: list[tuple[str | None, str, str | None]] = []
    kwargs: dict[str, Any] = {}
    for key, value in params.items():
        field = text_param_field(key)
        if _snake(key) in FORBIDDEN_TEXT_PARAMS:
            out.append((key, f"'{key}' cannot be set in params", "the training seed is the split's: set split.seed"))
            continue
        if field is None:
            names = text_param_names()
            out.append((key, f"unknown text training parameter '{key}'",
                        did_you_mean(key, names) or f"known: {known_list(names)}"))
            continue
        rule = by_field.get(field)
        if rule is None:
            out.append((key, f"text training parameter '{key}' is not on the allowlist",
                        f"allowed (allowlist textParams): {known_list(allowed) or 'none'}"))
            continue
        why = param_problem(rule, value)
        if why is not None:
            out.append((key, f"{key}: {why}", None))
            continue
        kwargs[field] = value
    if not out:
        try:
            TextTrainConfig(**kwargs)
        except (TypeError, ValueError) as exc:
            out.append((None, str(exc), None))
    return out


def model_source(repo: Any, source_id: str) -> dict[str, Any]:
    """What identifies an allowlisted model source in an evidence id."""
    allow = getattr(repo, "allowlist", None)
    entry = next((m for m in (allow.models if allow else []) if m.id == source_id), None)
    if entry is None:
        return {"id": source_id, "allowlisted": False}
    out: dict[str, Any] = {"id": entry.id, "package": entry.package, "path": entry.path}
    if entry.package:
        out["packageVersion"] = package_version(entry.package)
    elif entry.path:
        out["sha256"] = folder_sha256(Path(repo.root), entry.path)
    return out


def folder_sha256(root: Path, relpath: str) -> str | None:
    """Content hash of a model folder inside the repository (None if unusable: the runner reports why)."""
    try:
        folder = resolve_inside(root, root, relpath)
    except PathEscape:
        return None
    if not folder.is_dir():
        return None
    parts = []
    for f in sorted(p for p in folder.rglob("*") if p.is_file()):
        parts.append(f.relative_to(folder).as_posix() + "\0" + sha256_file(f))
    return sha256_bytes("\n".join(parts).encode())


class TextFinetune(RunnerKind[TrainResult]):
    name = "text-finetune"
    description = "Fine-tune a pre-trained transformer for text classification (torch)."
    spec_model = TextTrainJob
    result_model = TrainResult
    result_version = "1"
    backend = "charter.jobs.text_train"
    packages = ("torch", "transformers", "numpy", "pandas")
    phase = PHASE_TRAIN
    predicts = True
    section = "training"
    method = "fine_tune"
    """The :mod:`charter.textmodels` function that trains."""

    def reads(self, repo: Any, uc: UseCase, job: Any) -> Reads:
        return Reads(spec={"task": task_spec(uc), "model": model_source(repo, job.model.source)},
                     data=[job.data], seed=job.split.seed)

    def crossref(self, check: Checker, uc: UseCase, job: Any, loc: Loc) -> None:
        data_ids = [d.id for d in uc.data]
        check.ref(loc + ["data"], job.data, data_ids, "data source")
        if uc.task is not None and not uc.task.type.is_classification:
            check.err("CH034", loc + ["runner"], f"'{job.runner}' trains classifiers; the task is {uc.task.type.value}")
        if job.model.source not in check.models:
            check.ref(loc + ["model", "source"], job.model.source, check.models, "allowlisted model")
        for key, problem, hint in text_params_problems(check.text_params, dict(job.params)):
            check.err("CH029", loc + ["params"] + ([key] if key is not None else []), problem, hint,
                      at_key=hint is not None)
        if job.data in data_ids:
            check.column(loc + ["text"], uc, job.data, job.text)
            if uc.task and uc.task.target:
                check.column(["task", "target"], uc, job.data, uc.task.target)

    def run(self, ctx: JobContext) -> JobOutput:
        return importlib.import_module(self.backend).train(ctx, self.method)  # type: ignore[no-any-return]

    def format(self, result: TrainResult) -> list[str]:
        return format_train(result)


KIND = TextFinetune()
