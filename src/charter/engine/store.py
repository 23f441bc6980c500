"""The evidence store: immutable records addressed by the hash of their inputs.

Layout inside a governance repository::

    evidence/records/<use-case>/<job>/<evidence-id>.<run-id>.json   committed to git
    evidence/ledger/<use-case>.jsonl and .head                     committed (see ledger.py)
    .charter/artifacts/<use-case>/<job>/<evidence-id>/...  local only (models, predictions)

Every write goes through :func:`charter.io.fs.atomic_write`: a reader sees the
old file or the new one, never half of one, whatever happens to the writing
process (Ctrl-C, ``kill -9``, a full disk). A record file that cannot be read or parsed
(hand-edited, truncated by something else, written in a schema this Charter
does not read) is skipped with a warning in :attr:`EvidenceStore.warnings`,
never a crash.

Records are write-once: a re-run of the same inputs writes a new file (its run id
is the first 16 hex digits of the file's sha256), and the ledger's run entries say
which record is current for each inputs. :meth:`EvidenceStore.current` is the one
place that decides whether a record may be judged: it is the file the ledger names,
with the sha256 the ledger recorded, for the use case and job of its folder, and
its inputs hash to its id; anything else is ``tampered`` (with why) or ``missing``.
A crash between writing a record and appending its run entry leaves a file no
entry names: it is never judged, the next ``charter run`` runs the job again, and
``charter gc`` removes the file.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..artifacts.record import read_record
from ..errors import SchemaVersionError, StoreError
from ..evidence.records import Artifact, EvidenceRecord
from ..io.fs import atomic_write, tree_sha256, write_error_message
from ..loading.files import RECORDS_DIR

ARTIFACTS_DIR = ".charter/artifacts"
STAGING_DIR = ".staging"


@dataclass(frozen=True)
class Current:
    """What the ledger and the store say about the record for one job's inputs."""

    state: str
    """ok | missing (no run entry made a record current) | deleted (the current record's file is gone) |
    tampered (a file exists that the ledger does not vouch for)."""
    stored: StoredRecord | None = None
    reason: str | None = None


@dataclass(frozen=True)
class StoredRecord:
    record: EvidenceRecord
    path: Path
    sha256: str
    """sha256 of the file's bytes (what the ledger records)."""


def _clean(obj: Any) -> Any:
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    return obj


def record_bytes(record: EvidenceRecord) -> bytes:
    """The canonical file content of a record (sorted keys, 2-space indent, UTF-8)."""
    data = _clean(record.model_dump(mode="json"))
    return (json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False) + "\n").encode("utf-8")


def disk_full_message(exc: OSError, what: str) -> str:
    return write_error_message(exc, what)


