"""Planning: which jobs each use case needs, in which order, under which evidence id.

Pure and cheap: it reads the loaded specs and hashes them, never a data file
(the pinned sha256 stands for the data; runners verify the file matches before
they read it) and never a heavy package. So "is anything out of date?" is
answered by planning and looking the ids up in the store.

The evidence id of a job is the sha256 of the canonical JSON of its
:class:`~charter.evidence.records.Inputs`:

* ``spec_sha256`` – the job's spec section plus the parts of the use case it reads
  (task, data sources with their pinned hashes and contracts, sensitive
  attributes, the policy's minimum group size, the allowlisted model source);
  free-text descriptions are left out, so editing prose re-runs nothing;
* ``data`` – the pinned sha256 of every data source the job reads;
* ``upstream`` – the evidence ids of the jobs whose output it consumes (computed
  recursively, without running anything);
* ``runner_version`` – Charter's version plus a hash of the runner's code (and of
  the numeric engine it calls);
* ``packages`` – major.minor of the packages whose behaviour decides the result;
* ``seed``.

The git commit and the time are *not* part of the id (they are lineage), so an
unchanged use case is never re-run on a new commit.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..evidence.records import Inputs
from ..jobs import RUNNERS
from ..spec import known
from ..spec.usecase import UseCase
from .hashing import code_version, package_version, package_versions, sha256_json

# Order inside a use case: data contracts first, then training, then what reads predictions.
_PHASE = {"data-contract": 0, "sklearn-train": 1, "text-finetune": 1, "text-linear-probe": 1}
DEFAULT_MIN_GROUP_SIZE = 30


class PlanError(ValueError):
    """The specs cannot be planned (for example a dependency on an unknown job)."""


@dataclass(frozen=True)
class PlannedJob:
    use_case: str
    job_id: str
    runner: str
    evidence_id: str
    inputs: Inputs = field(hash=False)
    depends_on: tuple[str, ...] = ()
    """Job ids (in the same use case) whose evidence this job consumes."""

    @property
    def key(self) -> tuple[str, str]:
        return (self.use_case, self.job_id)


def _strip(obj: Any) -> Any:
    """Drop free-text ``description`` keys: prose changes do not change results."""
    if isinstance(obj, dict):
        return {k: _strip(v) for k, v in obj.items() if k != "description"}
    if isinstance(obj, list):
        return [_strip(v) for v in obj]
    return obj


def _dump(model: Any) -> Any:
    return None if model is None else _strip(model.model_dump(mode="json", by_alias=True))


def _source(uc: UseCase, data_id: str | None) -> dict[str, Any] | None:
    if data_id is None:
        return None
    src = uc.source(data_id)
    if src is None:
        raise PlanError(f"use case '{uc.id}': unknown data source '{data_id}'")
    return {
        "id": src.id,
        "path": src.path,
        "sha256": src.sha256,
        "sensitiveAttributes": list(src.sensitive_attributes),
        "contract": _dump(src.contract),
    }


def _prediction_source(uc: UseCase, ref: Any) -> str | None:
    """The data source id the predictions' rows come from."""
    if ref is None:
        return None
    if ref.data is not None:
        return ref.data
    train = uc.job(ref.job)
    return getattr(train, "data", None)


def fairness_attributes(uc: UseCase, job: Any) -> list[str]:
    """The sensitive attributes a fairness job examines: its own list, or its data's."""
    if job.sensitive_attributes:
        return list(job.sensitive_attributes)
    data_id = _prediction_source(uc, job.predictions)
    src = uc.source(data_id) if data_id else None
    return list(src.sensitive_attributes) if src else []


def _model_source(repo: Any, source_id: str) -> dict[str, Any]:
    allow = getattr(repo, "allowlist", None)
    entry = next((m for m in (allow.models if allow else []) if m.id == source_id), None)
    if entry is None:
        return {"id": source_id, "allowlisted": False}
    out: dict[str, Any] = {"id": entry.id, "package": entry.package, "path": entry.path}
    if entry.package:
        out["packageVersion"] = package_version(entry.package)
    elif entry.path:
        out["sha256"] = _folder_sha256(Path(repo.root), entry.path)
    return out


def _folder_sha256(root: Path, relpath: str) -> str | None:
    """Content hash of a model folder inside the repository (None if unusable: the runner reports why)."""
    from ..loading.files import PathEscape, resolve_inside
    from .hashing import sha256_bytes

    try:
        folder = resolve_inside(root, root, relpath)
    except PathEscape:
        return None
    if not folder.is_dir():
        return None
    parts = []
    for f in sorted(p for p in folder.rglob("*") if p.is_file()):
        parts.append(f.relative_to(folder).as_posix() + "\0" + repo_file_sha256(f))
    return sha256_bytes("\n".join(parts).encode())


