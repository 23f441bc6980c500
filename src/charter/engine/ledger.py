"""The append-only, hash-chained ledger of runs and decisions.

``evidence/ledger.jsonl`` holds one JSON entry per line::

    {"schema_version": 2, "seq": 7, "prev": "<hash of entry 6>", "hash": "<sha256 of this entry>",
     "at": "2026-05-01T12:00:00+00:00", "type": "run" | "decision", "payload": {...}}

(the model is :class:`charter.artifacts.ledger.LedgerEntry`; every key is
snake_case). ``hash`` is the sha256 of the canonical JSON of ``schema_version``,
``seq``, ``prev``, ``at``, ``type`` and ``payload``; ``prev`` of the first entry
is 64 zeros. A ledger written in an older schema is reported by :meth:`Ledger.verify`
and refused by :meth:`Ledger.append`, with how to record it again. Editing an entry breaks
its hash; removing or reordering entries breaks the chain of ``prev`` and the
sequence numbers; cutting entries off the end is caught by the head anchor
``evidence/ledger.head`` (the last seq and hash, rewritten atomically on every
append; give ``expected_head`` to verify against an anchor kept elsewhere, such
as the one printed in CI logs). A ``run`` entry records the sha256 of the
evidence record file it wrote, so :meth:`Ledger.verify` also detects an edited
record, and a record with no entry at all.

Appends take an exclusive ``fcntl`` lock on the ledger, write the whole line
with one ``write`` call and fsync it, so concurrent runs never interleave.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

from .hashing import canonical_json
from ..artifacts.decision import DecisionRecord
from ..artifacts.ledger import LedgerEntry, RunEntry
from ..artifacts.versioning import check_version, version_of
from ..errors import LedgerError, SchemaVersionError, StoreError
from ..io.fs import atomic_write
from .store import StoredRecord, disk_full_message

LEDGER_FILE = "evidence/ledger.jsonl"
HEAD_FILE = "evidence/ledger.head"
GENESIS = "0" * 64
ENTRY_TYPES = ("run", "decision")
_KEYS = ("seq", "prev", "hash", "at", "type", "payload")
ENTRY_SCHEMA_VERSION = LedgerEntry.SCHEMA_VERSION


def entry_hash(seq: int, prev: str, at: str, type_: str, payload: Any,
               schema_version: int = ENTRY_SCHEMA_VERSION) -> str:
    body: dict[str, Any] = {"seq": seq, "prev": prev, "at": at, "type": type_, "payload": payload}
    if schema_version >= 2:  # schema 1 hashed no version; its entries still chain-check (then are reported old)
        body["schema_version"] = schema_version
    return hashlib.sha256(canonical_json(body).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class LedgerProblem:
    kind: str
    """edited | removed | reordered | truncated | corrupt | record | schema"""
    message: str
    line: int | None = None
    """1-based line of ledger.jsonl (None for problems outside it)."""
    file: str = LEDGER_FILE


@dataclass
class VerifyResult:
    entries: int
    head: str | None
    """Hash of the last valid entry."""
    problems: list[LedgerProblem] = field(default_factory=list)
    records_checked: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        """The ``charter verify --format json`` document (:class:`~charter.artifacts.verify.VerifyReport`)."""
        from ..artifacts.verify import VerifyReport

        return VerifyReport.model_validate({
            "ok": self.ok, "entries": self.entries, "head": self.head, "records_checked": self.records_checked,
            "problems": [asdict(p) for p in self.problems]}).model_dump(mode="json")


class RecordSource(Protocol):
    """What :meth:`Ledger.verify` reads of a store: an :class:`~.store.EvidenceStore` or a cache over one."""

    @property
    def warnings(self) -> list[str]: ...

    def iter_stored(self) -> Iterable[StoredRecord]: ...


class Ledger:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.path = self.root / LEDGER_FILE
        self.head_path = self.root / HEAD_FILE

    # --- writing ---------------------------------------------------------------------

    def append(self, type_: str, payload: dict[str, Any], *, at: str | None = None) -> dict[str, Any]:
        """Append one entry under an exclusive lock; returns the entry written."""
        if type_ not in ENTRY_TYPES:
            raise ValueError(f"ledger entry type must be one of {ENTRY_TYPES}, got {type_!r}")
        payload = json.loads(canonical_json(payload))  # JSON-only values, as they will be read back
        at = at or dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
        except OSError as exc:
            raise LedgerError(exc.errno, disk_full_message(exc, "the ledger")) from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            last, ends_with_newline = _last_entry(fd)
            if last is not None:
                try:
                    check_version(LedgerEntry, version_of(LedgerEntry, last), LEDGER_FILE)
                except SchemaVersionError as exc:  # never mix schemas in one chain
                    raise LedgerError(None, str(exc)) from None
            seq = (last["seq"] + 1) if last else 1
            prev = last["hash"] if last else GENESIS
            entry = {"schema_version": ENTRY_SCHEMA_VERSION, "seq": seq, "prev": prev,
                     "hash": entry_hash(seq, prev, at, type_, payload), "at": at, "type": type_, "payload": payload}
            line = json.dumps(entry, sort_keys=True, ensure_ascii=False, separators=(",", ":")) + "\n"
            data = line.encode("utf-8")
            if not ends_with_newline:
                data = b"\n" + data  # never glue onto a partial line; verify reports that line
            try:
                written = os.write(fd, data)
                if written != len(data):
                    raise OSError(28, "short write")
                os.fsync(fd)
            except OSError as exc:
                raise LedgerError(exc.errno, disk_full_message(exc, "the ledger")) from exc
            try:
                head = json.dumps({"seq": seq, "hash": entry["hash"]}) + "\n"
                atomic_write(self.head_path, head)
            except OSError as exc:
                raise LedgerError(exc.errno, disk_full_message(exc, "the ledger head")) from exc
            return entry
        finally:
            try:
                fcntl.flock(fd, fcntl.LOCK_UN)
            finally:
                os.close(fd)

    def append_run(self, *, use_case: str, job: str, runner: str, evidence_id: str, status: str,
                   reason: str | None, record_sha256: str | None, duration_s: float | None) -> dict[str, Any]:
        run = RunEntry(use_case=use_case, job=job, runner=runner, evidence_id=evidence_id, status=status,  # type: ignore[arg-type]
                       reason=reason, record_sha256=record_sha256, duration_s=duration_s)
        return self.append("run", run.model_dump(mode="json"))

    def append_decision(self, decision: Any) -> dict[str, Any]:
        """Record a gate decision (a ``GateDecision`` or its ``to_dict()``), validated as a
        :class:`~charter.artifacts.decision.DecisionRecord` first."""
        return self.append("decision", DecisionRecord.from_decision(decision).model_dump(mode="json"))

    # --- reading ---------------------------------------------------------------------

    def entries(self) -> list[dict[str, Any]]:
        """Every parseable entry, in file order (use verify() to know whether to trust them)."""
        out = []
        try:
            text = self.path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return []
        for line in text.splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if isinstance(entry, dict) and all(k in entry for k in _KEYS):
                out.append(entry)
        return out

    def read_entries(self) -> list[LedgerEntry]:
        """Every entry as a typed :class:`LedgerEntry`, in file order; lines that are not entries are
        left out (verify() reports them). Raises SchemaVersionError for a ledger in a schema this
        Charter does not read."""
        out = []
        for i, entry in enumerate(self.entries(), start=1):
            check_version(LedgerEntry, version_of(LedgerEntry, entry), f"{LEDGER_FILE} (entry {i})")
            try:
                out.append(LedgerEntry.model_validate(entry))
            except ValueError:
                continue
        return out

    def verify(self, *, store: RecordSource | None = None, expected_head: str | None = None) -> VerifyResult:
        """Check the chain line by line, the head anchor, and (with a store) every record against its run entry."""
        problems: list[LedgerProblem] = []
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            raw = b""
        except OSError as exc:
            return VerifyResult(0, None, [LedgerProblem("corrupt", f"cannot read the ledger: {exc.strerror}")])
        lines = raw.split(b"\n")
        trailing_partial = bool(raw) and not raw.endswith(b"\n")
        if not trailing_partial and lines and lines[-1] == b"":
            lines = lines[:-1]
        expected_seq, expected_prev = 1, GENESIS
        valid = 0
        last_seq, last_hash = 0, None
        runs: dict[tuple[str, str, str], RunEntry] = {}
        old_lines: list[int] = []
        old_message = ""
        for i, rawline in enumerate(lines, start=1):
            is_last = i == len(lines)
            try:
                entry = json.loads(rawline.decode("utf-8"))
                if not isinstance(entry, dict) or any(k not in entry for k in _KEYS):
                    raise ValueError("missing keys")
                seq, prev, h = entry["seq"], entry["prev"], entry["hash"]
                if not isinstance(seq, int) or not isinstance(prev, str) or not isinstance(h, str):
                    raise ValueError("bad field types")  # noqa: TRY004 - caught below as "not an entry"
            except (ValueError, UnicodeDecodeError):
                if is_last and trailing_partial:
                    problems.append(LedgerProblem("truncated", f"line {i} is an incomplete entry: the ledger was cut "
                                                  "in the middle of a line (truncated or interrupted write)", i))
                else:
                    problems.append(LedgerProblem("corrupt", f"line {i} is not a ledger entry (invalid JSON or "
                                                  "missing fields): it was edited or damaged", i))
                continue
            version = version_of(LedgerEntry, entry)
            try:
                check_version(LedgerEntry, version)
            except SchemaVersionError as exc:
                if version is not None and version < LedgerEntry.SCHEMA_VERSION:
                    old_lines.append(i)  # reported once below; still chain-checked
                    old_message = old_message or str(exc)
                else:
                    problems.append(LedgerProblem("schema", f"line {i} (seq {seq}): {exc}", i))
                    valid += 1
                    expected_seq, expected_prev = seq + 1, h
                    last_seq, last_hash = seq, h
                    continue
            if version is None or entry_hash(seq, prev, entry["at"], entry["type"], entry["payload"], version) != h:
                problems.append(LedgerProblem("edited", f"line {i} (seq {seq}) was changed after it was written: "
                                              "its content no longer matches its hash", i))
            elif seq > expected_seq:
                missing = f"seq {expected_seq}" if seq == expected_seq + 1 else f"seq {expected_seq}–{seq - 1}"
                problems.append(LedgerProblem("removed", f"line {i} (seq {seq}): entries {missing} are missing "
                                              "before it (removed)", i))
            elif seq < expected_seq:
                problems.append(LedgerProblem("reordered", f"line {i} (seq {seq}) comes after seq {expected_seq - 1}: "
                                              "entries were reordered or duplicated", i))
            elif prev != expected_prev:
                problems.append(LedgerProblem("edited", f"line {i} (seq {seq}) does not chain to the entry before it "
                                              "(prev hash mismatch): an entry was replaced", i))
            valid += 1
            expected_seq, expected_prev = seq + 1, h
            last_seq, last_hash = seq, h
            if version == ENTRY_SCHEMA_VERSION and entry.get("type") == "run" and isinstance(entry.get("payload"), dict):
                try:
                    run = RunEntry.model_validate(entry["payload"])
                except ValueError:
                    run = None
                if run is not None and run.record_sha256:
                    runs[(run.use_case, run.job, run.evidence_id)] = run
        if old_lines:
            span = f"line {old_lines[0]}" if len(old_lines) == 1 else f"lines {old_lines[0]}–{old_lines[-1]}"
            problems.insert(0, LedgerProblem("schema", f"{span} ({len(old_lines)} of {len(lines)} entries): "
                                             f"{old_message}; evidence records are not checked against it",
                                             old_lines[0]))
        if trailing_partial and not any(p.kind == "truncated" for p in problems):
            problems.append(LedgerProblem("truncated", f"line {len(lines)} has no final newline: the file was cut",
                                          len(lines)))
        self._check_head(problems, last_seq, last_hash, len(lines), expected_head)
        checked = 0
        if store is not None and not old_lines:
            for stored in store.iter_stored():
                checked += 1
                r = stored.record
                rel = stored.path.relative_to(self.root).as_posix()
                run = runs.get((r.use_case, r.job, r.id))
                if run is None:
                    problems.append(LedgerProblem("record", "no run entry in the ledger for this evidence record "
                                                  "(added by hand, or ledger entries were removed)", None, rel))
                elif run.record_sha256 != stored.sha256:
                    problems.append(LedgerProblem("record", "the record's content differs from what the run wrote "
                                                  "(edited after the run)", None, rel))
            for w in store.warnings:
                problems.append(LedgerProblem("record", w, None, w.split(" ", 1)[0]))
        return VerifyResult(valid, last_hash, problems, checked)

    def _check_head(self, problems: list[LedgerProblem], last_seq: int, last_hash: str | None, n_lines: int,
                    expected_head: str | None) -> None:
        try:
            head = json.loads(self.head_path.read_text())
            head_seq, head_hash = int(head["seq"]), str(head["hash"])
        except FileNotFoundError:
            head_seq, head_hash = None, None
            if last_seq:
                problems.append(LedgerProblem("truncated", f"{HEAD_FILE} is missing: the end of the ledger "
                                              "cannot be checked", None, HEAD_FILE))
        except (OSError, ValueError, KeyError, TypeError):
            head_seq, head_hash = None, None
            problems.append(LedgerProblem("corrupt", f"{HEAD_FILE} is unreadable", None, HEAD_FILE))
        if head_seq is not None:
            if head_seq > last_seq:
                problems.append(LedgerProblem("truncated", f"the ledger ends at seq {last_seq} (line {n_lines}) but "
                                              f"its head anchor records seq {head_seq}: entries were cut off the end",
                                              n_lines or None))
            elif head_seq == last_seq and head_hash != last_hash:
                problems.append(LedgerProblem("edited", f"the last entry (seq {last_seq}, line {n_lines}) differs "
                                              "from the one the head anchor records", n_lines or None))
        if expected_head is not None and expected_head != last_hash:
            problems.append(LedgerProblem("truncated", f"the ledger's last hash {last_hash} is not the expected "
                                          f"head {expected_head}", n_lines or None))


def _last_entry(fd: int) -> tuple[dict[str, Any] | None, bool]:
    """The last parseable entry of the ledger and whether the file ends with a newline."""
    size = os.lseek(fd, 0, os.SEEK_END)
    if size == 0:
        return None, True
    block = 1 << 16
    pos = size
    buf = b""
    ends_nl = True
    while True:
        start = max(0, pos - block)
        chunk = os.pread(fd, pos - start, start)
        buf = chunk + buf
        if pos == size:
            ends_nl = buf.endswith(b"\n")
        pos = start
        lines = buf.split(b"\n")
        complete = lines if start == 0 else lines[1:]
        for line in reversed(complete):
            if not line.strip():
                continue
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if isinstance(entry, dict) and isinstance(entry.get("seq"), int) and isinstance(entry.get("hash"), str):
                return entry, ends_nl
        if start == 0:
            return None, ends_nl
        block *= 2


__all__ = ["GENESIS", "LEDGER_FILE", "Ledger", "LedgerError", "LedgerProblem", "StoreError", "VerifyResult", "entry_hash"]
