"""`charter new usecase`: a use case spec written from what is known, never from guesses.

The team, the owner and the risk tier are decisions: they come from the command
line or from a person at a prompt, never from the first entry of a list. With a
data file, the spec pins its sha256, carries a contract inferred from it and the
jobs that fit the task, so the first `charter validate` passes and `charter run`
has something to run. Everything here returns data; the CLI asks and prints.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..loading.loader import Repository
from ..metrics.catalog import TaskType
from .infer import DataProfile

ID_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,62}$")
OWNER_ROLE = "product-manager"
TASKS = tuple(t.value for t in TaskType)
TRAINABLE = (TaskType.BINARY.value, TaskType.MULTICLASS.value, TaskType.REGRESSION.value)

_TARGET_NAMES = ("target", "label", "y", "class", "outcome")
_POSITIVE_WORDS = ("1", "true", "yes", "y", "positive", "pos")
_CLASSIFIERS = ("LogisticRegression", "HistGradientBoostingClassifier", "RandomForestClassifier")
_REGRESSORS = ("Ridge", "HistGradientBoostingRegressor", "RandomForestRegressor", "GradientBoostingRegressor")
_DEFAULT_PARAMS: dict[str, dict[str, Any]] = {
    "LogisticRegression": {"max_iter": 1000},
    "HistGradientBoostingClassifier": {"random_state": 0},
    "RandomForestClassifier": {"random_state": 0},
    "HistGradientBoostingRegressor": {"random_state": 0},
    "RandomForestRegressor": {"random_state": 0},
    "GradientBoostingRegressor": {"random_state": 0},
}
MAX_SLICES = 2
MAX_SLICE_LEVELS = 12


class ScaffoldError(ValueError):
    """The use case cannot be scaffolded as asked (exit 2)."""


@dataclass(frozen=True)
class Choice:
    id: str
    label: str


@dataclass(frozen=True)
class Choices:
    """What a person may pick from, from the repository's governance."""

    teams: tuple[Choice, ...]
    owners: tuple[Choice, ...]
    """People holding product-manager."""
    tiers: tuple[Choice, ...]
    tasks: tuple[Choice, ...]
    people: tuple[Choice, ...]


@dataclass
class Request:
    """What the person asked for; None = not given (yet)."""

    id: str
    task: str | None = None
    title: str | None = None
    team: str | None = None
    owner: str | None = None
    data_owner: str | None = None
    risk: str | None = None
    data: Path | None = None
    current: Path | None = None
    predictions: str | None = None
    """A column of the data, or a CSV file with the target and a prediction column."""
    prediction_column: str | None = None
    target: str | None = None
    positive_label: str | None = None
    text: str | None = None
    sensitive: list[str] | None = None
    """Confirmed sensitive attributes; None = not decided."""


@dataclass(frozen=True)
class Inputs:
    """The data files of a request, profiled."""

    data: DataProfile | None = None
    current: DataProfile | None = None
    predictions: DataProfile | None = None

    def columns(self) -> list[str]:
        return list(self.data.columns) if self.data else []


@dataclass(frozen=True)
class FileCopy:
    source: Path
    dest: str
    """Repository-relative destination."""


@dataclass(frozen=True)
class Scaffold:
    path: str
    """Repository-relative path of the new spec."""
    text: str
    copies: tuple[FileCopy, ...] = ()
    jobs: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


def check_id(usecase_id: str) -> None:
    if not ID_RE.match(usecase_id):
        raise ScaffoldError(f"'{usecase_id}' is not a valid id: use lower-case letters, digits, '.', '_' or '-' "
                            "(at most 63, starting with a letter or digit)")


def _require_governance(repo: Repository) -> tuple[Any, Any]:
    org, pol = repo.organisation, repo.policy
    if org is None or pol is None:
        raise ScaffoldError("governance/ needs a valid Organisation and Policy before use cases can be added "
                            "(run 'charter validate' to see what is missing)")
    return org, pol