class EvidenceStore:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.records_dir = self.root / RECORDS_DIR
        self.artifacts_dir = self.root / ARTIFACTS_DIR
        self.warnings: list[str] = []
        self._index: Any = None

    # --- records -------------------------------------------------------------------

    def record_path(self, use_case: str, job: str, evidence_id: str, record_sha256: str | None = None) -> Path:
        """The file of the record with this sha256 (write-once name); without it the legacy ``<id>.json``."""
        for part in (use_case, job, evidence_id):
            if not part or "/" in part or "\\" in part or part.startswith("."):
                raise ValueError(f"invalid store key {part!r}")
        name = f"{evidence_id}.{record_sha256[:16]}.json" if record_sha256 else f"{evidence_id}.json"
        return self.records_dir / use_case / job / name

    def files_for(self, use_case: str, job: str, evidence_id: str) -> list[Path]:
        """Every record file under this evidence id (any run)."""
        folder = self.record_path(use_case, job, evidence_id).parent
        if not folder.is_dir():
            return []
        return sorted(p for p in folder.glob(f"{evidence_id}*.json") if p.name.split(".")[0] == evidence_id)

    # --- the ledger's view ------------------------------------------------------------

    def ledger_index(self) -> Any:
        """The ledger's index (read once per store, i.e. once per command; refreshed after this store writes)."""
        if self._index is None:
            from .ledger import Ledger

            self._index = Ledger(self.root).index()
        return self._index

    def forget_index(self, use_case: str | None = None) -> None:
        """Drop what was read of the ledger; with ``use_case``, read just that chain again (it was appended to).

        A run records hundreds of jobs: reading every chain again after each would make it quadratic."""
        if use_case is None or self._index is None:
            self._index = None
            return
        from .ledger import Ledger

        self._index.replace(Ledger(self.root).chain(use_case))

    @property
    def ledger_head(self) -> str | None:
        """The repository head of the ledger (what gate decisions record)."""
        return self.ledger_index().head  # type: ignore[no-any-return]

    def current(self, use_case: str, job: str, evidence_id: str) -> Current:
        """The record the ledger makes current for these inputs, checked; see the module docstring."""
        index = self.ledger_index()
        damaged = index.chain_problem(use_case)
        run = index.current.get((use_case, job, evidence_id))
        if run is None or run.record_sha256 is None:
            files = self.files_for(use_case, job, evidence_id)
            if files and damaged is None:
                rel = files[0].relative_to(self.root).as_posix()
                return Current("tampered", None, f"record file {rel} was written by no run entry of the ledger "
                               f"(added or renamed by hand, or left by an interrupted run: `charter run {use_case}` "
                               "records the evidence again)")
            if files:
                return Current("tampered", None, damaged)
            return Current("missing")
        path = self.record_path(use_case, job, evidence_id, run.record_sha256)
        rel = path.relative_to(self.root).as_posix()
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return Current("deleted", None, f"its current record {rel} (named by the ledger) was deleted")
        except OSError as exc:
            return Current("tampered", None, f"its current record {rel} cannot be read ({exc.strerror or exc})")
        sha = hashlib.sha256(raw).hexdigest()
        try:
            record = read_record(raw)
        except (SchemaVersionError, ValueError) as exc:
            record = None
            unreadable = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        if record is not None and (record.use_case, record.job) != (use_case, job):
            return Current("tampered", None, f"record {rel} belongs to {record.use_case}/{record.job}, not to "
                           f"{use_case}/{job} (copied from another use case or job)")
        if sha != run.record_sha256:
            return Current("tampered", None, f"record {rel} differs from what the run wrote: the ledger recorded "
                           f"sha256 {run.record_sha256[:12]}…, the file has {sha[:12]}… (edited after the run)")
        if record is None:
            return Current("tampered", None, f"record {rel} is not a readable evidence record ({unreadable})")
        stored = StoredRecord(record, path, sha)
        if damaged is not None:
            return Current("tampered", stored, damaged)
        if record.id != evidence_id:
            return Current("tampered", stored, f"record {rel} holds evidence {record.id[:12]}…, not {evidence_id[:12]}…"
                           " (renamed)")
        from .hashing import sha256_json

        if sha256_json(record.inputs.model_dump(mode="json")) != record.id:
            return Current("tampered", stored, f"the inputs of record {rel} do not hash to its id {record.id[:12]}… "
                           "(its inputs were edited)")
        return Current("ok", stored)

    def _read(self, path: Path) -> StoredRecord | None:
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            self._warn(path, f"cannot be read ({exc.strerror or exc})")
            return None
        try:
            record = read_record(raw)
        except SchemaVersionError as exc:
            self._warn(path, f"cannot be read: {exc}; skipped")
            return None
        except ValueError as exc:
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            self._warn(path, f"is not a valid evidence record ({first}); skipped")
            return None
        if (record.use_case, record.job) != (path.parent.parent.name, path.parent.name):
            self._warn(path, f"belongs to {record.use_case}/{record.job}: copied from another use case or job; "
                       "skipped")
            return None
        if record.id != path.name.split(".")[0]:
            self._warn(path, f"holds record {record.id[:12]}… under another id; skipped")
            return None
        return StoredRecord(record, path, hashlib.sha256(raw).hexdigest())

    def _warn(self, path: Path, message: str) -> None:
        try:
            shown = path.relative_to(self.root).as_posix()
        except ValueError:
            shown = str(path)
        text = f"{shown} {message}"
        if text not in self.warnings:
            self.warnings.append(text)

    def get(self, use_case: str, job: str, evidence_id: str) -> EvidenceRecord | None:
        """The current, trusted record for exactly these inputs, or None."""
        stored = self.get_stored(use_case, job, evidence_id)
        return stored.record if stored else None

    def get_stored(self, use_case: str, job: str, evidence_id: str) -> StoredRecord | None:
        """The current record for these inputs when the ledger vouches for it (see :meth:`current`)."""
        cur = self.current(use_case, job, evidence_id)
        return cur.stored if cur.state == "ok" else None

    def exists(self, use_case: str, job: str, evidence_id: str) -> bool:
        """Whether the ledger names a current record for these inputs whose file exists."""
        run = self.ledger_index().current.get((use_case, job, evidence_id))
        return bool(run and run.record_sha256
                    and self.record_path(use_case, job, evidence_id, run.record_sha256).is_file())

    def history(self, use_case: str, job: str) -> list[EvidenceRecord]:
        """Every readable record of a job, most recently finished first."""
        folder = self.records_dir / use_case / job
        if not folder.is_dir():
            return []
        found = [s.record for p in folder.glob("*.json") if (s := self._read(p)) is not None]
        return sorted(found, key=lambda r: (r.finished_at, r.id), reverse=True)

    def latest(self, use_case: str, job: str) -> EvidenceRecord | None:
        """The record the ledger made current last for a job, whatever its inputs (for stale reports)."""
        run = self.ledger_index().latest.get((use_case, job))
        if run is None:
            return None
        cur = self.current(use_case, job, run.evidence_id)
        return cur.stored.record if cur.stored is not None and cur.state == "ok" else None

    def iter_stored(self) -> Iterator[StoredRecord]:
        if not self.records_dir.is_dir():
            return
        for path in sorted(self.records_dir.glob("*/*/*.json")):
            stored = self._read(path)
            if stored is not None:
                yield stored

    def put(self, record: EvidenceRecord) -> StoredRecord:
        """Write a record to its own new file (write-once: named by its content's sha256), atomically.

        Raises StoreError (store unchanged) if the write fails. The record is not current until the
        ledger's run entry names it."""
        data = record_bytes(record)
        sha = hashlib.sha256(data).hexdigest()
        path = self.record_path(record.use_case, record.job, record.id, sha)
        try:
            if not (path.is_file() and path.read_bytes() == data):
                atomic_write(path, data)
        except OSError as exc:
            raise StoreError(exc.errno, disk_full_message(exc, f"evidence record {path.name}")) from exc
        return StoredRecord(record, path, sha)

    # --- artifacts -----------------------------------------------------------------

    def artifact_path(self, name: str) -> Path:
        """Absolute path of an artifact given its store-relative path."""
        path = (self.artifacts_dir / name).resolve()
        base = self.artifacts_dir.resolve()
        if base != path and base not in path.parents:
            raise ValueError(f"artifact path {name!r} leaves the artifact store")
        return path

    def artifact_folder(self, use_case: str, job: str, evidence_id: str) -> Path:
        return self.artifacts_dir / use_case / job / evidence_id

    def staging_dir(self, evidence_id: str) -> Path:
        """A fresh, empty folder for a running job's artifacts (inside the store, so a rename moves it).

        Its name carries the creating process's pid: a run killed with ``kill -9`` cannot
        remove its staging folders, so the first staging of each later process removes
        those whose process is gone (:meth:`clean_staging`)."""
        base = self.artifacts_dir / STAGING_DIR
        base.mkdir(parents=True, exist_ok=True)
        if str(base) not in _SWEPT:
            _SWEPT.add(str(base))
            self.clean_staging()
        return Path(tempfile.mkdtemp(dir=base, prefix=f"{evidence_id[:16]}-{_STAGING_PID}{os.getpid()}-"))

    def put_artifact(self, use_case: str, job: str, evidence_id: str, name: str, data: bytes) -> Artifact:
        """Write one artifact file atomically."""
        folder = self.artifact_folder(use_case, job, evidence_id)
        path = folder / name
        atomic_write(path, data)
        return Artifact(
            name=name,
            path=path.relative_to(self.artifacts_dir).as_posix(),
            sha256=hashlib.sha256(data).hexdigest(),
            bytes=len(data),
        )

    def commit_artifacts(
        self, staging: Path, use_case: str, job: str, evidence_id: str, names: dict[str, str]
    ) -> list[Artifact]:
        """Move a job's staging folder into place and describe its artifacts (name → file in staging)."""
        folder = self.artifact_folder(use_case, job, evidence_id)
        folder.parent.mkdir(parents=True, exist_ok=True)
        if folder.exists():
            old = folder.with_name(f".{folder.name}.old-{os.getpid()}")
            shutil.rmtree(old, ignore_errors=True)
            os.replace(folder, old)
            os.replace(staging, folder)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(staging, folder)
        out = []
        for name, filename in names.items():
            path = folder / filename
            files = [f for f in path.rglob("*") if f.is_file()] if path.is_dir() else [path]
            out.append(Artifact(name=name, path=path.relative_to(self.artifacts_dir).as_posix(),
                                sha256=tree_sha256(path), bytes=sum(f.stat().st_size for f in files)))
        return out

    def clean_staging(self) -> list[str]:
        """Remove staging folders left by processes that no longer exist; returns their names.
        A concurrent run's folders (its process alive) are kept."""
        base = self.artifacts_dir / STAGING_DIR
        try:
            entries = list(os.scandir(base))
        except OSError:
            return []
        removed = []
        for entry in entries:
            pid = _staging_pid(entry.name)
            if pid is None or _alive(pid):
                continue  # not ours to judge, or still running
            shutil.rmtree(entry.path, ignore_errors=True)
            removed.append(entry.name)
        return removed


