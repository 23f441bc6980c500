"""Evidence as the gate sees it: fresh, stale, missing, tampered or errored, and what to do about it.

The planner says which evidence id each job *should* have for the current spec,
data and code; the store says which records exist. A gate only trusts a record
whose id is the planned one and that the ledger vouches for (the store's
``current``: the file its run entry names, with the sha256 it recorded, of this use
case and job, whose inputs hash to its id). Anything else fails closed, with the
command that produces the evidence and, for stale evidence, what changed since;
evidence the ledger does not vouch for is ``tampered``, with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, Protocol

from ..evidence.records import EvidenceRecord

Freshness = Literal["fresh", "stale", "missing", "tampered"]


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
    record_sha256: str | None = None
    """sha256 of the shown record's file (the value the ledger's run entry holds), when the store says."""
    reason: str | None = None
    """For tampered evidence: what does not match the ledger; for missing evidence: why (a deleted record)."""

    @property
    def job(self) -> str:
        return self.planned.job_id

    @property
    def planned_id(self) -> str:
        """The evidence id the current spec, data and code call for."""
        return str(self.planned.evidence_id)

    @property
    def shown(self) -> EvidenceRecord | None:
        """The record to show: the fresh one, else the newest (marked stale)."""
        return self.record or self.latest

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
        if self.freshness == "tampered":
            return f"the evidence of {label} is tampered: {self.reason or 'the ledger does not vouch for it'}"
        if self.freshness == "missing":
            return f"no evidence for {label}: {self.reason}" if self.reason else f"no evidence for {label} yet"
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


def _short(sha: Any) -> str:
    return f"{sha[:12]}…" if isinstance(sha, str) and len(sha) > 12 else str(sha)


def changed_inputs(planned_inputs: Any, recorded: Any, *, spec_keys: Any = None) -> tuple[str, ...]:
    """Human names of the inputs that differ between a plan and an older record (the one wording that
    ``run``, ``status``, ``gate`` and the site show). ``spec_keys``: the top-level keys of the job's spec
    section that changed (:func:`spec_changes`), when they could be recovered."""
    out: list[str] = []
    if _get(planned_inputs, "spec_sha256") != _get(recorded, "spec_sha256"):
        keys = list(spec_keys) if spec_keys else []
        if len(keys) > _MAX_KEYS:
            keys = keys[:_MAX_KEYS] + [f"{len(keys) - _MAX_KEYS} more"]
        out.append(f"its spec section ({', '.join(keys)})" if keys else "its spec section")
    new_data, old_data = _get(planned_inputs, "data") or {}, _get(recorded, "data") or {}
    for source in sorted(set(new_data) | set(old_data)):
        if source not in old_data:
            out.append(f"data source '{source}' (added)")
        elif source not in new_data:
            out.append(f"data source '{source}' (no longer read)")
        elif new_data[source] != old_data[source]:
            out.append(f"data source '{source}' ({_short(old_data[source])} → {_short(new_data[source])})")
    new_up, old_up = _get(planned_inputs, "upstream") or {}, _get(recorded, "upstream") or {}
    for job in sorted(set(new_up) | set(old_up)):
        if new_up.get(job) != old_up.get(job):
            out.append(f"upstream job '{job}'")
    if _get(planned_inputs, "runner_version") != _get(recorded, "runner_version"):
        old, new = _get(recorded, "runner_version"), _get(planned_inputs, "runner_version")
        out.append(f"the runner's result version ({old} → {new})")
    new_pk, old_pk = _get(planned_inputs, "packages") or {}, _get(recorded, "packages") or {}
    for dist in sorted(set(new_pk) | set(old_pk)):
        if new_pk.get(dist) != old_pk.get(dist):
            out.append(f"package {dist} ({old_pk.get(dist, 'absent')} → {new_pk.get(dist, 'absent')})")
    if _get(planned_inputs, "seed") != _get(recorded, "seed") and not any(
            str(k).endswith("seed") for k in spec_keys or ()):
        out.append("the seed")
    return tuple(out)


_MAX_KEYS = 4
_MISSING = object()


def _flatten(obj: Any, prefix: str, out: dict[str, Any]) -> None:
    if isinstance(obj, dict):
        for k, v in obj.items():
            _flatten(v, f"{prefix}.{k}" if prefix else str(k), out)
    elif isinstance(obj, list) and obj and all(isinstance(v, dict) and isinstance(v.get("id"), str) for v in obj):
        for v in obj:  # lists of identified things (data sources, checks): by id, not by position
            _flatten({k: x for k, x in v.items() if k != "id"}, f"{prefix}[{v['id']}]", out)
    else:
        out[prefix] = obj


def _display(path: str) -> str:
    # the job's own section is what a reader edits: `job.bootstrap.seed` reads as `bootstrap.seed`
    return path[4:] if path.startswith("job.") else path


def spec_changes(planned_spec: Any, recorded: Any) -> list[str]:
    """The spec keys (dotted paths) that differ between a plan and an older record, when the record kept
    its spec (schema 2) and that spec is the one its inputs hashed; [] when it cannot be told."""
    from ..engine.hashing import sha256_json

    old = _get(recorded, "spec")
    if not isinstance(planned_spec, dict) or not planned_spec or not isinstance(old, dict):
        return []
    if sha256_json(old) != _get(_get(recorded, "inputs"), "spec_sha256"):
        return []  # not the spec its id was computed from: name nothing rather than something wrong
    a: dict[str, Any] = {}
    b: dict[str, Any] = {}
    _flatten(planned_spec, "", a)
    _flatten(old, "", b)
    return [_display(k) for k in sorted(set(a) | set(b)) if a.get(k, _MISSING) != b.get(k, _MISSING)]


def look_up(store: EvidenceSource, planned: Any, *, with_sha256: bool = False) -> JobEvidence:
    """The evidence for one planned job.

    ``with_sha256`` also asks the store for the shown record file's sha256 (stores
    with ``get_stored``: the engine's and the site's cache); gates do not need it.
    """
    current = getattr(store, "current", None)
    if current is not None:
        cur = current(planned.use_case, planned.job_id, planned.evidence_id)
        if cur.state == "tampered":  # nothing of it is shown or judged: its numbers may be forged
            return JobEvidence(planned, "tampered", reason=cur.reason,
                               record_sha256=cur.stored.sha256 if cur.stored is not None else None)
        if cur.state == "deleted":
            return JobEvidence(planned, "missing", reason=cur.reason)
    record = store.get(planned.use_case, planned.job_id, planned.evidence_id)
    if record is not None:
        sha = _sha256(store, planned, record) if with_sha256 else None
        return JobEvidence(planned, "fresh", record, record, record_sha256=sha)
    latest = store.latest(planned.use_case, planned.job_id)
    if latest is None:
        return JobEvidence(planned, "missing")
    sha = _sha256(store, planned, latest) if with_sha256 else None
    keys = spec_changes(getattr(planned, "spec", None), latest)
    return JobEvidence(planned, "stale", None, latest, changed_inputs(planned.inputs, latest.inputs, spec_keys=keys),
                       record_sha256=sha)


def run_reason(ev: JobEvidence, *, force: bool = False, forked: bool = False) -> str | None:
    """Why ``charter run`` would run this job (None: its evidence is current and final, it is cached).

    The one wording of "why": ``charter status``, ``run``'s REASON column, the gate and the site give it."""
    if forked:
        return "both merged branches ran this use case: its ledger chain is forked"
    if ev.freshness == "tampered":
        return f"tampered: {ev.reason}"
    if ev.freshness == "missing":
        return ev.reason or "no evidence yet"
    if ev.freshness == "stale":
        return "changed: " + (", ".join(ev.changed) if ev.changed else "its inputs")
    if ev.record is not None and ev.record.status not in ("pass", "fail"):
        return f"its last run errored ({ev.record.reason or 'no reason recorded'}): retried"
    if force:
        return "--force"
    return None