def choices(repo: Repository) -> Choices:
    org, pol = _require_governance(repo)
    return Choices(
        teams=tuple(Choice(t.id, t.name) for t in org.teams),
        owners=tuple(Choice(p.id, f"{p.name} ({p.team})") for p in org.people if OWNER_ROLE in p.roles),
        tiers=tuple(Choice(t.id, t.name) for t in pol.risk_tiers),
        tasks=tuple(Choice(t, t) for t in TASKS),
        people=tuple(Choice(p.id, p.name) for p in org.people),
    )


def missing_decisions(req: Request) -> list[str]:
    """The decisions nobody made yet: task, team, owner, risk tier (in asking order)."""
    return [name for name, value in (("task", req.task), ("team", req.team), ("owner", req.owner),
                                     ("risk", req.risk)) if value is None]


def usage_for_missing(missing: list[str], ch: Choices) -> str:
    """A usage error naming each missing option with the values it may take."""
    lists = {
        "task": ("--task", [c.id for c in ch.tasks]),
        "team": ("--team", [c.id for c in ch.teams]),
        "owner": ("--owner", [c.id for c in ch.owners]),
        "risk": ("--risk", [c.id for c in ch.tiers]),
    }
    lines = ["these decisions were not given (and there is no terminal to ask them at):"]
    for name in missing:
        flag, values = lists[name]
        what = {"owner": "a person holding product-manager", "risk": "a risk tier"}.get(name, f"a {name}")
        lines.append(f"  {flag}: {what}, one of: {', '.join(values) if values else '(none declared)'}")
    return "\n".join(lines)


def check_decisions(req: Request, ch: Choices) -> None:
    def one_of(flag: str, value: str | None, options: tuple[Choice, ...], what: str) -> None:
        ids = [c.id for c in options]
        if value is not None and value not in ids:
            raise ScaffoldError(f"{flag} '{value}' is not {what}; choose one of: {', '.join(ids) or '(none declared)'}")

    one_of("--task", req.task, ch.tasks, "a task type")
    one_of("--team", req.team, ch.teams, "a team of governance/organisation.yaml")
    one_of("--owner", req.owner, ch.owners, "a person holding product-manager")
    one_of("--risk", req.risk, ch.tiers, "a risk tier of governance/policy.yaml")
    one_of("--data-owner", req.data_owner, ch.people, "a person of governance/organisation.yaml")


# --- data -----------------------------------------------------------------------------


def profile_inputs(req: Request) -> Inputs:
    """Profile --data (with --current, one contract for both) and a --predictions file."""
    from .infer import InferenceError, infer, infer_together

    if req.data is None:
        for flag, value in (("--current", req.current), ("--predictions", req.predictions),
                            ("--target", req.target), ("--text", req.text), ("--sensitive", req.sensitive)):
            if value:
                raise ScaffoldError(f"{flag} needs --data (the file the use case is built on)")
        return Inputs()
    try:
        if req.current is not None:
            data, current = infer_together(req.data, req.current)
        else:
            data, current = infer(req.data), None
        preds = None
        if req.predictions is not None and req.predictions not in data.columns:
            path = Path(req.predictions)
            if not path.is_file():
                raise ScaffoldError(f"--predictions '{req.predictions}' is neither a column of {req.data.name} "
                                    f"nor a file; columns: {', '.join(data.columns)}")
            preds = infer(path)
    except InferenceError as exc:
        raise ScaffoldError(str(exc)) from None
    return Inputs(data, current, preds)


def guess_target(req: Request, inputs: Inputs) -> str | None:
    """The target when the columns say it: --target, else a column named target, label, y, class or outcome."""
    if req.target is not None:
        return req.target
    cols = inputs.columns()
    named = [c for c in cols if c.lower() in _TARGET_NAMES]
    return named[0] if len(named) == 1 else None


def target_values(inputs: Inputs, target: str) -> list[Any]:
    col = inputs.data.columns[target] if inputs.data else None
    return list(col.allowed) if col is not None and col.allowed is not None else []


