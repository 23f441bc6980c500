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
local :class:`WorkerPool` of processes; ``backend="dask"`` (``charter run --executor
dask``) submits to a ``dask.distributed`` scheduler and ``backend="ray"`` to Ray, through
the adapters of :mod:`charter.engine.dask_executor`.
Runners are plain functions of a picklable :class:`JobTask`, so the same jobs
run on any of them without a change. Workers must see the repository and the
artifact store at the same path (a shared file system); the records and the
ledger are written here, in the calling process, never by the workers.

Failure handling: a runner that raises becomes an ``error`` record (exception
type and message, no traceback); a worker that dies (``kill -9``, out of memory)
becomes an ``error`` record in this process; a write that fails (a full disk)
leaves the store as it was and is reported on the job. Ctrl-C stops scheduling,
kills the workers and re-raises; whatever was recorded so far is complete.

Budgets: every job has a wall-clock budget (policy ``jobs.timeoutSeconds``, or
the job's own ``timeoutSeconds`` up to ``jobs.maxTimeoutSeconds``). The default
pool (:class:`WorkerPool`) kills the worker of a job over its budget; in this
process (``jobs=1``) a timer interrupts the job; on any other executor the job is
abandoned (cancelled when the executor can). Either way it is an ``error`` record
whose reason names the budget. Workers ignore SIGINT (the parent decides) and
exit when the parent dies, even by ``kill -9``.
"""

from __future__ import annotations

import datetime as dt
import os
import queue
import shutil
import signal
import sys
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

from ..evidence.records import EvidenceRecord, Lineage
from ..gates.evidence import CachingStore
from ..kinds import runners
from .ledger import OLD_LAYOUT_HINT, Ledger, LedgerError
from .hashing import full_versions
from .lineage import current_lineage
from .plan import PlannedJob, plan_repository
from .selection import FINAL, select
from .store import EvidenceStore, StoreError

RunStatus = Literal["pass", "fail", "error", "skipped"]


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

    def submit_with_budget(self, seconds: float, fn: Callable[..., Any], /, *args: Any) -> Future:
        """Like :meth:`submit`, interrupted by a timer after ``seconds`` (main thread, POSIX only).

        Python code stops at once; a native call that does not return to Python
        (a long C loop) is interrupted only when it does.
        """
        with _alarm(seconds):
            return self.submit(fn, *args)


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
        reason=reason, inputs=p.inputs, lineage=_lineage(task.lineage, kind), started_at=started_at,
        finished_at=_now(), duration_s=round(duration, 4), results=results, artifacts=artifacts,
        spec=p.spec or None,
    )


def _lineage(lineage: Lineage, kind: Any) -> Lineage:
    """The run's lineage with the exact versions of the packages this runner's numbers depend on."""
    dists = tuple(getattr(kind, "packages", ()) or ())
    return lineage.model_copy(update={"packages": full_versions(dists)}) if dists else lineage


# --------------------------------------------------------------------------- budgets, workers, signals


class JobTimeout(BaseException):
    """A job ran past its wall-clock budget (the exception of its future).

    A BaseException: raised inside a job (the in-process timer), it must pass the
    job's own ``except Exception`` handlers.
    """

    def __init__(self, seconds: float) -> None:
        super().__init__(f"the job ran past its {seconds:g} s budget")
        self.seconds = seconds


class WorkerDied(Exception):
    """The worker process running a job exited without answering."""


@dataclass(frozen=True)
class Budget:
    seconds: float
    source: str
    """Where the budget comes from, for the reason (``policy jobs.timeoutSeconds``)."""

    def reason(self, stopped: bool = True) -> str:
        how = "stopped" if stopped else "abandoned (the executor cannot stop it)"
        return f"{how} after its {self.seconds:g} s budget ({self.source})"


def job_budget(repo: Any, job: Any) -> Budget:
    from ..spec.governance import job_budget as budget_of

    seconds, source = budget_of(getattr(repo, "policy", None), getattr(job, "timeout_seconds", None))
    return Budget(float(seconds), source)


def _on_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


@contextmanager
def _alarm(seconds: float) -> Iterator[None]:
    """Raise :class:`JobTimeout` in this (main) thread after ``seconds``; nothing elsewhere."""
    if not _on_main_thread() or not hasattr(signal, "setitimer"):
        yield
        return

    def expired(signum: int, frame: Any) -> None:
        raise JobTimeout(seconds)

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@contextmanager
def _interrupts_deferred() -> Iterator[None]:
    """Hold a Ctrl-C back while a record and its ledger entry are written, then raise it."""
    if not _on_main_thread():
        yield
        return
    caught: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: caught.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if caught:
        raise KeyboardInterrupt


@contextmanager
def _interrupts_ignored() -> Iterator[None]:
    """Ignore SIGINT for the duration (a second Ctrl-C must not break the clean-up of the first)."""
    if not _on_main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


@contextmanager
def _children_ignore_sigint() -> Iterator[None]:
    """Start processes with SIGINT ignored, a disposition that survives fork and exec.

    The forkserver started now hands it to every worker it forks, so a Ctrl-C on
    the terminal (sent to the whole process group) reaches only this process,
    which stops the workers itself: no worker prints a KeyboardInterrupt
    traceback. A Ctrl-C arriving meanwhile stays pending and is raised after.
    """
    if not _on_main_thread():
        yield
        return
    blockable = hasattr(signal, "pthread_sigmask")
    if blockable:
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if blockable:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a killed parent nobody has reaped yet is a zombie: dead for our purposes
        with open(f"/proc/{pid}/stat", "rb") as fh:
            return fh.read().rsplit(b")", 1)[-1].split()[0] != b"Z"
    except (OSError, IndexError):
        return True


def _die_with_parent(run_pid: int) -> None:
    """Make this worker exit when the run that started it dies, however it dies.

    On Linux the kernel kills it when its parent process dies (the forkserver,
    which itself exits when the run does). Everywhere, a watchdog thread polls the
    run's process and its own parent; it needs the GIL, the kernel's signal does not.
    """
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            pr_set_pdeathsig = 1
            libc.prctl(pr_set_pdeathsig, int(signal.SIGKILL), 0, 0, 0)
        except (OSError, AttributeError):
            pass
    parent = os.getppid()

    def watch() -> None:
        while True:
            if os.getppid() != parent or not _process_alive(run_pid):
                os._exit(1)
            time.sleep(0.5)

    threading.Thread(target=watch, name="charter-parent-watchdog", daemon=True).start()


def _worker_main(conn: Any, run_pid: int, threads: int) -> None:
    """One worker process: run the jobs the pool sends, one at a time, until told to stop."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and stops us
    _die_with_parent(run_pid)
    _init_worker(threads)
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        except Exception as exc:  # noqa: BLE001 - a task that cannot be unpickled here
            conn.send((False, exc))
            continue
        if message is None:
            return
        fn, args = message
        try:
            reply = (True, fn(*args))
        except BaseException as exc:  # noqa: BLE001 - every outcome goes back to the parent
            reply = (False, exc)
        try:
            conn.send(reply)
        except Exception as exc:  # noqa: BLE001 - an unpicklable result or exception
            conn.send((False, WorkerDied(f"the job's outcome cannot be sent back: {_reason(exc)}")))


@dataclass
class _Slot:
    process: Any
    conn: Any
    future: Future | None = None
    deadline: float | None = None
    seconds: float | None = None


class WorkerPool:
    """Worker processes that run one job at a time each; ``submit(fn, *args) -> Future``.

    Unlike :class:`concurrent.futures.ProcessPoolExecutor`, one worker can be
    stopped without the others: a job over its budget is killed with its process
    (:class:`JobTimeout`), a worker that dies fails only its own job
    (:class:`WorkerDied`), and a replacement starts for the next job. Workers are
    started from a forkserver (spawn where there is none), ignore SIGINT and exit
    when the calling process dies.
    """

    def __init__(self, max_workers: int, threads: int = 1, method: str | None = None) -> None:
        import multiprocessing

        if method is None:
            # forkserver/spawn, never fork: the calling process runs threads (this pool's, the progress display)
            method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
        self._ctx: Any = multiprocessing.get_context(method)
        self._max = max(1, max_workers)
        self._threads = threads
        self._idle: list[_Slot] = []
        self._busy: list[_Slot] = []
        self._queue: deque[tuple[Future, Callable[..., Any], tuple[Any, ...], float | None]] = deque()
        self._lock = threading.Lock()
        self._closed = False
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def submit(self, fn: Callable[..., Any], /, *args: Any) -> Future:
        return self.submit_with_budget(None, fn, *args)

    def submit_with_budget(self, seconds: float | None, fn: Callable[..., Any], /, *args: Any) -> Future:
        """Run ``fn(*args)`` in a worker; past ``seconds`` of running, kill it and fail with JobTimeout."""
        fut: Future = Future()
        with self._lock:
            if self._closed:
                raise RuntimeError("the worker pool is shut down")
            self._queue.append((fut, fn, args, seconds))
            done = self._dispatch()
            if self._thread is None:
                self._thread = threading.Thread(target=self._watch, name="charter-worker-pool", daemon=True)
                self._thread.start()
        self._wake.set()
        _settle(done)
        return fut

    def _start_worker(self) -> _Slot:
        parent_end, child_end = self._ctx.Pipe()
        proc = self._ctx.Process(target=_worker_main, args=(child_end, os.getpid(), self._threads),
                                 name="charter-worker", daemon=True)
        with _children_ignore_sigint():
            proc.start()
        child_end.close()
        return _Slot(proc, parent_end)

    def _dispatch(self) -> list[tuple[Future, bool, Any]]:
        """Hand queued jobs to idle (or new) workers; the lock is held. Returns futures to settle."""
        done: list[tuple[Future, bool, Any]] = []
        while self._queue and (self._idle or len(self._busy) < self._max):
            fut, fn, args, seconds = self._queue.popleft()
            if not fut.set_running_or_notify_cancel():
                continue
            try:
                slot = self._idle.pop() if self._idle else self._start_worker()
            except Exception as exc:  # noqa: BLE001 - no process could be started
                done.append((fut, False, exc))
                continue
            try:
                slot.conn.send((fn, args))
            except Exception as exc:  # noqa: BLE001 - an unpicklable task, or a worker that just died
                _stop(slot)
                done.append((fut, False, exc))
                continue
            slot.future, slot.seconds = fut, seconds
            slot.deadline = None if seconds is None else time.monotonic() + seconds
            self._busy.append(slot)
        return done

    def _watch(self) -> None:
        """Collect outcomes, notice dead workers, enforce budgets (a daemon thread)."""
        from multiprocessing.connection import wait

        while True:
            with self._lock:
                if self._closed:
                    return
                busy = list(self._busy)
            if not busy:
                self._wake.wait(0.2)
                self._wake.clear()
                continue
            now = time.monotonic()
            deadlines = [s.deadline - now for s in busy if s.deadline is not None]
            timeout = max(0.0, min([0.5, *deadlines]))
            try:
                ready = set(wait([s.conn for s in busy] + [s.process.sentinel for s in busy], timeout))
            except (OSError, ValueError):  # shut down meanwhile: its pipes and processes are closed
                with self._lock:
                    if self._closed:
                        return
                continue
            done: list[tuple[Future, bool, Any]] = []
            with self._lock:
                if self._closed:
                    return
                now = time.monotonic()
                for slot in busy:
                    fut = slot.future
                    assert fut is not None
                    if slot.conn in ready:
                        try:
                            ok, value = slot.conn.recv()
                        except Exception:  # noqa: BLE001 - EOF: it died while answering
                            died = WorkerDied(f"the worker exited ({_exit_code(slot)})")
                            self._retire(slot)
                            done.append((fut, False, died))
                            continue
                        self._busy.remove(slot)
                        slot.future = slot.deadline = slot.seconds = None
                        self._idle.append(slot)
                        done.append((fut, ok, value))
                    elif slot.process.sentinel in ready:
                        died = WorkerDied(f"the worker exited ({_exit_code(slot)})")
                        self._retire(slot)
                        done.append((fut, False, died))
                    elif slot.deadline is not None and now >= slot.deadline:
                        self._retire(slot)
                        done.append((fut, False, JobTimeout(slot.seconds or 0.0)))
                done += self._dispatch()
            _settle(done)

    def _retire(self, slot: _Slot) -> None:
        self._busy.remove(slot)
        _stop(slot)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Stop every worker. Running jobs are killed (the caller waits for them before a normal shutdown)."""
        with self._lock:
            self._closed = True
            queued = [q[0] for q in self._queue]
            self._queue.clear()
            busy, idle = list(self._busy), list(self._idle)
            self._busy.clear()
            self._idle.clear()
        self._wake.set()
        if wait:  # a normal end: idle workers finish cleanly
            for slot in idle:
                try:
                    slot.conn.send(None)
                except Exception:  # noqa: BLE001 - already gone
                    pass
            deadline = time.monotonic() + 2.0
            for slot in idle:
                slot.process.join(max(0.0, deadline - time.monotonic()))
        _stop_all(busy + idle)  # an interrupted run: every worker at once, no waiting
        for fut in queued:
            fut.cancel()
        for slot in busy:
            if slot.future is not None and not slot.future.done():
                slot.future.set_exception(WorkerDied("the run was stopped"))

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.shutdown()


def _settle(done: list[tuple[Future, bool, Any]]) -> None:
    for fut, ok, value in done:
        if ok:
            fut.set_result(value)
        else:
            fut.set_exception(value)


def _exit_code(slot: _Slot) -> str:
    slot.process.join(1.0)
    code = slot.process.exitcode
    if code is not None and code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"signal {-code}"
    return f"exit code {code}"


def _stop_all(slots: list[_Slot]) -> None:
    for slot in slots:
        if slot.process.exitcode is None:
            try:
                slot.process.kill()
            except (OSError, ValueError):
                pass
    for slot in slots:
        _stop(slot)


def _stop(slot: _Slot) -> None:
    """Kill a worker and reap it (a killed process exits at once)."""
    proc = slot.process
    if proc.exitcode is None:
        try:
            proc.kill()
        except (OSError, ValueError):
            pass
        proc.join(2.0)
    try:
        slot.conn.close()
    except OSError:
        pass
    try:
        proc.close()
    except ValueError:
        pass


def _submit(executor: Any, task: JobTask, budget: Budget) -> Any:
    """Submit one job with its budget when the executor can enforce one."""
    with_budget = getattr(executor, "submit_with_budget", None)
    if isinstance(executor, (WorkerPool, InlineExecutor)) and with_budget is not None:
        return with_budget(budget.seconds, execute_task, task)
    return executor.submit(execute_task, task)


def _budget_enforced(executor: Any) -> bool:
    return isinstance(executor, (WorkerPool, InlineExecutor))


def _abandon(fut: Any) -> None:
    cancel = getattr(fut, "cancel", None)
    if cancel is not None:
        try:
            cancel()
        except Exception:  # noqa: BLE001 - best effort on a foreign executor
            pass


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
    return WorkerPool(n, threads=max(1, (os.cpu_count() or 1) // n))


def _is_broken_pool(exc: BaseException) -> bool:
    from concurrent.futures.process import BrokenProcessPool

    return isinstance(exc, BrokenProcessPool)


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
    backend: str = "local",
    scheduler: str | None = None,
) -> RunReport:
    """Run the out-of-date jobs of the selected use cases (all by default) and record their evidence.

    ``executor``: see the module docstring; default a process pool of ``jobs``
    (default ``os.cpu_count()``) workers, or in-process execution for ``jobs=1``.
    ``progress`` receives :class:`ProgressEvent` objects (never required).
    ``reproduce``: (use case, job) keys whose current record is re-computed and compared instead of
    trusted (nothing is written for them; a difference is an ``error`` saying what differs). Every job
    of a use case whose ledger chain is forked (two merged branches both ran it) runs again.
    ``backend``: ``local`` (the default pool), or ``dask``/``ray`` (:mod:`charter.engine.dask_executor`:
    a scheduler at ``scheduler``, or a local cluster of ``jobs`` workers), started only when a job runs.
    """
    t_start = time.perf_counter()
    planned = plan_repository(repo, selection) if planned is None else planned
    store = EvidenceStore(repo.root)
    ledger = Ledger(repo.root)
    if ledger.old_path.exists():  # never write records the old single-file ledger cannot vouch for
        raise LedgerError(None, OLD_LAYOUT_HINT)
    by_key = {p.key: p for p in planned}
    sel = select(CachingStore(store), planned, force=force, reproduce=reproduce)
    existing, whys, to_run, check = sel.existing, sel.why, sel.to_run, sel.check
    runs: dict[tuple[str, str], JobRun] = {}
    for k, rec in existing.items():
        if k not in to_run:
            runs[k] = JobRun(k[0], k[1], rec.runner, rec.id, rec.status, rec.reason, rec.duration_s, True, rec)
    total = len(to_run)
    if progress:
        progress(ProgressEvent("planned", total, 0))

    if to_run:
        _execute(repo, planned, by_key, to_run, runs, store, ledger, executor, progress, jobs, total,
                 check, backend, scheduler)

    for k, jr in runs.items():
        if not jr.cached:
            jr.why = whys.get(k)
    ordered = [runs[p.key] for p in planned if p.key in runs]
    return RunReport(planned, ordered, list(store.warnings), time.perf_counter() - t_start)


def _execute(repo: Any, planned: list[PlannedJob], by_key: dict, to_run: set, runs: dict, store: EvidenceStore,
             ledger: Ledger, executor: Executor | None, progress: Callable | None, jobs: int | None,
             total: int, check: set | frozenset = frozenset(), backend: str = "local",
             scheduler: str | None = None) -> None:
    lineage = current_lineage(repo.root, fresh=True)
    n_workers = max(1, min(jobs or os.cpu_count() or 1, total))
    owned = None
    if executor is None and backend != "local":
        from .dask_executor import open_executor

        executor = owned = open_executor(backend, scheduler, n_workers)
    if executor is None:
        # in this process only when asked (jobs=1): a worker process is what a budget can kill
        executor = InlineExecutor() if jobs == 1 else _default_executor(n_workers)
        owned = executor if not isinstance(executor, InlineExecutor) else None
    done_q: queue.Queue = queue.Queue()
    pending = [p for p in planned if p.key in to_run]
    inflight: dict[tuple[str, str], Any] = {}
    done = 0

    retried: set[tuple[str, str]] = set()
    pool_generation = 0

    budgets: dict[tuple[str, str], tuple[Budget, float]] = {}

    def submit(key: tuple[str, str], task: JobTask, started: str) -> None:
        budget = job_budget(repo, task.job)
        budgets[key] = (budget, time.monotonic())
        try:
            fut = _submit(executor, task, budget)  # set before the first submit
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
                    with _interrupts_deferred():
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
                    if not _budget_enforced(executor):
                        key = _overdue(inflight, budgets)
                    continue
                if key not in inflight:  # an abandoned job that finished after all
                    key = None
            fut, task, started, generation = inflight.pop(key)
            p = by_key[key]
            try:
                if not fut.done():  # overdue on an executor that cannot stop it
                    _abandon(fut)
                    raise JobTimeout(budgets[key][0].seconds)
                record = fut.result()
            except BaseException as exc:
                if isinstance(exc, KeyboardInterrupt):
                    raise
                if isinstance(exc, JobTimeout):
                    why = budgets[key][0].reason(stopped=_budget_enforced(executor)
                                                 or bool(getattr(executor, "stops_abandoned", False)))
                    record = _record(task, "error", why, {}, [], started, time.monotonic() - budgets[key][1])
                    with _interrupts_deferred():
                        finish(p, _store_record(store, ledger, p, record))
                    continue
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
            with _interrupts_deferred():
                finish(p, _reproduce(store, p, record, repo.policy) if key in check
                       else _store_record(store, ledger, p, record))
    except BaseException:
        if owned is not None:
            with _interrupts_ignored():  # a second Ctrl-C must not interrupt stopping the workers
                owned.shutdown(wait=False, cancel_futures=True)
            owned = None
        raise
    finally:
        if owned is not None:
            owned.shutdown(wait=True)


def _overdue(inflight: dict[tuple[str, str], Any], budgets: dict[tuple[str, str], tuple[Budget, float]]
             ) -> tuple[str, str] | None:
    """A job in flight past its budget (for executors that do not enforce budgets themselves)."""
    now = time.monotonic()
    for key in inflight:
        budget, since = budgets[key]
        if now - since > budget.seconds:
            return key
    return None


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
            store.forget_index(p.use_case)  # its tip moved
            return jr
    try:
        ledger.append_run(use_case=p.use_case, job=p.job_id, runner=p.runner, evidence_id=p.evidence_id,
                          status=record.status, reason=record.reason, record_sha256=sha,
                          duration_s=record.duration_s)
    except LedgerError as exc:
        jr.status, jr.reason, jr.record = "error", str(exc.strerror or exc), previous
        return jr
    finally:
        store.forget_index(p.use_case)
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
