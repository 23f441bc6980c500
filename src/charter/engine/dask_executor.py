"""Run jobs on a ``dask.distributed`` scheduler (``charter run --executor dask``), or on Ray.

The executor of :mod:`charter.engine.executor` needs ``submit(fn, *args) -> future``
and, when it owns the executor, ``shutdown(wait, cancel_futures=...)``.
:class:`DaskExecutor` gives a ``distributed.Client`` that shape:

* every job is submitted with ``pure=False``: two jobs with equal arguments are
  two tasks (dask would otherwise run one and hand both the same result);
* each dask future is mirrored by a :class:`concurrent.futures.Future`, whose
  exception says what happened in Charter's words: a worker lost while it ran the
  job (killed, out of memory, disconnected) is :class:`WorkerLost`, a scheduler
  that went away is :class:`SchedulerLost`; the executor turns either into that
  job's ``error`` record, never a traceback;
* Ctrl-C (or any error of the run) cancels every submitted task
  (``shutdown(cancel_futures=True)``) and closes the client, and the cluster when
  Charter started it.

With no address a :class:`distributed.LocalCluster` of worker *processes*
(one thread each) is started for the run and closed after it. With an address,
the scheduler must be reachable within ``timeout`` seconds, else
:class:`ExecutorUnavailable` (a :class:`~charter.errors.CharterError`) says so.

The workers run :func:`charter.engine.executor.execute_task` on the same
picklable :class:`~charter.engine.executor.JobTask` the local pool runs, so the
records are the same; they are written here, in the calling process, from the
record each worker returns. Artifacts are written by the worker straight into
the artifact store, so workers need the repository at the same path (a shared
file system) and the same Charter version; see the README, "Running on a cluster".
"""

from __future__ import annotations

import os
import pickle
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from concurrent.futures import Future
from typing import Any

from ..errors import EXIT_INVALID, CharterError

EXECUTORS = ("local", "dask", "ray")
"""The values of ``charter run --executor`` and of the policy's ``jobs.executor``."""

INSTALL_HINT = "install it with: pip install 'charter-governance[dask]'"


QUIET_CLUSTER: dict[str, Any] = {
    # Every server (scheduler, nanny, worker) wakes its event loop 50 times a second to notice a blocked loop,
    # samples the system for the dashboard twice a second and checks its memory ten times a second. On the
    # cores the jobs run on, that is CPU taken from them (about 8 % of a core for a 2-worker cluster at rest):
    # a blocked loop is noticed within a second, memory is checked each second (a worker over its limit is
    # still stopped; the job is reported as its worker lost), and there is no dashboard.
    "distributed.admin.tick.interval": "1s",
    "distributed.admin.system-monitor.interval": "5s",
    "distributed.worker.memory.monitor-interval": "1s",
    # jobs are queued on the scheduler and handed to a worker when it has a free thread: nothing to steal
    "distributed.scheduler.work-stealing": False,
}
"""Settings of the LocalCluster Charter starts, for a run's workers to spend their CPU on the jobs."""


class ExecutorUnavailable(CharterError):
    """The chosen executor cannot be used: its package is missing, or its scheduler is unreachable."""

    exit_code = EXIT_INVALID


class WorkerLost(Exception):
    """The worker running a job was lost (the process died or disconnected) and the task was given up."""


class SchedulerLost(Exception):
    """The connection to the scheduler was lost, or the task was cancelled there, before the job answered."""


class _Mirrored(Future):
    """A local future following one dask future; cancelling it cancels the task on the cluster."""

    def __init__(self, owner: DaskExecutor) -> None:
        super().__init__()
        self._owner = owner
        self.remote: Any = None

    def cancel(self) -> bool:
        """Cancel the task; if a worker is running it (a job over its budget), restart that worker."""
        if self.remote is not None:
            self._owner._stop(self.remote)
        return super().cancel()


