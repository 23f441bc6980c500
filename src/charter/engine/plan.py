"""Planning: which jobs each use case needs, in which order, under which evidence id.

Pure and cheap: what each job reads and depends on is asked of its runner kind
(:mod:`charter.kinds.runners`); planning reads the loaded specs and hashes them, never a data file
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
* ``upstream`` – the evidence ids of the jobs whose output it consumes and of the
  data-contract jobs that check the data it reads (computed recursively, without
  running anything);
* ``runner_version`` – the runner kind and its declared ``result_version`` (bumped
  when its computation changes; moving or refactoring code leaves evidence current);
* ``packages`` – the versions of the packages whose behaviour decides the result, cut to the part
  the policy's ``reproduction.packageStaleness`` names (default major.minor; the full versions are
  lineage);
* ``seed``.

The git commit and the time are *not* part of the id (they are lineage), so an
unchanged use case is never re-run on a new commit.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ..errors import PlanError
from ..evidence.records import Inputs
from ..kinds import runners
from ..kinds.runners.base import dump_spec
from ..kinds.runners.fairness import fairness_attributes
from ..spec.usecase import UseCase
from ..spec.governance import reproduction_settings
from .hashing import canonical_json, package_versions, sha256_json, sha256_text

__all__ = ["PlanError", "PlannedJob", "evidence_id", "fairness_attributes",
           "plan_repository", "plan_usecase"]


@dataclass(frozen=True)
class PlannedJob:
    use_case: str
    job_id: str
    runner: str
    evidence_id: str
    inputs: Inputs = field(hash=False)
    depends_on: tuple[str, ...] = ()
    """Job ids (in the same use case) whose evidence this job consumes or waits for."""
    spec: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    """The canonical spec section hashed into ``inputs.spec_sha256`` (recorded, so a later change can be
    named key by key)."""

    @property
    def key(self) -> tuple[str, str]:
        return (self.use_case, self.job_id)


def _kind(uc: UseCase, job: Any) -> runners.RunnerKind[Any]:
    kind = runners.find(job.runner)
    if kind is None:
        raise PlanError(f"use case '{uc.id}', job '{job.id}': unknown runner '{job.runner}'")
    return kind


def _source(uc: UseCase, data_id: str) -> dict[str, Any]:
    src = uc.source(data_id)
    if src is None:
        raise PlanError(f"use case '{uc.id}': unknown data source '{data_id}'")
    return {
        "id": src.id,
        "path": src.path,
        "sha256": src.sha256,
        "sensitiveAttributes": list(src.sensitive_attributes),
        "contract": dump_spec(src.contract),
    }


def _guards(uc: UseCase) -> dict[str, list[str]]:
    """Data source id → ids of the jobs that check it (data contracts)."""
    out: dict[str, list[str]] = {}
    for job in uc.jobs:
        kind = runners.find(job.runner)
        for data_id in kind.guards(uc, job) if kind is not None else []:
            out.setdefault(data_id, []).append(job.id)
    return out


def _dependencies(uc: UseCase, job: Any, kind: runners.RunnerKind[Any], data_ids: list[str],
                  guards: dict[str, list[str]]) -> list[str]:
    """The jobs one job consumes, then the checks of the data it reads (a check never waits for another)."""
    deps = list(kind.upstream(uc, job))
    for d in deps:
        if uc.job(d) is None:
            raise PlanError(f"use case '{uc.id}', job '{job.id}': unknown job '{d}'")
    if not kind.guards(uc, job):
        deps += [g for d in data_ids for g in guards.get(d, []) if g != job.id]
    return list(dict.fromkeys(deps))


def _order(uc: UseCase, deps: dict[str, list[str]]) -> list[Any]:
    """Jobs in dependency order (stable: phase, then spec order)."""
    jobs = list(uc.jobs)
    index = {j.id: i for i, j in enumerate(jobs)}
    need = {j.id: {d for d in deps[j.id] if d in index} for j in jobs}
    done: list[Any] = []
    placed: set[str] = set()
    pending = sorted(jobs, key=lambda j: (_kind(uc, j).phase, index[j.id]))
    while pending:
        for j in pending:
            if need[j.id] <= placed:
                done.append(j)
                placed.add(j.id)
                pending.remove(j)
                break
        else:
            raise PlanError(f"use case '{uc.id}': circular job dependencies among {', '.join(j.id for j in pending)}")
    return done


def plan_usecase(repo: Any, uc: UseCase) -> list[PlannedJob]:
    """The jobs of one use case in dependency order, each with its evidence id."""
    guards = _guards(uc)
    repro = reproduction_settings(getattr(repo, "policy", None))
    reads: dict[str, runners.Reads] = {}
    deps: dict[str, list[str]] = {}
    for job in uc.jobs:
        kind = _kind(uc, job)
        reads[job.id] = r = kind.reads(repo, uc, job)
        deps[job.id] = _dependencies(uc, job, kind, list(dict.fromkeys(r.data)), guards)
    planned: dict[str, PlannedJob] = {}
    for job in _order(uc, deps):
        kind = _kind(uc, job)
        r = reads[job.id]
        data_ids = list(dict.fromkeys(r.data))
        spec: dict[str, Any] = {"useCase": uc.id, "job": dump_spec(job), **r.spec}
        spec["sources"] = [_source(uc, d) for d in data_ids]
        canonical = canonical_json(spec)
        inputs = Inputs(
            spec_sha256=sha256_text(canonical),
            data={s["id"]: s["sha256"] for s in spec["sources"]},
            upstream={u: planned[u].evidence_id for u in deps[job.id]},
            runner_version=kind.version,
            packages=package_versions(kind.packages, repro.package_staleness, repro.package_staleness_for),
            seed=r.seed,
        )
        planned[job.id] = PlannedJob(
            use_case=uc.id,
            job_id=job.id,
            runner=job.runner,
            evidence_id=evidence_id(inputs),
            inputs=inputs,
            depends_on=tuple(deps[job.id]),
            spec=json.loads(canonical),
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