_STAGING_PID = "pid"  # marker before the pid in a staging folder's name: <id>-pid<N>-<random>
_SWEPT: set[str] = set()  # staging folders already swept by this process


def _staging_pid(name: str) -> int | None:
    for part in name.split("-"):
        if part.startswith(_STAGING_PID) and part[len(_STAGING_PID):].isdigit():
            return int(part[len(_STAGING_PID):])
    return None


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, owned by someone else
    return True


def record_run(store: EvidenceStore, record: EvidenceRecord) -> StoredRecord:
    """Write a record and make it current, in the executor's crash-safe order (record file, then the
    ledger's run entry naming it): for tools and tests that record evidence without running a job."""
    from .ledger import Ledger

    stored = store.put(record)
    Ledger(store.root).append_run(use_case=record.use_case, job=record.job, runner=record.runner,
                                  evidence_id=record.id, status=record.status, reason=record.reason,
                                  record_sha256=stored.sha256, duration_s=record.duration_s)
    store.forget_index(record.use_case)
    return stored


artifact_sha256 = tree_sha256  # the name runners import: the hash an Artifact records


def evidence_bundle_hash(planned: Iterable[Any]) -> str:
    """sha256 over the sorted (job id, evidence id) pairs: what approvals sign.

    Accepts PlannedJob objects or (job_id, evidence_id) pairs.
    """
    pairs = sorted(
        (p.job_id, p.evidence_id) if hasattr(p, "job_id") else (str(p[0]), str(p[1])) for p in planned
    )
    text = "\n".join(f"{j}\t{e}" for j, e in pairs)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