class DaskExecutor:
    """``submit(fn, *args)`` on a ``distributed.Client``; see the module docstring."""

    stops_abandoned = True
    """A job over its budget is stopped: its task cancelled and the worker running it restarted."""

    lost_after: float = 30.0
    """Seconds without a connection to the scheduler after which the jobs in flight are failed (SchedulerLost)."""

    def __init__(self, client: Any, cluster: Any = None) -> None:
        self.client = client
        self.cluster = cluster
        self._lock = threading.Lock()
        self._remote: dict[str, Any] = {}
        self._mirrors: dict[str, _Mirrored] = {}
        self._closed = False
        self._watchdog: threading.Thread | None = None

    @property
    def address(self) -> str:
        return str(self.client.scheduler.address)

    def submit(self, fn: Callable[..., Any], /, *args: Any) -> Future:
        fut = _Mirrored(self)
        with self._lock:
            if self._closed:
                raise RuntimeError("the dask executor is shut down")
        try:
            blob = pickle.dumps((fn, args), protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as exc:  # noqa: BLE001 - an unpicklable task fails its own job, as in the local pool
            fut.set_exception(exc)
            return fut
        remote = self.client.submit(run_pickled, blob, pure=False)
        fut.remote = remote
        with self._lock:
            self._remote[remote.key] = remote
            self._mirrors[remote.key] = fut
            if self._watchdog is None:
                self._watchdog = threading.Thread(target=self._watch, name="charter-dask-watchdog", daemon=True)
                self._watchdog.start()
        remote.add_done_callback(lambda r, fut=fut: self._settle(fut, r))
        return fut

    def _watch(self) -> None:
        """Fail the jobs in flight when the scheduler stays unreachable: their futures would never finish."""
        import time

        since: float | None = None
        while True:
            with self._lock:
                if self._closed:
                    return
            status = getattr(self.client, "status", "running")
            if status in ("running", "newly-created"):
                since = None
            elif since is None:
                since = time.monotonic()
            elif time.monotonic() - since > self.lost_after:
                with self._lock:
                    lost = list(self._mirrors.values())
                    self._mirrors.clear()
                    self._remote.clear()
                for fut in lost:
                    if not fut.done():
                        try:
                            fut.set_exception(SchedulerLost(
                                f"the connection to the dask scheduler was lost (client {status} for more than "
                                f"{self.lost_after:g} s)"))
                        except Exception:  # noqa: BLE001 - settled meanwhile
                            pass
                since = None
            time.sleep(0.5)

    def _settle(self, fut: Future, remote: Any) -> None:
        """Copy a finished dask future's outcome onto its mirror (runs on the client's thread)."""
        with self._lock:
            self._remote.pop(remote.key, None)
            self._mirrors.pop(remote.key, None)
        if fut.done():  # cancelled, abandoned or failed by the watchdog meanwhile
            return
        try:
            outcome = _outcome(remote)
        except BaseException as exc:  # noqa: BLE001 - every outcome goes to the mirror
            outcome = (False, exc)
        ok, value = outcome
        if ok:
            try:
                value = pickle.loads(value)
            except Exception as exc:  # noqa: BLE001 - a result this process cannot read (another Charter version)
                ok, value = False, exc
        try:
            if ok:
                fut.set_result(value)
            else:
                fut.set_exception(value)
        except Exception:  # noqa: BLE001 - cancelled between the check and the set
            pass

    def _stop(self, remote: Any) -> None:
        """Cancel one task and restart the worker running it (a running Python thread cannot be stopped)."""
        try:
            running = [w for w, keys in self.client.processing().items() if remote.key in keys]
        except Exception:  # noqa: BLE001 - the scheduler is gone: nothing runs it any more
            running = []
        self._cancel([remote])
        if running:
            def restart() -> None:
                try:
                    self.client.restart_workers(running, timeout=60, raise_for_error=False)
                except Exception:  # noqa: BLE001 - best effort: the nanny may be gone too
                    pass

            threading.Thread(target=restart, name="charter-dask-restart", daemon=True).start()

    def _cancel(self, remotes: list[Any]) -> None:
        try:
            self.client.cancel(remotes, force=True)
        except Exception:  # noqa: BLE001 - best effort: the client may be closing already
            pass

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Cancel what is still submitted (``cancel_futures``), then close the client and an owned cluster."""
        with self._lock:
            self._closed = True
            remotes = list(self._remote.values())
            self._remote.clear()
            self._mirrors.clear()
        if cancel_futures and remotes:
            self._cancel(remotes)
        for closing in (self.client, self.cluster):
            if closing is None:
                continue
            try:
                closing.close(timeout=10 if wait else 2)
            except Exception:  # noqa: BLE001 - closing a cluster that is already gone
                pass

    def __enter__(self) -> DaskExecutor:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.shutdown(cancel_futures=exc[0] is not None)


def run_pickled(blob: bytes) -> bytes:
    """What a worker runs for a job: its function and arguments arrive pickled and its result leaves pickled.

    The scheduler then only routes bytes: unpickling a task imports this module (no pydantic, pandas or
    scikit-learn) and builds none of a job's objects (the use case, the policy, upstream records) only to
    pickle them again for the worker, which cost it more CPU than the rest of a job's scheduling.
    """
    fn, args = pickle.loads(blob)
    return pickle.dumps(fn(*args), protocol=pickle.HIGHEST_PROTOCOL)


def _outcome(remote: Any) -> tuple[bool, Any]:
    from distributed.client import FutureCancelledError
    from distributed.scheduler import KilledWorker

    status = getattr(remote, "status", None)
    if status == "finished":
        return True, remote.result()
    if status == "cancelled":
        why = ""
        try:
            remote.result()
        except FutureCancelledError as exc:
            why = str(getattr(exc, "reason", "") or "")
        except BaseException as exc:  # noqa: BLE001 - whatever the cancellation carries
            why = str(exc)
        return False, SchedulerLost("the task was cancelled on the dask scheduler"
                                    + (f" ({why})" if why and why != "None" else "")
                                    + "; the scheduler may have been stopped or the connection lost")
    try:
        failure = remote.exception()
    except BaseException as err:  # noqa: BLE001 - the client lost the scheduler while asking
        return False, SchedulerLost(f"the dask scheduler could not be asked for the outcome: {_reason(err)}")
    if isinstance(failure, KilledWorker):
        return False, WorkerLost("the dask worker running it was lost (killed, out of memory or disconnected) "
                                 "and the scheduler gave the task up")
    if failure is None:
        return True, remote.result()
    return False, failure


def _reason(exc: BaseException) -> str:
    msg = str(exc).strip()
    return f"{type(exc).__name__}: {msg}" if msg else type(exc).__name__


def open_dask(scheduler: str | None = None, workers: int = 2, *, timeout: float = 10.0,
              allowed_failures: int | None = None) -> DaskExecutor:
    """A :class:`DaskExecutor` on the scheduler at ``scheduler``, or on a new LocalCluster of ``workers``.

    ``allowed_failures``: how many workers may die running one task before the
    scheduler gives it up (a LocalCluster started here only; default 1: one retry
    on another worker, as the local pool retries a job once in a fresh pool).
    Raises :class:`ExecutorUnavailable` when dask is not installed or the scheduler
    cannot be reached.
    """
    try:
        import dask
        from distributed import Client, LocalCluster
    except ImportError:
        raise ExecutorUnavailable(f"--executor dask needs 'dask[distributed]', which is not installed; "
                                  f"{INSTALL_HINT}") from None
    if scheduler:
        try:
            with dask.config.set({"distributed.comm.timeouts.connect": f"{timeout}s"}):
                client = Client(scheduler, timeout=timeout, set_as_default=False)
        except (OSError, TimeoutError, ValueError) as exc:
            raise ExecutorUnavailable(f"cannot reach the dask scheduler at '{scheduler}' within {timeout:g} s "
                                      f"({_reason(exc)}); is it running, and is the address right "
                                      "(for example tcp://host:8786)?") from None
        return DaskExecutor(client)
    from .executor import THREAD_VARIABLES, _children_ignore_sigint

    workers = max(1, workers)
    threads = max(1, (os.cpu_count() or 1) // workers)
    env = {var: os.environ.get(var, str(threads)) for var in THREAD_VARIABLES}
    failures = 1 if allowed_failures is None else allowed_failures
    try:
        settings = {"distributed.scheduler.allowed-failures": failures,
                    # the statistical profiler samples every thread's stack 100 times a second: jobs are
                    # CPU-bound Python and numpy, and it slows them down for a dashboard nobody looks at
                    "distributed.worker.profile.enabled": False,
                    # the nanny sets MALLOC_TRIM_THRESHOLD_ to hand freed memory back to the system at once,
                    # which also fixes glibc's mmap threshold: every numpy array over 128 KiB is then mapped
                    # and unmapped again, and a job's numpy work costs up to twice the CPU it takes in the
                    # local pool. Charter's jobs read data in bounded batches; glibc's default serves them
                    "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
                    **QUIET_CLUSTER}
        with dask.config.set(settings), _children_ignore_sigint(), _dask_leaves_environment_alone():
            # the workers ignore Ctrl-C like the local pool's: this process cancels their tasks
            cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                   dashboard_address=None, env=env, silence_logs=50)
            client = Client(cluster, set_as_default=False)
    except (OSError, TimeoutError, RuntimeError) as exc:
        raise ExecutorUnavailable(f"cannot start a local dask cluster of {workers} worker(s): {_reason(exc)}") from None
    return DaskExecutor(client, cluster)


@contextmanager
def _dask_leaves_environment_alone() -> Iterator[None]:
    """Undo what starting a LocalCluster writes into this process's environment.

    The nanny puts its pre-spawn variables (``MALLOC_TRIM_THRESHOLD_``, ``OMP_NUM_THREADS``...)
    into ``os.environ`` and leaves them there, so a second cluster started in the same process
    would inherit them: its workers would trim memory after all, and get one thread each
    whatever their share of the cores. ``MALLOC_TRIM_THRESHOLD_`` stays out for good: workers a
    budget makes the nanny restart are spawned from this environment later.
    """
    saved = dict(os.environ)
    os.environ.pop("MALLOC_TRIM_THRESHOLD_", None)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)
        os.environ.pop("MALLOC_TRIM_THRESHOLD_", None)


class RayExecutor:
    """Ray as an executor (``--executor ray``): each job one ``ray.remote`` task; ``pure`` is Ray's default."""

    def __init__(self, owned: bool) -> None:
        self._owned = owned
        self._refs: list[Any] = []

    def submit(self, fn: Callable[..., Any], /, *args: Any) -> Future:
        import ray

        ref = ray.remote(num_cpus=1)(fn).remote(*args)
        self._refs.append(ref)
        fut: Future = ref.future()
        return fut

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        import ray

        if cancel_futures:
            for ref in self._refs:
                try:
                    ray.cancel(ref, force=True)
                except Exception:  # noqa: BLE001 - finished already
                    pass
        if self._owned:
            ray.shutdown()


def open_ray(address: str | None = None, workers: int = 2) -> RayExecutor:
    """A :class:`RayExecutor` on the Ray cluster at ``address``, or on a local one of ``workers`` CPUs."""
    try:
        import ray
    except ImportError:
        raise ExecutorUnavailable("--executor ray needs 'ray', which is not installed; pip install ray") from None
    try:
        owned = not ray.is_initialized()
        if owned:
            if address:
                ray.init(address=address, log_to_driver=False)
            else:
                ray.init(num_cpus=max(1, workers), log_to_driver=False, include_dashboard=False)
    except Exception as exc:  # noqa: BLE001 - ray raises ConnectionError, RuntimeError...
        raise ExecutorUnavailable(f"cannot start or reach Ray{f' at {address!r}' if address else ''}: "
                                  f"{_reason(exc)}") from None
    return RayExecutor(owned)


def open_executor(name: str, scheduler: str | None, workers: int) -> Any:
    """The executor ``name`` (``dask`` or ``ray``) for a run of ``workers`` parallel jobs."""
    if name == "dask":
        return open_dask(scheduler, workers)
    if name == "ray":
        return open_ray(scheduler, workers)
    raise ExecutorUnavailable(f"unknown executor '{name}'; choose one of {', '.join(EXECUTORS)}")


def remote_exceptions() -> tuple[type[BaseException], ...]:
    """Exceptions meaning a distributed executor lost a job (reported as the worker running it having died)."""
    return (WorkerLost, SchedulerLost)
