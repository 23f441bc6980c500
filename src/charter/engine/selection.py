"""Which planned jobs `charter run` executes, and why: the one answer `run` and `status` share.

A job runs when its evidence is not current and final (missing, stale, tampered,
errored, forced, its chain forked, or asked to be reproduced). A job whose evidence
*is* current still runs when a job that must run reads its artifacts (a model, a
tokenizer) and this checkout lacks them: artifacts are local, records travel with
git, so a fresh clone has the record but not the model. That reason is named, never
silent.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ..evidence.records import EvidenceRecord
from ..gates.evidence import JobEvidence, look_up, run_reason
from .plan import PlannedJob

FINAL = ("pass", "fail")
Key = tuple[str, str]


@dataclass
class Selection:
    """The planned jobs split into those that run (with why) and those whose record stands."""

    existing: dict[Key, EvidenceRecord] = field(default_factory=dict)
    """Current, final records that are kept (not run)."""
    why: dict[Key, str] = field(default_factory=dict)
    """Jobs that run → the reason (the wording of :func:`charter.gates.evidence.run_reason`)."""
    evidence: dict[Key, JobEvidence] = field(default_factory=dict)
    """Every planned job's evidence, looked up once."""
    check: set[Key] = field(default_factory=set)
    """Jobs whose current record is re-computed and compared instead of trusted."""

    @property
    def to_run(self) -> set[Key]:
        return set(self.why)


def _artifacts_present(store: Any, record: EvidenceRecord) -> bool:
    for art in record.artifacts:
        try:
            path = store.artifact_path(art.path)
        except ValueError:
            return False
        if not path.exists():
            return False
    return True


def select(store: Any, planned: list[PlannedJob], *, force: bool = False,
           reproduce: Iterable[Key] = ()) -> Selection:
    """Split ``planned`` (dependency order) into the jobs to run and the records to keep."""
    sel = Selection()
    by_key = {p.key: p for p in planned}
    forked = {uc for uc, c in store.ledger_index().chains.items() if c.forked}
    check = {k for k in reproduce if k in by_key}
    for p in planned:
        ev = look_up(store, p)
        sel.evidence[p.key] = ev
        rec = None if force or p.use_case in forked else ev.record
        if p.key in check and rec is None and not force:
            check.discard(p.key)  # not current: it simply runs
        if rec is not None and rec.status in FINAL and p.key not in check:
            sel.existing[p.key] = rec
            continue
        why = run_reason(ev, force=force, forked=p.use_case in forked)
        if p.key in check:
            why = "reproduced: introduced since the base"
        sel.why[p.key] = why or "--force"
    # Latest consumers first, so a re-created artifact's own upstream is re-created too.
    for p in reversed(planned):
        if p.key not in sel.why:
            continue
        for dep in p.depends_on:
            k = (p.use_case, dep)
            rec = sel.existing.get(k)
            if rec is not None and not _artifacts_present(store, rec):
                del sel.existing[k]
                sel.why[k] = f"re-creates the artifacts job '{p.job_id}' reads (not in this checkout; the record stands)"
    sel.check = check
    return sel


__all__ = ["FINAL", "Selection", "select"]
