"""The append-only, hash-chained ledger of runs and decisions: one chain per use case.

``evidence/ledger/<use case>.jsonl`` holds one JSON entry per line::

    {"schema_version": 3, "seq": 7, "prev": "<hash of entry 6>", "merges": [], "hash": "<sha256>",
     "at": "2026-05-01T12:00:00+00:00", "type": "run" | "decision", "payload": {...}}

(the model is :class:`charter.artifacts.ledger.LedgerEntry`). ``hash`` is the
sha256 of the canonical JSON of ``schema_version``, ``seq``, ``prev``, ``merges``,
``at``, ``type`` and ``payload``; ``prev`` of the first entry is 64 zeros.
``evidence/ledger/<use case>.head`` anchors the chain's end (its last seq and hash,
rewritten atomically on every append), so cutting entries off the end, or a head
rolled back to an earlier entry, is caught.

Why one chain per use case: pull requests that run jobs of *different* use cases
touch different files and merge with plain ``git merge``. The chains and heads
carry ``merge=union`` in ``.gitattributes``: two branches that both ran the *same*
use case merge into a chain with two tips (two entries on the same parent);
:meth:`Ledger.verify` reports that fork ("both branches ran X: re-run it on the
merge with `charter run X`") and ``charter run X`` re-runs every job of X and
appends an entry whose ``merges`` names the other tip, which closes the fork. A
chain is therefore a DAG in file order: every entry's parents (``prev`` and
``merges``) appear on earlier lines, and a verified chain has exactly one tip.

The *repository head* is the sha256 of the sorted ``<use case> <tip hash>`` lines:
it names the whole ledger in one value (shown by ``verify``, on the site and in
every gate decision). ``verify --against REF`` checks that every chain of REF's
ledger is contained, entry for entry, in the current one: a consistent rewrite of
a chain (recomputing every hash) does not contain the base's entries and fails.

A ``run`` entry records the sha256 of the record file it made current
(records are write-once files named ``<evidence id>.<first 16 hex of that sha256>.json``):
the ledger, not the file system, says which record is current for each inputs.

Appends take an exclusive ``fcntl`` lock on the chain, write the whole line with
one ``write`` call and fsync it, so concurrent runs never interleave.

The single-file layout of schema 2 (``evidence/ledger.jsonl``) is not read: record
the evidence again (see :data:`OLD_LAYOUT_HINT`).
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

LEDGER_DIR = "evidence/ledger"
OLD_LEDGER_FILE = "evidence/ledger.jsonl"
OLD_HEAD_FILE = "evidence/ledger.head"
LEDGER_FILE = LEDGER_DIR  # where problems about the ledger as a whole are reported
GENESIS = "0" * 64
ENTRY_TYPES = ("run", "decision")
_KEYS = ("seq", "prev", "hash", "at", "type", "payload")
ENTRY_SCHEMA_VERSION = LedgerEntry.SCHEMA_VERSION
OLD_LAYOUT_HINT = (f"{OLD_LEDGER_FILE} is the single-file ledger of an older Charter; this one keeps one hash "
                   f"chain per use case under {LEDGER_DIR}/. Record the evidence again: `git mv` or delete "
                   f"{OLD_LEDGER_FILE}, {OLD_HEAD_FILE} and evidence/records, then run `charter run --force` "
                   "(and `charter gate --record` for decisions), and re-approve the new evidence")


def entry_hash(seq: int, prev: str, at: str, type_: str, payload: Any,
               schema_version: int = ENTRY_SCHEMA_VERSION, merges: Iterable[str] = ()) -> str:
    body: dict[str, Any] = {"seq": seq, "prev": prev, "at": at, "type": type_, "payload": payload,
                            "schema_version": schema_version, "merges": list(merges)}
    return hashlib.sha256(canonical_json(body).encode("utf-8")).hexdigest()


def repository_head(tips: dict[str, str]) -> str | None:
    """One hash for the whole ledger: over the sorted ``<use case> <tip hash>`` lines (None when empty)."""
    if not tips:
        return None
    text = "".join(f"{uc} {h}\n" for uc, h in sorted(tips.items()))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def record_file_name(evidence_id: str, record_sha256: str) -> str:
    """The write-once file name of a record: its evidence id and its run id (the file's sha256 prefix)."""
    return f"{evidence_id}.{record_sha256[:16]}.json"


def _valid_name(use_case: str) -> bool:
    return bool(use_case) and "/" not in use_case and "\\" not in use_case and not use_case.startswith(".")


@dataclass(frozen=True)
class LedgerProblem:
    kind: str
    """edited | removed | reordered | truncated | corrupt | record | missing | copied | fork | head | against |
    unrecorded | schema"""
    message: str
    line: int | None = None
    """1-based line of the chain file (None for problems outside it)."""
    file: str = LEDGER_FILE


@dataclass
class VerifyResult:
    entries: int
    head: str | None
    """The repository head: the hash over every chain's tip."""
    problems: list[LedgerProblem] = field(default_factory=list)
    records_checked: int = 0
    chains: dict[str, str] = field(default_factory=dict)
    """Use case → its chain's tip hash."""

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        """The ``charter verify --format json`` document (:class:`~charter.artifacts.verify.VerifyReport`)."""
        from ..artifacts.verify import VerifyReport

        return VerifyReport.model_validate({
            "ok": self.ok, "entries": self.entries, "head": self.head, "records_checked": self.records_checked,
            "chains": dict(self.chains), "problems": [asdict(p) for p in self.problems]}).model_dump(mode="json")


class RecordSource(Protocol):
    """What :meth:`Ledger.verify` reads of a store: an :class:`~.store.EvidenceStore` or a cache over one."""

    @property
    def warnings(self) -> list[str]: ...

    def iter_stored(self) -> Iterable[StoredRecord]: ...


@dataclass
class Chain:
    """One use case's chain as read from its file: entries in file order and what checking them found."""

    use_case: str
    entries: list[dict[str, Any]] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    """The 1-based line of each entry."""
    problems: list[LedgerProblem] = field(default_factory=list)
    tips: list[str] = field(default_factory=list)
    """Hashes of entries no later entry builds on (one for a linear chain; two or more after a forked merge)."""

    @property
    def tip(self) -> str | None:
        return self.tips[-1] if self.tips else None

    @property
    def forked(self) -> bool:
        return len(self.tips) > 1

    @property
    def hashes(self) -> set[str]:
        return {e["hash"] for e in self.entries}


def parse_chain(use_case: str, raw: bytes, file: str) -> Chain:
    """Check one chain's lines: each entry's hash, and that its parents are earlier entries with seq one less.

    An entry that fails a check is still followed (later entries are checked against it), so one edit is
    reported once, on its own line."""
    chain = Chain(use_case)
    lines = raw.split(b"\n")
    trailing_partial = bool(raw) and not raw.endswith(b"\n")
    if not trailing_partial and lines and lines[-1] == b"":
        lines = lines[:-1]
    parsed: list[tuple[int, dict[str, Any]]] = []
    for i, rawline in enumerate(lines, start=1):
        try:
            entry = json.loads(rawline.decode("utf-8"))
            if not isinstance(entry, dict) or any(k not in entry for k in _KEYS):
                raise ValueError("missing keys")
            seq, prev, h = entry["seq"], entry["prev"], entry["hash"]
            merges = entry.setdefault("merges", [])
            if (not isinstance(seq, int) or not isinstance(prev, str) or not isinstance(h, str)
                    or not isinstance(merges, list) or not all(isinstance(m, str) for m in merges)):
                raise ValueError("bad field types")  # noqa: TRY004 - caught below as "not an entry"
        except (ValueError, UnicodeDecodeError):
            if i == len(lines) and trailing_partial:
                chain.problems.append(LedgerProblem("truncated", f"line {i} is an incomplete entry: the chain was "
                                                    "cut in the middle of a line (truncated or interrupted write)",
                                                    i, file))
            else:
                chain.problems.append(LedgerProblem("corrupt", f"line {i} is not a ledger entry (invalid JSON or "
                                                    "missing fields): it was edited or damaged", i, file))
            continue
        parsed.append((i, entry))
    line_of = {e["hash"]: i for i, e in parsed}
    by_hash: dict[str, dict[str, Any]] = {}
    seqs: set[int] = set()
    children: set[str] = set()
    for i, entry in parsed:
        seq, prev, h, merges = entry["seq"], entry["prev"], entry["hash"], entry["merges"]
        version = entry.get("schema_version")
        if version != ENTRY_SCHEMA_VERSION:
            if isinstance(version, int) and entry_hash(seq, prev, entry["at"], entry["type"], entry["payload"],
                                                       version, merges) != h:
                chain.problems.append(LedgerProblem("edited", f"line {i} (seq {seq}) was changed after it was "
                                                    "written: its content no longer matches its hash", i, file))
                continue
            try:
                check_version(LedgerEntry, version_of(LedgerEntry, entry))
                why = f"ledger schema {version}"
            except SchemaVersionError as exc:
                why = str(exc)
            chain.problems.append(LedgerProblem("schema", f"line {i} (seq {seq}): {why}", i, file))
            continue
        if h in by_hash:
            chain.problems.append(LedgerProblem("reordered", f"line {i} (seq {seq}) repeats line {line_of[h]}",
                                                i, file))
            continue
        parents = [prev, *merges] if prev != GENESIS else list(merges)
        if entry_hash(seq, prev, entry["at"], entry["type"], entry["payload"], version, merges) != h:
            chain.problems.append(LedgerProblem("edited", f"line {i} (seq {seq}) was changed after it was written: "
                                                "its content no longer matches its hash", i, file))
        elif prev == GENESIS and not merges and seq != 1:
            chain.problems.append(LedgerProblem("removed", f"line {i} (seq {seq}) starts the chain but entries "
                                                f"seq 1–{seq - 1} are missing before it (removed)", i, file))
        elif any(p not in by_hash for p in parents):
            unknown = next(p for p in parents if p not in by_hash)
            if unknown in line_of:
                chain.problems.append(LedgerProblem("reordered", f"line {i} (seq {seq}) builds on line "
                                                    f"{line_of[unknown]}, which comes after it: entries were "
                                                    "reordered", i, file))
            elif seq - 1 in seqs:
                chain.problems.append(LedgerProblem("edited", f"line {i} (seq {seq}) does not chain to the entry "
                                                    "before it (prev hash mismatch): an entry was replaced", i, file))
            else:
                gap = f"seq {seq - 1}" if seq - 1 <= max(seqs, default=0) + 1 else \
                    f"seq {max(seqs, default=0) + 1}–{seq - 1}"
                chain.problems.append(LedgerProblem("removed", f"line {i} (seq {seq}): entries {gap} are missing "
                                                    "before it (removed)", i, file))
        elif parents and seq != max(by_hash[p]["seq"] for p in parents) + 1:
            chain.problems.append(LedgerProblem("reordered", f"line {i} (seq {seq}) does not follow seq "
                                                f"{max(by_hash[p]['seq'] for p in parents)}: sequence numbers were "
                                                "changed", i, file))
        if entry["type"] not in ENTRY_TYPES:
            chain.problems.append(LedgerProblem("corrupt", f"line {i}: unknown entry type {entry['type']!r}", i, file))
        payload_uc = entry["payload"].get("use_case") if isinstance(entry["payload"], dict) else None
        if payload_uc != use_case:
            chain.problems.append(LedgerProblem("copied", f"line {i} (seq {seq}) is an entry of use case "
                                                f"{payload_uc!r}, not of {use_case!r}: entries were copied between "
                                                "chains", i, file))
        by_hash[h] = entry
        seqs.add(seq)
        children.update(parents)
        chain.entries.append(entry)
        chain.lines.append(i)
    chain.tips = [e["hash"] for e in chain.entries if e["hash"] not in children]
    return chain


def fork_message(use_case: str) -> str:
    return (f"both branches ran {use_case}: the merged chain has two tips; re-run it on the merge with "
            f"`charter run {use_case}`")


@dataclass
class _ChainRuns:
    """What one chain's run entries make current. Only the chain's own entries count: an entry copied
    in from another use case's chain (a ``copied`` problem) must not vouch for that use case's records."""

    current: dict[tuple[str, str, str], RunEntry]
    latest: dict[tuple[str, str], RunEntry]
    referenced: set[str]

    @classmethod
    def of(cls, chain: Chain) -> _ChainRuns:
        part = cls({}, {}, set())
        for entry in chain.entries:
            if entry["type"] != "run":
                continue
            try:
                run = RunEntry.model_validate(entry["payload"])
            except ValueError:
                continue
            if run.use_case != chain.use_case or not run.record_sha256:
                continue
            part.current[(run.use_case, run.job, run.evidence_id)] = run
            part.latest[(run.use_case, run.job)] = run
            part.referenced.add(run.record_sha256)
        return part


@dataclass
class LedgerIndex:
    """What the gate needs of the ledger, read once per command: which record is current for each inputs."""

    chains: dict[str, Chain]
    current: dict[tuple[str, str, str], RunEntry]
    """(use case, job, evidence id) → the last run entry that made a record current for those inputs."""
    latest: dict[tuple[str, str], RunEntry]
    """(use case, job) → the last run entry that made any record current (whatever its inputs)."""
    referenced: set[str]
    """sha256 of every record file a run entry wrote."""
    old_layout: bool = False
    parts: dict[str, _ChainRuns] = field(default_factory=dict, repr=False)
    """Each chain's share of ``current``, ``latest`` and ``referenced``, so one chain can be read again alone."""

    @classmethod
    def of(cls, chains: dict[str, Chain], old_layout: bool) -> LedgerIndex:
        index = cls({}, {}, {}, set(), old_layout)
        for chain in chains.values():
            index.replace(chain)
        return index

    def replace(self, chain: Chain) -> None:
        """Put ``chain`` in place of the use case's chain read before (a run appended to it)."""
        old = self.parts.pop(chain.use_case, None)
        if old is not None:
            for key in old.current:
                self.current.pop(key, None)
            for pair in old.latest:
                self.latest.pop(pair, None)
            self.referenced -= old.referenced
        part = _ChainRuns.of(chain)
        self.chains[chain.use_case] = chain
        self.parts[chain.use_case] = part
        self.current.update(part.current)
        self.latest.update(part.latest)
        self.referenced |= part.referenced
        self.__dict__.pop("_head", None)

    @property
    def tips(self) -> dict[str, str]:
        return {uc: c.tip for uc, c in self.chains.items() if c.tip is not None}

    @property
    def head(self) -> str | None:
        # an index is read once and not changed afterwards (a store that writes drops it): every gate
        # decision of a command asks for the head, so it is computed once
        if not hasattr(self, "_head"):
            self._head = repository_head(self.tips)
        return self._head

    def chain_problem(self, use_case: str) -> str | None:
        """Why the use case's chain cannot vouch for its records (None when it can)."""
        if self.old_layout:
            return OLD_LAYOUT_HINT
        chain = self.chains.get(use_case)
        if chain is None:
            return None
        bad = [p for p in chain.problems if p.kind != "schema"] or chain.problems
        if bad:
            return f"its ledger chain is damaged ({bad[0].file}: {bad[0].message})"
        return None


class Ledger:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.dir = self.root / LEDGER_DIR
        self.old_path = self.root / OLD_LEDGER_FILE
        self._index: LedgerIndex | None = None

    def chain_path(self, use_case: str) -> Path:
        if not _valid_name(use_case):
            raise ValueError(f"invalid use case id {use_case!r}")
        return self.dir / f"{use_case}.jsonl"

    def head_path(self, use_case: str) -> Path:
        return self.dir / f"{use_case}.head"

    def use_cases(self) -> list[str]:
        if not self.dir.is_dir():
            return []
        return sorted(p.stem for p in self.dir.glob("*.jsonl") if _valid_name(p.stem))

    # --- writing ---------------------------------------------------------------------

    def append(self, type_: str, payload: dict[str, Any], *, at: str | None = None) -> dict[str, Any]:
        """Append one entry to the chain of ``payload['use_case']`` under an exclusive lock; returns it.

        On a forked chain (a merge of two branches that both appended) the entry joins every tip."""
        if type_ not in ENTRY_TYPES:
            raise ValueError(f"ledger entry type must be one of {ENTRY_TYPES}, got {type_!r}")
        if self.old_path.exists():
            raise LedgerError(None, OLD_LAYOUT_HINT)
        payload = json.loads(canonical_json(payload))  # JSON-only values, as they will be read back
        use_case = payload.get("use_case")
        if not isinstance(use_case, str) or not _valid_name(use_case):
            raise ValueError(f"a ledger entry needs the use case it belongs to, got {use_case!r}")
        path = self.chain_path(use_case)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
        except OSError as exc:
            raise LedgerError(exc.errno, disk_full_message(exc, "the ledger")) from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            at = at or dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")  # under the lock: in order
            raw = _read_fd(fd)
            chain = parse_chain(use_case, raw, self._rel(path))
            schema = [p for p in chain.problems if p.kind == "schema"]
            if schema:
                raise LedgerError(None, schema[0].message)
            by_hash = {e["hash"]: e for e in chain.entries}
            tips = chain.tips
            prev = tips[-1] if tips else GENESIS
            merges = list(tips[:-1])
            seq = max((by_hash[t]["seq"] for t in tips), default=0) + 1
            entry = {"schema_version": ENTRY_SCHEMA_VERSION, "seq": seq, "prev": prev, "merges": merges,
                     "hash": entry_hash(seq, prev, at, type_, payload, ENTRY_SCHEMA_VERSION, merges),
                     "at": at, "type": type_, "payload": payload}
            line = json.dumps(entry, sort_keys=True, ensure_ascii=False, separators=(",", ":")) + "\n"
            data = line.encode("utf-8")
            if raw and not raw.endswith(b"\n"):
                data = b"\n" + data  # never glue onto a partial line; verify reports that line
            try:
                written = os.write(fd, data)
                if written != len(data):
                    raise OSError(28, "short write")
                os.fsync(fd)
            except OSError as exc:
                raise LedgerError(exc.errno, disk_full_message(exc, "the ledger")) from exc
            try:
                atomic_write(self.head_path(use_case), json.dumps({"seq": seq, "hash": entry["hash"]}) + "\n")
            except OSError as exc:
                raise LedgerError(exc.errno, disk_full_message(exc, "the ledger head")) from exc
            self._index = None
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

    def _rel(self, path: Path) -> str:
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return str(path)

    def chains(self) -> dict[str, Chain]:
        return {uc: self.chain(uc) for uc in self.use_cases()}

    def chain(self, use_case: str) -> Chain:
        """One use case's chain, read and checked now."""
        path = self.chain_path(use_case)
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return Chain(use_case)
        except OSError as exc:
            c = Chain(use_case)
            c.problems.append(LedgerProblem("corrupt", f"cannot read the chain: {exc.strerror}", None,
                                            self._rel(path)))
            return c
        return parse_chain(use_case, raw, self._rel(path))

    def index(self) -> LedgerIndex:
        """The chains and which record is current for each inputs (read once, until the next append)."""
        if self._index is None:
            self._index = LedgerIndex.of(self.chains(), self.old_path.exists())
        return self._index

    def entries(self) -> list[dict[str, Any]]:
        """Every parseable entry of every chain, oldest first (use verify() to know whether to trust them)."""
        out = [(str(e.get("at")), uc, n, e) for uc, c in self.index().chains.items() for n, e in enumerate(c.entries)]
        return [e for *_, e in sorted(out, key=lambda t: t[:3])]

    def read_entries(self) -> list[LedgerEntry]:
        """Every entry as a typed :class:`LedgerEntry`, oldest first; lines that are not entries are left out."""
        out = []
        for entry in self.entries():
            try:
                out.append(LedgerEntry.model_validate(entry))
            except ValueError:
                continue
        return out

    def verify(self, *, store: RecordSource | None = None, expected_head: str | None = None,
               against: dict[str, bytes] | None = None) -> VerifyResult:
        """Check every chain, its head anchor, (with a store) every record against the ledger, and (with
        ``against``: use case → an earlier version of its chain file) that the ledger extends that version."""
        problems: list[LedgerProblem] = []
        if self.old_path.exists():
            problems.append(LedgerProblem("schema", OLD_LAYOUT_HINT, None, OLD_LEDGER_FILE))
        index = self.index()
        entries = 0
        for uc, chain in index.chains.items():
            problems.extend(chain.problems)
            entries += len(chain.entries)
            if chain.forked and not chain.problems:  # a damaged chain has "tips" that are no fork
                problems.append(LedgerProblem("fork", fork_message(uc), None, self._rel(self.chain_path(uc))))
            self._check_head(problems, chain)
        for path in sorted(self.dir.glob("*.head")) if self.dir.is_dir() else []:
            if path.stem not in index.chains:
                problems.append(LedgerProblem("truncated", f"a head anchor exists but its chain "
                                              f"{path.stem}.jsonl is missing (removed)", None, self._rel(path)))
        head = index.head
        if expected_head is not None:
            self._check_expected(problems, index, expected_head)
        if against is not None:
            self._check_against(problems, index, against)
        checked = 0
        if store is not None:
            checked = self._check_records(problems, index, store)
        return VerifyResult(entries, head, problems, checked, index.tips)

    def _check_head(self, problems: list[LedgerProblem], chain: Chain) -> None:
        path = self.head_path(chain.use_case)
        rel = self._rel(path)
        try:
            text = path.read_text()
        except FileNotFoundError:
            if chain.entries:
                problems.append(LedgerProblem("truncated", "the head anchor is missing: the end of the chain "
                                              "cannot be checked", None, rel))
            return
        except OSError:
            problems.append(LedgerProblem("corrupt", "the head anchor is unreadable", None, rel))
            return
        heads = []
        for line in text.splitlines():
            if not line.strip():
                continue
            try:
                h = json.loads(line)
                heads.append((int(h["seq"]), str(h["hash"])))
            except (ValueError, KeyError, TypeError):
                problems.append(LedgerProblem("corrupt", "the head anchor is unreadable", None, rel))
                return
        by_hash = {e["hash"]: e for e in chain.entries}
        for seq, h in heads:
            if h in chain.tips:
                continue
            if h in by_hash:
                if chain.forked:
                    continue  # a merge of two heads: reported as the fork
                problems.append(LedgerProblem("head", f"the head anchor points at an earlier entry (seq {seq}); "
                                              f"the chain goes on to seq {by_hash[chain.tips[-1]]['seq']}: entries "
                                              "were appended without the head, or the head was rolled back", None,
                                              rel))
            else:
                problems.append(LedgerProblem("truncated", f"the head anchor records seq {seq} ({h[:12]}…), which "
                                              "is not in the chain: entries were cut off the end or rewritten",
                                              None, rel))

    def _check_expected(self, problems: list[LedgerProblem], index: LedgerIndex, expected: str) -> None:
        if expected == index.head:
            return
        if any(expected in c.hashes for c in index.chains.values()):
            return  # an entry of a chain: the chain extends it
        problems.append(LedgerProblem("against", f"the expected head {expected} is neither the ledger's head "
                                      f"{index.head} nor an entry of any chain: the ledger was rewritten or "
                                      "cut (give a git ref to compare every chain)"))

    def _check_against(self, problems: list[LedgerProblem], index: LedgerIndex, base: dict[str, bytes]) -> None:
        for uc, raw in sorted(base.items()):
            old = parse_chain(uc, raw, f"{LEDGER_DIR}/{uc}.jsonl (base)")
            rel = self._rel(self.chain_path(uc))
            cur = index.chains.get(uc)
            if cur is None:
                if old.entries:
                    problems.append(LedgerProblem("against", f"the base has a chain for {uc} "
                                                  f"({len(old.entries)} entries); it was removed", None, rel))
                continue
            missing = [e for e in old.entries if e["hash"] not in cur.hashes]
            if missing:
                problems.append(LedgerProblem("against", f"{len(missing)} of the base's {len(old.entries)} entries "
                                              f"(first: seq {missing[0]['seq']}) are not in this chain: it does not "
                                              "extend the base's (rewritten, cut or replaced)", None, rel))

    def _check_records(self, problems: list[LedgerProblem], index: LedgerIndex, store: RecordSource) -> int:
        checked = 0
        seen: dict[str, str] = {}
        root = getattr(store, "records_dir", None)
        current_paths = {Path(root) / uc / job / record_file_name(eid, run.record_sha256)
                         for (uc, job, eid), run in index.current.items() if root is not None and run.record_sha256}
        for stored in store.iter_stored():
            checked += 1
            r = stored.record
            rel = self._rel(stored.path)
            parts = stored.path.parts
            uc, job = parts[-3], parts[-2]
            if (r.use_case, r.job) != (uc, job):
                problems.append(LedgerProblem("copied", f"the record belongs to {r.use_case}/{r.job}, not to "
                                              f"{uc}/{job}: it was copied between use cases or jobs", None, rel))
            elif stored.sha256 in seen:
                problems.append(LedgerProblem("copied", f"the record is a copy of {seen[stored.sha256]}", None, rel))
            elif stored.sha256 not in index.referenced and stored.path not in current_paths:
                problems.append(LedgerProblem("unrecorded", "no run entry in the ledger wrote this record (added or "
                                              "renamed by hand, or left by an interrupted run: `charter gc` removes "
                                              "it); it is never judged", None, rel))
            seen.setdefault(stored.sha256, rel)
        for (uc, job, eid), run in sorted(index.current.items()):
            if root is None or run.record_sha256 is None:
                continue
            path = Path(root) / uc / job / record_file_name(eid, run.record_sha256)
            if not path.is_file():
                problems.append(LedgerProblem("missing", f"the current record of {uc}/{job} for evidence "
                                              f"{eid[:12]} (written by the ledger's run entry) was deleted",
                                              None, self._rel(path)))
            elif hashlib.sha256(path.read_bytes()).hexdigest() != run.record_sha256:
                if any(w.startswith(self._rel(path) + " belongs to") for w in store.warnings):
                    continue  # reported as copied below
                problems.append(LedgerProblem("record", "the record's content differs from what the run wrote "
                                              "(edited after the run)", None, self._rel(path)))
        for w in store.warnings:
            kind = "copied" if " copied from another use case" in w else "record"
            problems.append(LedgerProblem(kind, w, None, w.split(" ", 1)[0]))
        return checked


def _read_fd(fd: int) -> bytes:
    size = os.lseek(fd, 0, os.SEEK_END)
    return os.pread(fd, size, 0) if size else b""


def base_chains(root: Path, ref: str) -> dict[str, bytes]:
    """Use case → its chain file's content at git ``ref`` (GitError when git cannot tell)."""
    from ..io import git

    commit = git.resolve_commit(root, ref)
    _top, prefix = git.location(root)
    folder = f"{prefix}{LEDGER_DIR}"
    tree = git.ls_tree(root, commit, [folder])
    wanted = {path: e.oid for path, e in tree.items() if path.endswith(".jsonl") and not e.is_symlink}
    blobs = git.cat_blobs(root, list(wanted.values()))
    return {Path(path).stem: blobs[oid] for path, oid in wanted.items() if oid in blobs}


__all__ = ["GENESIS", "LEDGER_DIR", "LEDGER_FILE", "Chain", "Ledger", "LedgerError", "LedgerIndex",
           "LedgerProblem", "StoreError", "VerifyResult", "base_chains", "entry_hash", "fork_message",
           "parse_chain", "record_file_name", "repository_head"]