def repo_file_sha256(path: Path) -> str:
    from ..loading.files import sha256_file

    return sha256_file(path)


def _reads(repo: Any, uc: UseCase, job: Any) -> tuple[dict[str, Any], list[str], list[str], int | None]:
    """(spec parts, data source ids, upstream job ids, seed) of one job."""
    runner = job.runner
    spec: dict[str, Any] = {"useCase": uc.id, "job": _dump(job)}
    task = _dump(uc.task)
    data_ids: list[str] = []
    upstream: list[str] = []
    seed: int | None = None
    if runner == "data-contract":
        data_ids = list(job.data) if job.data is not None else [d.id for d in uc.data if d.contract is not None]
    elif runner in known.TRAINING_RUNNERS:
        data_ids = [job.data]
        spec["task"] = task
        seed = job.split.seed
        if runner != "sklearn-train":
            spec["model"] = _model_source(repo, job.model.source)
    elif runner in ("evaluate", "fairness"):
        spec["task"] = task
        refs = [job.predictions] + ([job.champion] if runner == "evaluate" and job.champion is not None else [])
        for ref in refs:
            if ref.job is not None:
                upstream.append(ref.job)
                if uc.job(ref.job) is None:
                    raise PlanError(f"use case '{uc.id}', job '{job.id}': unknown job '{ref.job}'")
            else:
                data_ids.append(ref.data)
        seed = job.bootstrap.seed
        if runner == "fairness":
            spec["sensitiveAttributes"] = fairness_attributes(uc, job)
            policy = getattr(repo, "policy", None)
            spec["minGroupSize"] = policy.fairness.min_group_size if policy is not None else DEFAULT_MIN_GROUP_SIZE
    elif runner == "drift":
        data_ids = [job.reference, job.current]
    spec["sources"] = [_source(uc, d) for d in dict.fromkeys(data_ids)]
    return spec, list(dict.fromkeys(data_ids)), list(dict.fromkeys(upstream)), seed


def _order(uc: UseCase) -> list[Any]:
    """Jobs in dependency order (stable: phase, then spec order)."""
    jobs = list(uc.jobs)
    index = {j.id: i for i, j in enumerate(jobs)}
    deps: dict[str, set[str]] = {}
    for j in jobs:
        refs = []
        if j.runner in ("evaluate", "fairness"):
            refs = [j.predictions] + ([j.champion] if j.runner == "evaluate" and j.champion is not None else [])
        deps[j.id] = {r.job for r in refs if r.job is not None and r.job in index}
    done: list[Any] = []
    placed: set[str] = set()
    pending = sorted(jobs, key=lambda j: (_PHASE.get(j.runner, 2), index[j.id]))
    while pending:
        for j in pending:
            if deps[j.id] <= placed:
                done.append(j)
                placed.add(j.id)
                pending.remove(j)
                break
        else:
            raise PlanError(f"use case '{uc.id}': circular job dependencies among {', '.join(j.id for j in pending)}")
    return done


def plan_usecase(repo: Any, uc: UseCase) -> list[PlannedJob]:
    """The jobs of one use case in dependency order, each with its evidence id."""
    planned: dict[str, PlannedJob] = {}
    for job in _order(uc):
        spec_info = RUNNERS.get(job.runner)
        if spec_info is None:
            raise PlanError(f"use case '{uc.id}', job '{job.id}': unknown runner '{job.runner}'")
        spec, data_ids, upstream, seed = _reads(repo, uc, job)
        src = {s["id"]: s["sha256"] for s in spec["sources"] if s is not None}
        inputs = Inputs(
            spec_sha256=sha256_json(spec),
            data={d: src[d] for d in data_ids},
            upstream={u: planned[u].evidence_id for u in upstream},
            runner_version=code_version(spec_info.sources),
            packages=package_versions(spec_info.packages),
            seed=seed,
        )
        planned[job.id] = PlannedJob(
            use_case=uc.id,
            job_id=job.id,
            runner=job.runner,
            evidence_id=evidence_id(inputs),
            inputs=inputs,
            depends_on=tuple(upstream),
        )
    return list(planned.values())


def evidence_id(inputs: Inputs) -> str:
    return sha256_json(inputs.model_dump(mode="json"))


def plan_repository(repo: Any, selection: Iterable[str] | None = None) -> list[PlannedJob]:
    """Every use case's jobs (or the selected use cases'), use cases in id order."""
    wanted = None if selection is None else set(selection)
    if wanted is not None:
        unknown = wanted - set(repo.usecases)
        if unknown:
            raise PlanError(f"unknown use case(s): {', '.join(sorted(unknown))}")
    out: list[PlannedJob] = []
    for uc_id in sorted(repo.usecases):
        if wanted is None or uc_id in wanted:
            out.extend(plan_usecase(repo, repo.usecases[uc_id]))
    return out

