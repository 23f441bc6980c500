"""Run what is out of date and record its evidence.

:func:`run` plans the selected use cases, looks every planned evidence id up in
the store, and executes only the jobs without evidence for their current inputs
(or every job with ``force``), in dependency order. A job whose upstream cannot
feed it (a training job that errored, a data contract its data breaks: the
upstream's kind says why, :meth:`~charter.kinds.runners.RunnerKind.blocks`) is
``skipped`` without running; its evidence is an ``error`` record whose reason
starts with ``skipped:`` and names the root cause, so gates fail closed on it and
``show`` says why. Records for ``error`` outcomes are retried on the next run;
``pass``/``fail`` records are final for their inputs.

The executor is swappable: anything with ``submit(fn, *args) -> future`` whose
future has ``add_done_callback(cb)`` and ``result()`` works. The default is a
local :class:`concurrent.futures.ProcessPoolExecutor`; a ``dask.distributed``
``Client`` can be passed as is (its ``submit`` has that shape), and Ray through a
three-line adapter (``submit = lambda fn, *a: ray.remote(fn).remote(*a).future()``).
Runners are plain functions of a picklable :class:`JobTask`, so the same jobs
run on any of them without a change. Workers must see the repository and the
artifact store at the same path (a shared file system); the records and the
ledger are written here, in the calling process, never by the workers.

Failure handling: a runner that raises becomes an ``error`` record (exception
type and message, no traceback); a worker that dies (``kill -9``, out of memory)
becomes an ``error`` record in this process; a write that fails (a full disk)
leaves the store as it was and is reported on the job. Ctrl-C stops scheduling,
cancels queued jobs and re-raises; whatever was recorded so far is complete.
"""

from __future__ import annotations

import datetime as dt
import os
import queue
import shutil
import time
import traceback
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol, cast

from ..evidence.records import EvidenceRecord, Lineage
from ..gates.evidence import look_up, run_reason
from ..kinds import runners
from .ledger import OLD_LAYOUT_HINT, Ledger, LedgerError
from .lineage import current_lineage
from .plan import PlannedJob, plan_repository
from .store import EvidenceStore, StoreError

RunStatus = Literal["pass", "fail", "error", "skipped"]
FINAL = ("pass", "fail")


class Executor(Protocol):
    def submit(self, fn: Callable[..., Any], /, *args: Any) -> Any: ...


class InlineExecutor:
    """Runs each job immediately in this process (``--jobs 1``, tests)."""

    def submit(self, fn: Callable[..., Any], /, *args: Any) -> Future:
        fut: Future = Future()
        try:
            fut.set_result(fn(*args))
        except BaseException as exc:
            if isinstance(exc, KeyboardInterrupt):
                raise
            fut.set_exception(exc)
        return fut


@dataclass(frozen=True)
class JobTask:
    """Everything a worker needs to run one job; picklable."""

    root: str
    usecase_dir: str
    use_case: Any
    job: Any
    planned: PlannedJob
    policy: Any
    allowlist: Any
    upstream: dict[str, EvidenceRecord]
    lineage: Lineage