def guess_positive_label(req: Request, inputs: Inputs, target: str) -> Any:
    """The positive label of a binary target: --positive-label, else 1/true/yes among exactly two values."""
    values = target_values(inputs, target)
    if req.positive_label is not None:
        return parse_label(req.positive_label, values, target)
    if len(values) == 2:
        for v in values:
            if str(v).strip().lower() in _POSITIVE_WORDS:
                return v
    return None


def parse_label(text: str, values: list[Any], target: str) -> Any:
    for v in values:
        if str(v) == text:
            return v
    if values:
        raise ScaffoldError(f"--positive-label '{text}' is not a value of '{target}'; values: "
                            f"{', '.join(str(v) for v in values)}")
    return text


def check_target(req: Request, inputs: Inputs, target: str) -> None:
    if inputs.data is None:
        return
    cols = inputs.data.columns
    if target not in cols:
        raise ScaffoldError(f"--target '{target}' is not a column of {inputs.data.path.name}; columns: "
                            f"{', '.join(cols)}")
    col = cols[target]
    task = req.task
    if task == TaskType.BINARY.value:
        values = target_values(inputs, target)
        if len(values) != 2:
            raise ScaffoldError(f"binary classification needs a target with two values; '{target}' has "
                                f"{col.distinct} (use --task multiclass-classification or regression)")
    elif task in (TaskType.MULTICLASS.value, TaskType.TEXT.value):
        if col.allowed is None or col.distinct < 2:
            raise ScaffoldError(f"'{target}' has {col.distinct} distinct values: not a set of classes "
                                "(use --task regression for a number)")
    elif task == TaskType.REGRESSION.value and not col.numeric:
        raise ScaffoldError(f"regression needs a numeric target; '{target}' is {col.type}")


def check_sensitive(names: list[str], inputs: Inputs) -> list[str]:
    cols = set(inputs.columns()) | (set(inputs.predictions.columns) if inputs.predictions else set())
    unknown = [n for n in names if n not in cols]
    if unknown:
        raise ScaffoldError(f"--sensitive: {', '.join(unknown)} not a column of the data; columns: "
                            f"{', '.join(inputs.columns())}")
    return list(dict.fromkeys(names))


def guess_text_column(req: Request, inputs: Inputs, target: str | None) -> str | None:
    if req.text is not None:
        if req.text not in inputs.columns():
            raise ScaffoldError(f"--text '{req.text}' is not a column; columns: {', '.join(inputs.columns())}")
        return req.text
    if inputs.data is None:
        return None
    texts = [c.name for c in inputs.data.columns.values() if c.free_text and c.name != target]
    return texts[0] if len(texts) == 1 else None


# --- the spec -------------------------------------------------------------------------

_PLAIN = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
_RESERVED = {"true", "false", "null", "yes", "no", "on", "off", "y", "n", "~"}