def _sha256(store: EvidenceSource, planned: Any, record: EvidenceRecord) -> str | None:
    get_stored = getattr(store, "get_stored", None)
    stored = get_stored(planned.use_case, planned.job_id, record.id) if get_stored is not None else None
    sha = getattr(stored, "sha256", None)
    return sha if isinstance(sha, str) else None


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


class CachingStore:
    """Read-through cache over an evidence store: each record file is parsed once, whatever asks for it.

    An assessment looks every job up once for itself and once per decision; the
    site also verifies the ledger over the same records.
    """

    def __init__(self, store: Any) -> None:
        self.store = store
        self._stored: dict[tuple[str, str, str], Any] = {}
        self._current: dict[tuple[str, str, str], Any] = {}
        self._latest: dict[tuple[str, str], Any] = {}
        self._files: dict[str, Any] = {}
        if not hasattr(store, "current"):
            self.current = None  # type: ignore[assignment]  # a plain source: look_up asks get() only

    def current(self, use_case: str, job: str, evidence_id: str) -> Any:
        """The store's checked view of the record for these inputs (see EvidenceStore.current), once."""
        key = (use_case, job, evidence_id)
        if key not in self._current:
            self._current[key] = self.store.current(use_case, job, evidence_id)
        return self._current[key]

    def get_stored(self, use_case: str, job: str, evidence_id: str) -> Any:
        key = (use_case, job, evidence_id)
        if key not in self._stored:
            if hasattr(self.store, "current"):
                cur = self.current(use_case, job, evidence_id)
                self._stored[key] = cur.stored if cur.state == "ok" else None
            else:
                self._stored[key] = self.store.get_stored(use_case, job, evidence_id)
        return self._stored[key]

    def get(self, use_case: str, job: str, evidence_id: str) -> EvidenceRecord | None:
        if not hasattr(self.store, "get_stored"):  # a plain evidence source (tests' fakes)
            return self.store.get(use_case, job, evidence_id)  # type: ignore[no-any-return]
        stored = self.get_stored(use_case, job, evidence_id)
        return stored.record if stored is not None else None

    def latest(self, use_case: str, job: str) -> EvidenceRecord | None:
        """The job's most recently finished record."""
        key = (use_case, job)
        if key not in self._latest:
            index = getattr(self.store, "ledger_index", None)
            if index is None or not hasattr(self.store, "current"):
                self._latest[key] = self.store.latest(use_case, job)
            else:
                run = index().latest.get((use_case, job))
                st = self.get_stored(use_case, job, run.evidence_id) if run is not None else None
                self._latest[key] = st.record if st is not None else None
        return self._latest[key]  # type: ignore[no-any-return]

    def iter_stored(self) -> Any:
        """Every record in the store (for the ledger's verification), reusing what was read already."""
        root = self.store.records_dir
        if not root.is_dir():
            return
        yield from self.store.iter_stored()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)