@dataclass
class JobRun:
    use_case: str
    job: str
    runner: str
    evidence_id: str
    status: RunStatus
    reason: str | None = None
    duration_s: float = 0.0
    cached: bool = False
    record: EvidenceRecord | None = None
    why: str | None = None
    """Why it ran (:func:`charter.gates.evidence.run_reason`): what changed, tampered, missing..."""
    reproduced: bool = False
    """Re-computed to check the committed record (``run --changed-since``); nothing was written."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "useCase": self.use_case, "job": self.job, "runner": self.runner, "evidenceId": self.evidence_id,
            "status": self.status, "reason": self.reason, "durationS": round(self.duration_s, 3),
            "cached": self.cached, "reproduced": self.reproduced, "why": self.why,
        }


@dataclass
class ProgressEvent:
    kind: Literal["planned", "started", "finished"]
    total: int
    """Jobs that will execute."""
    done: int
    job: PlannedJob | None = None
    result: JobRun | None = None


@dataclass
class RunReport:
    planned: list[PlannedJob]
    runs: list[JobRun]
    warnings: list[str] = field(default_factory=list)
    elapsed_s: float = 0.0

    @property
    def ok(self) -> bool:
        return all(r.status == "pass" for r in self.runs)

    @property
    def executed(self) -> list[JobRun]:
        return [r for r in self.runs if not r.cached and r.status != "skipped"]

    def counts(self) -> dict[str, int]:
        out = {"pass": 0, "fail": 0, "error": 0, "skipped": 0, "cached": 0, "ran": 0, "reproduced": 0}
        for r in self.runs:
            out[r.status] += 1
            out["cached" if r.cached else "ran"] += 0 if r.status == "skipped" else 1
            out["reproduced"] += 1 if r.reproduced else 0
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "counts": self.counts(), "elapsedS": round(self.elapsed_s, 3),
                "jobs": [r.to_dict() for r in self.runs], "warnings": list(self.warnings)}


# --------------------------------------------------------------------------- worker side


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")


def _reason(exc: BaseException) -> str:
    msg = str(exc).strip()
    return f"{type(exc).__name__}: {msg}" if msg else type(exc).__name__


def execute_task(task: JobTask) -> EvidenceRecord:
    """Run one job and return its evidence record (not yet stored). Never raises for job problems."""
    from ..jobs.base import JobContext, JobError, JobOutput

    p = task.planned
    root = Path(task.root)
    store = EvidenceStore(root)
    started_at, t0 = _now(), time.perf_counter()
    staging: Path | None = None
    artifacts = []
    try:
        allowed = set(task.allowlist.runners) if task.allowlist is not None else set()
        kind = runners.find(p.runner)
        if kind is None:
            raise JobError(f"runner '{p.runner}' is not a runner Charter knows")
        if p.runner not in allowed:
            raise JobError(f"runner '{p.runner}' is not on the governance allowlist")
        staging = store.staging_dir(p.evidence_id)
        ctx = JobContext(
            root=root, usecase_dir=Path(task.usecase_dir), use_case=task.use_case, job=task.job,
            runner=p.runner, evidence_id=p.evidence_id, inputs=p.inputs, artifact_root=store.artifacts_dir,
            artifact_dir=staging, policy=task.policy, allowlist=task.allowlist, upstream=dict(task.upstream),
        )
        out: JobOutput = kind.run(ctx)
        if out.status not in ("pass", "fail", "error"):
            raise JobError(f"runner returned an unknown status {out.status!r}")
        if out.result is not None and not isinstance(out.result, kind.result_model):
            raise JobError(f"runner returned a {type(out.result).__name__}, not its {kind.result_model.__name__}")
        if out.status != "error" and out.artifacts:
            artifacts = store.commit_artifacts(staging, p.use_case, p.job_id, p.evidence_id, out.artifacts)
            staging = None
        status, reason = out.status, out.reason
        results = {} if out.result is None else out.result.model_dump(mode="json")
    except JobError as exc:
        status, reason, results = "error", str(exc), {}
    except MemoryError:
        status, reason, results = "error", "MemoryError: the job ran out of memory", {}
    except Exception as exc:  # noqa: BLE001 - a job that raises becomes an error record
        status, reason, results = "error", _reason(exc), {}
        tb = traceback.extract_tb(exc.__traceback__)
        if tb:
            last = tb[-1]
            reason += f" (in {Path(last.filename).name}:{last.lineno})"
    finally:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
    return _record(task, status, reason, results, artifacts, started_at, time.perf_counter() - t0)


def _record(task: JobTask, status: str, reason: str | None, results: dict[str, Any], artifacts: list,
            started_at: str, duration: float) -> EvidenceRecord:
    p = task.planned
    kind = runners.find(p.runner)
    return EvidenceRecord(
        deterministic=bool(getattr(kind, "deterministic", True)), id=p.evidence_id, use_case=p.use_case, job=p.job_id, runner=p.runner, status=status,  # type: ignore[arg-type]
        reason=reason, inputs=p.inputs, lineage=task.lineage, started_at=started_at, finished_at=_now(),
        duration_s=round(duration, 4), results=results, artifacts=artifacts,
    )


# --------------------------------------------------------------------------- parent side


THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def _init_worker(threads: int) -> None:
    """Share the CPUs between workers: n workers × all cores each would oversubscribe them.

    Runs before the worker imports numpy, scikit-learn or torch, whose thread
    pools read these variables when they start. Values set by the user win.
    """
    for var in THREAD_VARIABLES:
        os.environ.setdefault(var, str(threads))


def _default_executor(n: int) -> Any:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    methods = multiprocessing.get_all_start_methods()
    # forkserver/spawn, never fork: the calling process may run threads (progress display, the pool's own)
    ctx = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
    threads = max(1, (os.cpu_count() or 1) // n)
    return ProcessPoolExecutor(max_workers=n, mp_context=ctx, initializer=_init_worker, initargs=(threads,))


def _is_broken_pool(exc: BaseException) -> bool:
    from concurrent.futures.process import BrokenProcessPool

    return isinstance(exc, BrokenProcessPool)


def _artifacts_present(store: EvidenceStore, record: EvidenceRecord) -> bool:
    for art in record.artifacts:
        try:
            path = store.artifact_path(art.path)
        except ValueError:
            return False
        if not path.exists():
            return False
    return True


def run(
    repo: Any,
    selection: Iterable[str] | None = None,
    *,
    force: bool = False,
    executor: Executor | None = None,
    progress: Callable[[ProgressEvent], None] | None = None,
    jobs: int | None = None,
    planned: list[PlannedJob] | None = None,
    reproduce: Iterable[tuple[str, str]] = (),
) -> RunReport:
    """Run the out-of-date jobs of the selected use cases (all by default) and record their evidence.

    ``executor``: see the module docstring; default a process pool of ``jobs``
    (default ``os.cpu_count()``) workers, or in-process execution for ``jobs=1``.
    ``progress`` receives :class:`ProgressEvent` objects (never required).
    ``reproduce``: (use case, job) keys whose current record is re-computed and compared instead of
    trusted (nothing is written for them; a difference is an ``error`` saying what differs). Every job
    of a use case whose ledger chain is forked (two merged branches both ran it) runs again.
    """
    t_start = time.perf_counter()
    planned = plan_repository(repo, selection) if planned is None else planned
    store = EvidenceStore(repo.root)
    ledger = Ledger(repo.root)
    if ledger.old_path.exists():  # never write records the old single-file ledger cannot vouch for
        raise LedgerError(None, OLD_LAYOUT_HINT)
    by_key = {p.key: p for p in planned}
    existing: dict[tuple[str, str], EvidenceRecord] = {}
    to_run: set[tuple[str, str]] = set()
    forked = {uc for uc, c in store.ledger_index().chains.items() if c.forked}
    check = {k for k in reproduce if k in by_key}
    for p in planned:
        rec = None if force or p.use_case in forked else store.get(p.use_case, p.job_id, p.evidence_id)
        if p.key in check and rec is None and not force:
            check.discard(p.key)  # not current: it simply runs
        if rec is not None and rec.status in FINAL and p.key not in check:
            existing[p.key] = rec
        else:
            to_run.add(p.key)
    # A job that must run reads its upstream's artifacts: re-create them if this
    # checkout lacks them (artifacts are local; records travel with git).
    for p in planned:
        if p.key in to_run:
            for dep in p.depends_on:
                k = (p.use_case, dep)
                if k not in to_run and k in existing and not _artifacts_present(store, existing[k]):
                    to_run.add(k)
                    existing.pop(k)

    whys = {p.key: run_reason(look_up(store, p), force=force, forked=p.use_case in forked) for p in planned
            if p.key in to_run}
    runs: dict[tuple[str, str], JobRun] = {}
    for k, rec in existing.items():
        if k not in to_run:
            runs[k] = JobRun(k[0], k[1], rec.runner, rec.id, rec.status, rec.reason, rec.duration_s, True, rec)
    total = len(to_run)
    if progress:
        progress(ProgressEvent("planned", total, 0))

    if to_run:
        _execute(repo, planned, by_key, to_run, runs, store, ledger, executor, progress, jobs, total,
                 check)

    for k, jr in runs.items():
        if not jr.cached:
            jr.why = "reproduced: introduced since the base" if jr.reproduced else whys.get(k)
    ordered = [runs[p.key] for p in planned if p.key in runs]
    return RunReport(planned, ordered, list(store.warnings), time.perf_counter() - t_start)


def _execute(repo: Any, planned: list[PlannedJob], by_key: dict, to_run: set, runs: dict, store: EvidenceStore,
             ledger: Ledger, executor: Executor | None, progress: Callable | None, jobs: int | None,
             total: int, check: set | frozenset = frozenset()) -> None:
    lineage = current_lineage(repo.root, fresh=True)
    n_workers = max(1, min(jobs or os.cpu_count() or 1, total))
    owned = None
    if executor is None:
        executor = InlineExecutor() if n_workers == 1 else _default_executor(n_workers)
        owned = executor if not isinstance(executor, InlineExecutor) else None
    done_q: queue.Queue = queue.Queue()
    pending = [p for p in planned if p.key in to_run]
    inflight: dict[tuple[str, str], Any] = {}
    done = 0

    retried: set[tuple[str, str]] = set()
    pool_generation = 0

    def submit(key: tuple[str, str], task: JobTask, started: str) -> None:
        try:
            fut = cast(Executor, executor).submit(execute_task, task)  # set before the first submit
        except Exception as exc:  # noqa: BLE001 - e.g. a broken pool
            fut = Future()
            fut.set_exception(exc)
        inflight[key] = (fut, task, started, pool_generation)
        fut.add_done_callback(lambda f, key=key: done_q.put(key))

    def finish(p: PlannedJob, jr: JobRun) -> None:
        nonlocal done
        runs[p.key] = jr
        done += 1
        if progress:
            progress(ProgressEvent("finished", total, done, p, jr))

    try:
        while pending or inflight:
            progressed = False
            for p in list(pending):
                deps = [(p.use_case, d) for d in p.depends_on]
                if any(d in inflight or any(q.key == d for q in pending) for d in deps):
                    continue
                pending.remove(p)
                progressed = True
                uc = repo.usecases[p.use_case]
                task = JobTask(
                    root=str(repo.root), usecase_dir=str(repo.usecase_dir(p.use_case)), use_case=uc,
                    job=uc.job(p.job_id), planned=p, policy=repo.policy, allowlist=repo.allowlist,
                    upstream={d[1]: runs[d].record for d in deps if d in runs and runs[d].record is not None},
                    lineage=lineage,
                )
                why = blocked(p, runs)
                if why is not None:
                    finish(p, _skip(store, ledger, task, why))
                    continue
                if progress:
                    progress(ProgressEvent("started", total, done, p))
                submit(p.key, task, _now())
            if not inflight:
                if not progressed and pending:  # cannot happen with a valid plan; avoid spinning
                    for p in pending:
                        finish(p, JobRun(p.use_case, p.job_id, p.runner, p.evidence_id, "skipped",
                                         "its dependencies could not be scheduled"))
                    pending.clear()
                continue
            key = None
            while key is None:
                try:
                    key = done_q.get(timeout=0.2)
                except queue.Empty:
                    continue
            fut, task, started, generation = inflight.pop(key)
            p = by_key[key]
            try:
                record = fut.result()
            except BaseException as exc:
                if isinstance(exc, KeyboardInterrupt):
                    raise
                if owned is not None and _is_broken_pool(exc) and key not in retried:
                    # a worker died (killed, out of memory, a native crash) and took the pool with it:
                    # every job in flight fails alike, so each gets one more try in a fresh pool
                    retried.add(key)
                    if generation == pool_generation:
                        owned.shutdown(wait=False, cancel_futures=True)
                        owned = executor = _default_executor(n_workers)
                        pool_generation += 1
                    submit(key, task, started)
                    continue
                record = _record(task, "error", f"the worker running the job died: {_reason(exc)}", {}, [],
                                 started, 0.0)
            finish(p, _reproduce(store, p, record, repo.policy) if key in check
                   else _store_record(store, ledger, p, record))
    except BaseException:
        if owned is not None:
            owned.shutdown(wait=False, cancel_futures=True)
            owned = None
        raise
    finally:
        if owned is not None:
            owned.shutdown(wait=True)


def blocked(p: PlannedJob, runs: dict[tuple[str, str], JobRun]) -> str | None:
    """Why a job cannot run given how its dependencies ended (None: it can).

    A skipped dependency passes its own reason on, so every job downstream of a
    broken data contract names the contract, not the job in between.
    """
    reads = p.inputs.data.keys()
    for dep in p.depends_on:
        jr = runs.get((p.use_case, dep))
        if jr is not None and jr.status == "skipped":
            return jr.reason or f"upstream job '{dep}' was skipped"
        if jr is None or jr.record is None:
            return f"upstream job '{dep}' did not pass (no evidence)"
        record = jr.record
        if jr.status != record.status:  # this run failed and the older record for the same inputs was kept
            record = record.model_copy(update={"status": jr.status, "reason": jr.reason})
        kind = runners.find(record.runner)
        if kind is None:
            why = None if record.status == "pass" else f"upstream job '{dep}' did not pass ({record.status})"
        else:
            why = kind.blocks(record, reads)
        if why is not None:
            return why
    return None


SKIPPED = "skipped: "
"""Prefix of the reason of the ``error`` record a skipped job leaves."""


def _skip(store: EvidenceStore, ledger: Ledger, task: JobTask, why: str) -> JobRun:
    now = _now()
    jr = _store_record(store, ledger, task.planned, _record(task, "error", SKIPPED + why, {}, [], now, 0.0))
    if jr.status == "error" and jr.reason == SKIPPED + why:
        jr.status, jr.reason = "skipped", why
    return jr


def _store_record(store: EvidenceStore, ledger: Ledger, p: PlannedJob, record: EvidenceRecord) -> JobRun:
    """Record first (a new write-once file), then the ledger entry that makes it current.

    A process killed between the two leaves the old state plus a record file no
    entry names: it is never judged (the old record, or none, stays current), the
    next run runs the job again, and that run (or ``charter gc``) removes the file.
    No order of crashes makes a current record disagree with the ledger.
    """
    jr = JobRun(p.use_case, p.job_id, p.runner, p.evidence_id, record.status, record.reason, record.duration_s,
                False, record)
    prev_stored = store.get_stored(p.use_case, p.job_id, p.evidence_id)
    previous = prev_stored.record if prev_stored else None
    keep_previous = record.status == "error" and previous is not None and previous.status in FINAL
    sha = None
    if not keep_previous:
        try:
            sha = store.put(record).sha256
        except StoreError as exc:
            jr.status, jr.reason, jr.record = "error", str(exc.strerror or exc), previous
            try:  # say so in the ledger, without changing which record is current
                ledger.append_run(use_case=p.use_case, job=p.job_id, runner=p.runner, evidence_id=p.evidence_id,
                                  status="error", reason=jr.reason, record_sha256=None, duration_s=None)
            except LedgerError:
                pass
            return jr
    try:
        ledger.append_run(use_case=p.use_case, job=p.job_id, runner=p.runner, evidence_id=p.evidence_id,
                          status=record.status, reason=record.reason, record_sha256=sha,
                          duration_s=record.duration_s)
    except LedgerError as exc:
        jr.status, jr.reason, jr.record = "error", str(exc.strerror or exc), previous
        return jr
    finally:
        store.forget_index()
    if keep_previous:
        # keep the good evidence for these inputs; the failure is in the ledger and the report
        jr.record = previous
        return jr
    _remove_orphans(store, p)
    return jr


def _remove_orphans(store: EvidenceStore, p: PlannedJob) -> None:
    """Remove record files of this evidence id that no run entry wrote (left by an interrupted run)."""
    referenced = store.ledger_index().referenced
    for path in store.files_for(p.use_case, p.job_id, p.evidence_id):
        try:
            import hashlib

            if hashlib.sha256(path.read_bytes()).hexdigest() not in referenced:
                path.unlink()
        except OSError:
            pass


def _reproduce(store: EvidenceStore, p: PlannedJob, record: EvidenceRecord, policy: Any) -> JobRun:
    """Compare a re-computed record with the committed current one; write nothing."""
    from .reproduce import compare_records

    committed = store.get(p.use_case, p.job_id, p.evidence_id)
    jr = JobRun(p.use_case, p.job_id, p.runner, p.evidence_id, record.status, record.reason, record.duration_s,
                False, committed or record)
    jr.reproduced = True
    if committed is None:
        jr.status, jr.reason = "error", "nothing to reproduce: no current record for these inputs"
        return jr
    diff = compare_records(committed, record)
    if not diff:
        jr.status, jr.reason = committed.status, committed.reason
        return jr
    if not committed.deterministic and _trusts_nondeterministic(policy):
        jr.status, jr.reason = committed.status, "not deterministic: the policy lets it gate without reproduction"
        return jr
    jr.status = "error"
    jr.reason = "reported vs reproduced: " + "; ".join(diff)
    if not committed.deterministic:
        jr.reason += (" (its runner is not deterministic; set the policy's `reproduction.nondeterministic: trust` "
                      "to let such evidence gate without reproduction)")
    return jr


def _trusts_nondeterministic(policy: Any) -> bool:
    rep = getattr(policy, "reproduction", None)
    return bool(rep is not None and rep.nondeterministic == "trust")
