"""`charter gc`: remove evidence records nothing needs any more.

A record is kept when it is

* current (the ledger's last run entry for its inputs names it: ``verify`` and the gates read it);
* written by a run entry younger than the policy's ``retention.days``;
* read by a gate decision recorded in the ledger within the retention period, or by any recorded
  decision whose evidence hash an approval in a spec signs (what an auditor may ask to see).

Everything else goes: records of superseded runs older than the retention period and record files
no run entry wrote (left by an interrupted run, or added by hand: never judged). Removing them never
changes what ``verify`` checks: it reads current records and reports unwritten files.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .ledger import Ledger, record_file_name
from .store import EvidenceStore


@dataclass
class Collection:
    removed: list[str] = field(default_factory=list)
    """Record files removed (or, with dry_run, that would be)."""
    kept: int = 0
    reasons: dict[str, str] = field(default_factory=dict)
    """Removed file → why it is not needed."""


def _parse_at(at: Any) -> dt.datetime | None:
    try:
        when = dt.datetime.fromisoformat(str(at))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


def collect(root: Path, *, retention_days: int, approved_hashes: set[str] = frozenset(),  # type: ignore[assignment]
            now: dt.datetime | None = None, dry_run: bool = False) -> Collection:
    """Remove (or with ``dry_run`` list) the records nothing needs; see the module docstring."""
    now = now or dt.datetime.now(dt.UTC)
    cutoff = now - dt.timedelta(days=retention_days)
    ledger = Ledger(root)
    index = ledger.index()
    store = EvidenceStore(root)
    keep_files: set[str] = set()
    keep_ids: set[tuple[str, str]] = set()  # (use case, evidence id) read by a kept decision
    for (uc, job, eid), run in index.current.items():
        if run.record_sha256:
            keep_files.add(f"{uc}/{job}/{record_file_name(eid, run.record_sha256)}")
    for uc, chain in index.chains.items():
        for entry in chain.entries:
            when = _parse_at(entry.get("at"))
            recent = when is None or when >= cutoff
            payload = entry.get("payload") or {}
            if entry["type"] == "run" and recent and payload.get("record_sha256"):
                keep_files.add(f"{uc}/{payload.get('job')}/"
                               f"{record_file_name(str(payload.get('evidence_id')), payload['record_sha256'])}")
            if entry["type"] == "decision" and (recent or payload.get("evidence_hash") in approved_hashes):
                for req in payload.get("requirements") or []:
                    for eid in req.get("evidence") or []:
                        keep_ids.add((uc, str(eid)))
    out = Collection()
    if not store.records_dir.is_dir():
        return out
    for path in sorted(store.records_dir.glob("*/*/*.json")):
        rel = path.relative_to(store.records_dir).as_posix()
        uc, eid = path.parts[-3], path.name.split(".")[0]
        if rel in keep_files or (uc, eid) in keep_ids:
            out.kept += 1
            continue
        sha = hashlib.sha256(path.read_bytes()).hexdigest()
        why = (f"superseded, written more than {retention_days} day(s) ago" if sha in index.referenced
               else "written by no run entry of the ledger (an interrupted run, or added by hand)")
        out.removed.append(path.relative_to(root).as_posix())
        out.reasons[out.removed[-1]] = why
        if not dry_run:
            path.unlink()
    return out


__all__ = ["Collection", "collect"]