def scalar(value: Any) -> str:
    """A YAML 1.2 scalar that reads back as exactly this value (untrusted text stays text)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return json.dumps(value)
    text = str(value)
    if _PLAIN.match(text) and text.lower() not in _RESERVED:
        return text
    return json.dumps(text, ensure_ascii=False)


def flow(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{scalar(k)}: {flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(flow(v) for v in value) + "]"
    return scalar(value)


@dataclass
class _Plan:
    sources: list[dict[str, Any]] = field(default_factory=list)
    jobs: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    copies: list[FileCopy] = field(default_factory=list)


def _estimator(repo: Repository, task: str) -> tuple[str, dict[str, Any]] | None:
    allowed = {e.name: e for e in repo.allowlist.estimators} if repo.allowlist else {}
    for name in (_REGRESSORS if task == TaskType.REGRESSION.value else _CLASSIFIERS):
        if name in allowed:
            rule = allowed[name]
            params = {k: v for k, v in _DEFAULT_PARAMS.get(name, {}).items() if k in rule.params}
            return name, params
    return None


def _runner_allowed(repo: Repository, runner: str) -> bool:
    return repo.allowlist is None or runner in repo.allowlist.runners


def _data_dest(root: Path, usecase_id: str, src: Path, taken: set[str]) -> tuple[str, FileCopy | None]:
    """(path relative to the use case folder, the copy to make or None when already in place)."""
    folder = (root / "usecases" / usecase_id).resolve()
    resolved = src.resolve()
    if folder in resolved.parents:
        return resolved.relative_to(folder).as_posix(), None
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", src.name) or "data.csv"
    stem, dot, suffix = name.rpartition(".")
    candidate, n = name, 2
    while candidate in taken:
        candidate = f"{stem}_{n}.{suffix}" if dot else f"{name}_{n}"
        n += 1
    taken.add(candidate)
    return f"data/{candidate}", FileCopy(src, f"usecases/{usecase_id}/data/{candidate}")


def _source_id(name: str, taken: set[str]) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", Path(name).stem.lower()).strip("-")[:50] or "data"
    if not base[0].isalnum():
        base = "data-" + base
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}-{n}", n + 1
    taken.add(candidate)
    return candidate


def build(repo: Repository, req: Request, inputs: Inputs, *, target: str | None, positive_label: Any,
          text_column: str | None, sensitive: list[str], withheld: tuple[str, ...] | list[str] = ()) -> Scaffold:
    """The spec text and the data copies of a fully decided request.

    ``withheld``: columns proposed as sensitive that nobody confirmed or rejected; they
    are neither declared sensitive nor used as features or slices until someone decides."""
    org, pol = _require_governance(repo)
    check_id(req.id)
    spec_rel = f"usecases/{req.id}/usecase.yaml"
    if (repo.root / spec_rel).exists() or (repo.root / "usecases" / req.id).is_file():
        raise ScaffoldError(f"{spec_rel} already exists")
    missing = missing_decisions(req)
    if missing:
        raise ScaffoldError(usage_for_missing(missing, choices(repo)))
    check_decisions(req, choices(repo))
    assert req.task is not None
    team = next(t for t in org.teams if t.id == req.team)
    task = req.task
    plan = _Plan()
    data_owner = req.data_owner or req.owner

    files_taken: set[str] = set()
    ids_taken: set[str] = set()
    sens = set(sensitive)
    main_id = current_id = preds_id = None
    personal = bool(sens)

    def add_source(profile: DataProfile, description: str) -> str:
        path, copy = _data_dest(repo.root, req.id, profile.path, files_taken)
        if copy is not None:
            plan.copies.append(copy)
        sid = _source_id(profile.path.name, ids_taken)
        plan.sources.append({
            "id": sid, "path": path, "sha256": profile.sha256, "description": description,
            "owner": data_owner, "personalData": personal,
            "sensitiveAttributes": [c for c in profile.columns if c in sens],
            "contract": profile.contract(), "rows": profile.rows,
        })
        return sid

    if inputs.data is not None:
        main_id = add_source(inputs.data, f"REPLACE: where the rows of {inputs.data.path.name} come from and what "
                                          "one row is.")
    if inputs.current is not None:
        current_id = add_source(inputs.current, f"A later batch of the same data ({inputs.current.path.name}), "
                                                "compared with the reference for drift.")
    if inputs.predictions is not None:
        preds_id = add_source(inputs.predictions, "Predictions of the existing system with the ground truth.")

    # --- jobs ---
    if plan.sources and _runner_allowed(repo, "data-contract"):
        plan.jobs.append({"id": "validate-data", "runner": "data-contract"})
    data_cols = inputs.data.columns if inputs.data else {}
    excluded = {c for c in (target, text_column) if c} | sens | set(withheld)
    if withheld:
        plan.notes.append(f"not used as features or slices until confirmed or rejected with --sensitive: "
                          f"{', '.join(withheld)}")
    if req.predictions and inputs.predictions is None:
        excluded.add(req.predictions)
    features_numeric = [c.name for c in data_cols.values()
                        if c.type in ("integer", "float", "boolean") and not c.id_like and c.name not in excluded]
    features_categorical = [c.name for c in data_cols.values()
                            if c.type == "category" and c.name not in excluded]
    # slices and fairness read the columns of the rows evaluated: a predictions file's own
    evaluated = inputs.predictions.columns if preds_id is not None and inputs.predictions else data_cols
    slices = sorted((c for c in evaluated.values() if c.type == "category" and c.name not in excluded
                     and 2 <= c.distinct <= MAX_SLICE_LEVELS), key=lambda c: (c.distinct, c.name))
    slice_names = [c.name for c in slices[:MAX_SLICES]]

    predictions_ref: dict[str, Any] | None = None
    has_scores = False
    if main_id is not None and target is not None and req.predictions is not None:
        if preds_id is not None and inputs.predictions is not None:
            pcols = inputs.predictions.columns
            if target not in pcols:
                raise ScaffoldError(f"the predictions file {inputs.predictions.path.name} has no target column "
                                    f"'{target}'; columns: {', '.join(pcols)}")
            column = req.prediction_column
            if column is None:
                candidates = [c for c in pcols.values() if c.name != target and not c.id_like
                              and c.name not in sens and c.name not in data_cols]
                if len(candidates) != 1:
                    raise ScaffoldError("name the prediction column of the predictions file with "
                                        f"--prediction-column; columns: {', '.join(pcols)}")
                column = candidates[0].name
            if column not in pcols:
                raise ScaffoldError(f"--prediction-column '{column}' is not a column of "
                                    f"{inputs.predictions.path.name}; columns: {', '.join(pcols)}")
            pcol, ref_id = pcols[column], preds_id
        else:
            column, pcol, ref_id = req.predictions, data_cols[req.predictions], main_id
        is_score = (task == TaskType.BINARY.value and pcol.type == "float" and pcol.min is not None
                    and pcol.max is not None and 0 <= pcol.min and pcol.max <= 1)
        has_scores = is_score
        predictions_ref = {"data": ref_id, "label": target, ("score" if is_score else "prediction"): column}
        if pcol.nullable:
            raise ScaffoldError(f"the prediction column '{column}' has missing values; evaluation needs one per row")
    elif main_id is not None and target is not None and task in TRAINABLE:
        est = _estimator(repo, task)
        if est is None or not _runner_allowed(repo, "sklearn-train"):
            plan.notes.append("no training job: the allowlist has no sklearn-train runner or no estimator for "
                              f"{task}")
        elif not features_numeric and not features_categorical:
            plan.notes.append("no training job: no column of the data can be a feature")
        else:
            name, params = est
            job: dict[str, Any] = {
                "id": "train", "runner": "sklearn-train", "data": main_id,
                "features": {"numeric": features_numeric, "categorical": features_categorical},
                "estimator": {"name": name, "params": params},
                "split": {"testSize": 0.25, "seed": 0, "stratify": task != TaskType.REGRESSION.value},
            }
            plan.jobs.append(job)
            predictions_ref = {"job": "train"}
            has_scores = task != TaskType.REGRESSION.value
    elif main_id is not None and target is not None and task == TaskType.TEXT.value:
        models = [m.id for m in repo.allowlist.models] if repo.allowlist else []
        if text_column is None:
            plan.notes.append("no training job: name the text column with --text")
        elif not models or not _runner_allowed(repo, "text-linear-probe"):
            plan.notes.append("no training job: the allowlist has no pre-trained model or no text-linear-probe runner")
        else:
            plan.jobs.append({"id": "train", "runner": "text-linear-probe", "data": main_id, "text": text_column,
                              "model": {"source": models[0]}, "split": {"testSize": 0.25, "seed": 0}})
            predictions_ref = {"job": "train"}
            has_scores = True

    if predictions_ref is not None:
        if _runner_allowed(repo, "evaluate"):
            ev: dict[str, Any] = {"id": "evaluate", "runner": "evaluate", "predictions": predictions_ref}
            if slice_names:
                ev["slices"] = slice_names
            plan.jobs.append(ev)
        if sens and _runner_allowed(repo, "fairness"):
            attrs = [s for s in sensitive if s in evaluated]
            if attrs:
                plan.jobs.append({"id": "fairness", "runner": "fairness", "predictions": predictions_ref,
                                  "sensitiveAttributes": attrs})
    if current_id is not None and main_id is not None and _runner_allowed(repo, "drift"):
        compared = features_numeric + features_categorical or \
                   [c.name for c in data_cols.values() if not c.id_like and c.type != "string"]
        if compared:
            drift: dict[str, Any] = {"id": "drift", "runner": "drift", "reference": main_id, "current": current_id,
                                     "features": compared}
            cats = [c for c in compared if data_cols[c].type in ("category", "boolean")]
            if cats:
                drift["categorical"] = cats
            plan.jobs.append(drift)

    text = _render(req, pol, team, task, target, positive_label, plan, has_scores)
    return Scaffold(path=spec_rel, text=text, copies=tuple(plan.copies), jobs=tuple(j["id"] for j in plan.jobs),
                    notes=tuple(plan.notes))


def _evaluation(task: str, has_scores: bool) -> tuple[str, float, list[str]] | None:
    if task == TaskType.BINARY.value:
        return ("roc_auc", 0.75, ["precision", "recall"]) if has_scores else ("f1", 0.6, ["precision", "recall"])
    if task in (TaskType.MULTICLASS.value, TaskType.TEXT.value):
        return "balanced_accuracy", 0.7, ["accuracy", "f1"]
    if task == TaskType.REGRESSION.value:
        return "r2", 0.5, ["mae", "rmse"]
    return None  # ranking and generation: Charter computes no metric for them yet


def _render(req: Request, pol: Any, team: Any, task: str, target: str | None, positive_label: Any, plan: _Plan,
            has_scores: bool) -> str:
    stages = [s.id for s in pol.stages]
    next_stage = stages[1] if len(stages) > 1 else stages[0]
    title = req.title or req.id.replace("-", " ").replace("_", " ").capitalize()
    out: list[str] = [
        "# yaml-language-server: $schema=../../schemas/usecase.schema.json",
        "# Written by `charter new usecase`. Lines marked REPLACE are placeholders; answer the",
        f"# commented definition questions before asking to enter '{next_stage}'.",
        f"# Validate with: charter validate usecases/{req.id}",
        "apiVersion: charter/v1",
        "kind: UseCase",
        f"id: {scalar(req.id)}",
        f"title: {scalar(title)}",
        "summary: >-",
        "  REPLACE: one paragraph on what the system does, for whom, and why it matters.",
        f"businessUnit: {scalar(team.business_unit)}",
        f"team: {scalar(team.id)}",
        f"stage: {scalar(stages[0])}",
        f"# Risk tier from governance/policy.yaml: {', '.join(t.id for t in pol.risk_tiers)}",
        f"riskTier: {scalar(req.risk)}",
        "owners:",
        "  # role id -> person id (the person must hold that role in governance/organisation.yaml)",
        f"  {OWNER_ROLE}: {scalar(req.owner)}",
        "",
        "# 1. Task: what is the final task?",
    ]
    task_lines = [f"  type: {task}"]
    complete = True
    if target is not None:
        task_lines.append(f"  target: {scalar(target)}")
    elif task in TRAINABLE or task == TaskType.TEXT.value:
        complete = False
    if task == TaskType.BINARY.value:
        if positive_label is None:
            complete = False
        else:
            task_lines.append(f"  positiveLabel: {scalar(positive_label)}")
    task_lines.append("  description: REPLACE with what the model decides or predicts, in plain words.")
    if complete:
        out += ["task:"] + task_lines
    else:
        out += ["# Complete the target (and for binary classification the positiveLabel), then uncomment:",
                "# task:"] + [f"#{line[1:]}" for line in task_lines]
        out += ["#   target: label_column"] if target is None else []
        out += ["#   positiveLabel: 1"] if task == TaskType.BINARY.value and positive_label is None else []
    out += ["", "# 2. Evaluation metric: how is the model judged?"]
    ev = _evaluation(task, has_scores)
    if ev is not None and complete:
        metric, threshold, secondary = ev
        out += ["evaluation:", f"  primaryMetric: {metric}",
                f"  threshold: {threshold}   # REPLACE: the value below which the model is not good enough",
                f"  secondaryMetrics: {flow(secondary)}",
                "  rationale: REPLACE with why this metric and threshold fit the problem."]
    else:
        out += ["# evaluation:", "#   primaryMetric: ...", "#   threshold: ...",
                "#   rationale: Why this metric and threshold fit the problem."]
    out += ["", "# 3. Relevant data: sources, owners, personal data, sensitive attributes."]
    if plan.sources:
        out.append("data:")
        for s in plan.sources:
            out += [f"  - id: {s['id']}",
                    f"    path: {scalar(s['path'])}",
                    f"    sha256: {s['sha256']}",
                    f"    description: {scalar(s['description'])}",
                    f"    owner: {scalar(s['owner'])}",
                    "    # REPLACE if needed: does the file hold personal data (GDPR)?",
                    f"    personalData: {scalar(s['personalData'])}",
                    f"    sensitiveAttributes: {flow(s['sensitiveAttributes'])}",
                    f"    # Inferred from {s['rows']:,} rows: review the ranges and categories, they are what",
                    "    # every later file must satisfy.",
                    "    contract:",
                    "      columns:"]
            for name, col in s["contract"]["columns"].items():
                out.append(f"        {scalar(name)}: {flow(col)}")
    else:
        out += ["# data:", "#   - id: training-data", "#     path: data/training.csv   # inside this folder",
                "#     sha256: <sha256sum of the file>", "#     description: Where the rows come from.",
                f"#     owner: {req.owner}", "#     personalData: false", "#     sensitiveAttributes: []"]
    out += [
        "",
        "# 4. Business impact: how will the impact be measured?",
        "# businessImpact:",
        "#   kpi: The KPI this use case moves",
        "#   baseline: 0",
        "#   target: 0",
        "#   measurement: How and when the KPI is measured.",
        "",
        "# 5. Consumption needs: how is the output consumed?",
        "# consumption:",
        "#   mode: batch                       # online, streaming, batch or edge",
        "#   consumers: [Who or what uses the predictions]",
        "",
        "# Do we even need AI?",
        "# needForAi:",
        "#   simplerAlternative: The simpler option considered, and why it is not enough.",
    ]
    if plan.jobs:
        out += ["", "# What `charter run` executes; evidence lands in evidence/records/" + req.id + "/.", "jobs:"]
        for job in plan.jobs:
            first = True
            for key, value in job.items():
                prefix = "  - " if first else "    "
                first = False
                out.append(f"{prefix}{key}: {flow(value) if isinstance(value, (dict, list)) else scalar(value)}")
    fair = next((j for j in plan.jobs if j.get("sensitiveAttributes")), None)
    if fair is not None:
        out += ["", "# Fairness checks beyond the policy's defaults, for example:",
                "# fairness:",
                "#   - id: selection-parity",
                f"#     sensitiveAttributes: [{fair['sensitiveAttributes'][0]}]",
                "#     metric: demographic_parity_ratio",
                "#     min: 0.8",
                "#     affectedGroups: Who could be harmed and how.",
                "#     rationale: Why this metric and bound fit the decision."]
    out += ["", "card:", "  intendedUse: >-", "    REPLACE: what the system is for, and who may rely on it."]
    return "\n".join(out) + "\n"


def codeowners_text(root: Path) -> tuple[Path, str] | None:
    """(the CODEOWNERS file, its text regenerated from the repository as it is now), or None when invalid."""
    from ..codeowners import DEFAULT_TARGET, generate
    from ..io.git import toplevel
    from ..loading.loader import load_repository

    repo = load_repository(root, check_data=False)
    if any(d.severity == "error" for d in repo.diagnostics):
        return None
    top = toplevel(root) or root
    prefix = root.relative_to(top).as_posix() if root != top and top in root.parents else ""
    target = top / DEFAULT_TARGET
    shown = target.relative_to(top).as_posix()
    return target, generate(repo, prefix="" if prefix == "." else prefix, target=shown)
