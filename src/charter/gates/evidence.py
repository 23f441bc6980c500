"""Evidence as the gate sees it: fresh, stale, missing or errored, and what to do about it.

The planner says which evidence id each job *should* have for the current spec,
data and code; the store says which records exist. A gate only trusts a record
whose id is the planned one. Anything else fails closed, with the command that
produces the evidence and, for stale evidence, what changed since.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, Protocol

from ..evidence.records import EvidenceRecord

Freshness = Literal["fresh", "stale", "missing"]


class EvidenceSource(Protocol):
    """What the gate needs of an evidence store (the engine's EvidenceStore, or a fake in tests)."""

    def get(self, use_case: str, job: str, evidence_id: str) -> EvidenceRecord | None: ...

    def latest(self, use_case: str, job: str) -> EvidenceRecord | None: ...


def run_command(use_case: str) -> str:
    return f"charter run {use_case}"


@dataclass(frozen=True)
class JobEvidence:
    """One planned job and the evidence the store holds for it."""

    planned: Any  # charter.engine.plan.PlannedJob
    freshness: Freshness
    record: EvidenceRecord | None = None
    """The record for exactly the planned inputs (fresh only)."""
    latest: EvidenceRecord | None = None
    """The newest record whatever its inputs (what a stale report points at)."""
    changed: tuple[str, ...] = ()
    """For stale evidence: which inputs differ from the latest record's."""

    @property
    def job(self) -> str:
        return self.planned.job_id

    @property
    def runner(self) -> str:
        return self.planned.runner

    @property
    def usable(self) -> bool:
        """Fresh and not errored: its results may be judged."""
        return self.record is not None and self.record.status != "error"

    @property
    def command(self) -> str:
        return run_command(self.planned.use_case)

    def problem(self) -> str | None:
        """Why this evidence cannot be used, or None when it can."""
        label = f"job '{self.job}' ({self.runner})"
        if self.freshness == "missing":
            return f"no evidence for {label} yet"
        if self.freshness == "stale":
            assert self.latest is not None
            what = ", ".join(self.changed) if self.changed else "its inputs"
            return (f"the evidence of {label} is stale: its latest record {self.latest.id[:12]} "
                    f"({self.latest.finished_at[:10]}) predates a change of {what}")
        assert self.record is not None
        if self.record.status == "error":
            return f"{label} errored: {self.record.reason or 'no reason recorded'}"
        return None


def _get(obj: Any, name: str) -> Any:
    return obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)


def changed_inputs(planned_inputs: Any, recorded: Any) -> tuple[str, ...]:
    """Human names of the inputs that differ between a plan and an older record."""
    out: list[str] = []
    if _get(planned_inputs, "spec_sha256") != _get(recorded, "spec_sha256"):
        out.append("its spec section")
    new_data, old_data = _get(planned_inputs, "data") or {}, _get(recorded, "data") or {}
    for source in sorted(set(new_data) | set(old_data)):
        if source not in old_data:
            out.append(f"data source '{source}' (added)")
        elif source not in new_data:
            out.append(f"data source '{source}' (no longer read)")
        elif new_data[source] != old_data[source]:
            out.append(f"data source '{source}' (re-pinned)")
    new_up, old_up = _get(planned_inputs, "upstream") or {}, _get(recorded, "upstream") or {}
    for job in sorted(set(new_up) | set(old_up)):
        if new_up.get(job) != old_up.get(job):
            out.append(f"upstream job '{job}'")
    if _get(planned_inputs, "runner_version") != _get(recorded, "runner_version"):
        old, new = _get(recorded, "runner_version"), _get(planned_inputs, "runner_version")
        out.append(f"Charter's runner code ({old} → {new})")
    new_pk, old_pk = _get(planned_inputs, "packages") or {}, _get(recorded, "packages") or {}
    for dist in sorted(set(new_pk) | set(old_pk)):
        if new_pk.get(dist) != old_pk.get(dist):
            out.append(f"package {dist} ({old_pk.get(dist, 'absent')} → {new_pk.get(dist, 'absent')})")
    if _get(planned_inputs, "seed") != _get(recorded, "seed"):
        out.append("the seed")
    return tuple(out)


def look_up(store: EvidenceSource, planned: Any) -> JobEvidence:
    record = store.get(planned.use_case, planned.job_id, planned.evidence_id)
    if record is not None:
        return JobEvidence(planned, "fresh", record, record)
    latest = store.latest(planned.use_case, planned.job_id)
    if latest is None:
        return JobEvidence(planned, "missing")
    return JobEvidence(planned, "stale", None, latest, changed_inputs(planned.inputs, latest.inputs))


class EvidenceView:
    """Every planned job of one use case with its evidence, looked up once."""

    def __init__(self, store: EvidenceSource, planned: list[Any]) -> None:
        self.planned = list(planned)
        self.jobs: dict[str, JobEvidence] = {p.job_id: look_up(store, p) for p in self.planned}

    def by_runner(self, *runners: str) -> list[JobEvidence]:
        return [e for e in self.jobs.values() if e.runner in runners]

    def all_fresh(self) -> bool:
        return all(e.usable for e in self.jobs.values())

    def problems(self) -> list[str]:
        return [p for e in self.jobs.values() if (p := e.problem())]
