"""`charter run [USECASE ...]`: run the jobs that are out of date and record their evidence.

Exit 0 when every job passes (fresh or cached), 1 when any job fails, errors
or is skipped, 2 when the specs are invalid or the command is misused.
Progress goes to standard error (a bar on a terminal, plain lines otherwise);
the summary table (or JSON) to standard output.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from .common import add_format_arg, add_repo_arg, find_root
from .main import EXIT_FAIL, EXIT_INVALID, EXIT_OK, UsageError


def add_parser(p: argparse.ArgumentParser) -> None:
    p.add_argument("usecases", nargs="*", metavar="USECASE", help="use case ids (default: all)")
    p.add_argument("--force", action="store_true", help="re-run jobs even when their evidence is current")
    p.add_argument("--changed-since", metavar="GIT_REF",
                   help="only use cases whose folder, records or ledger changed since GIT_REF (all when "
                        "governance/ changed); evidence introduced since GIT_REF is re-computed and compared "
                        "with the committed record (reported vs reproduced) instead of trusted")
    p.add_argument("--jobs", "-j", type=int, metavar="N",
                   help="parallel worker processes (default: the number of CPUs; 1 runs in this process)")
    p.add_argument("--executor", choices=["local", "dask", "ray"],
                   help="where jobs run: local worker processes, a dask.distributed scheduler or Ray (default: "
                        "the policy's jobs.executor, else local)")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="the dask scheduler (tcp://host:8786) or Ray cluster to submit to (implies --executor "
                        "dask unless given; default: $CHARTER_SCHEDULER, else a local cluster of --jobs workers)")
    add_format_arg(p, ["text", "json"])
    add_repo_arg(p)


def changed_usecases(repo: Any, root: Path, ref: str, ids: list[str]) -> list[str]:
    from ..engine.lineage import changed_paths

    paths = changed_paths(root, ref)
    if paths is None:
        raise UsageError(f"--changed-since: git cannot compare the working tree with '{ref}' "
                         "(is this a git repository, and does the ref exist?)")
    if any(p.startswith("governance/") for p in paths):
        return ids
    out = []
    for uc_id in ids:
        folder = str(Path(repo.usecase_files[uc_id]).parent.as_posix()).rstrip("/") + "/"
        evidence = (f"evidence/records/{uc_id}/", f"evidence/ledger/{uc_id}.")
        if any(p.startswith(folder) or p.startswith(evidence) for p in paths):
            out.append(uc_id)
    return out


def introduced_evidence(root: Path, ref: str, ids: list[str]) -> set[tuple[str, str]]:
    """(use case, job) of every job whose record file or ledger run entry changed since ``ref``: evidence a
    pull request introduced, which must be reproduced before it is trusted."""
    from ..engine.ledger import Ledger, base_chains
    from ..engine.lineage import changed_paths
    from ..errors import GitError

    try:
        base = base_chains(root, ref)
    except GitError as exc:
        raise UsageError(f"--changed-since: {exc}") from None
    wanted = set(ids)
    out: set[tuple[str, str]] = set()
    for uc, chain in Ledger(root).index().chains.items():
        if uc not in wanted:
            continue
        old = base.get(uc, b"")
        known = {e.get("hash") for e in _entries(old)}
        for entry in chain.entries:
            if entry["hash"] not in known and entry["type"] == "run" and entry["payload"].get("record_sha256"):
                out.add((uc, str(entry["payload"].get("job"))))
    for path in changed_paths(root, ref) or []:
        parts = path.split("/")
        if len(parts) == 5 and parts[:2] == ["evidence", "records"] and parts[2] in wanted:
            out.add((parts[2], parts[3]))
    return out


def _entries(raw: bytes) -> list[dict[str, Any]]:
    out = []
    for line in raw.splitlines():
        try:
            e = json.loads(line)
        except ValueError:
            continue
        if isinstance(e, dict):
            out.append(e)
    return out


class _Progress:
    """Progress on stderr: a rich bar on a terminal, plain lines otherwise (only for jobs that execute)."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty() and "CI" not in os.environ
        self.bar: Any = None
        self.task: Any = None

    def __call__(self, ev: Any) -> None:
        if ev.kind == "planned":
            if ev.total and self.tty:
                try:
                    import rich  # noqa: F401
                except ImportError:
                    self.tty = False
            if ev.total and self.tty:
                from rich.console import Console
                from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

                self.bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                    TimeElapsedColumn(), console=Console(stderr=True), transient=True)
                self.bar.start()
                self.task = self.bar.add_task("running", total=ev.total)
            elif ev.total:
                print(f"charter run: {ev.total} job(s) to run", file=sys.stderr, flush=True)
            return
        if ev.kind == "started":
            if self.bar is not None:
                self.bar.update(self.task, description=f"{ev.job.use_case}/{ev.job.job_id}")
            return
        r = ev.result
        line = f"[{ev.done}/{ev.total}] {r.use_case}/{r.job}: {r.status}"
        if r.status != "skipped":
            line += f" ({r.duration_s:.1f}s)"
        if r.reason and r.status != "pass":
            line += f" – {_short(r.reason, 160)}"
        if self.bar is not None:
            self.bar.console.print(line, highlight=False, markup=False)
            self.bar.update(self.task, completed=ev.done)
        else:
            print(line, file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()
            self.bar = None


def _short(text: str, n: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


def format_table(report: Any) -> str:
    rows = [("USE CASE", "JOB", "RUNNER", "STATUS", "TIME", "RUN", "REASON")]
    for r in report.runs:
        how = "cached" if r.cached else ("-" if r.status == "skipped" else "reproduced" if r.reproduced else "ran")
        rows.append((r.use_case, r.job, r.runner, r.status, "" if r.status == "skipped" else f"{r.duration_s:.2f}s",
                     how, _short(r.reason if r.reason and r.status != "pass" else (r.why or r.reason or ""), 90)))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row[:-1], widths)) + ("  " + row[-1] if row[-1] else "")
             for row in rows]
    c = report.counts()
    lines.append("")
    lines.append(f"{len(report.runs)} job(s): {c['pass']} passed, {c['fail']} failed, {c['error']} errored, "
                 f"{c['skipped']} skipped; {c['ran']} ran, {c['cached']} cached"
                 + (f", {c['reproduced']} reproduced" if c.get("reproduced") else "")
                 + f" ({report.elapsed_s:.2f}s)")
    return "\n".join(line.rstrip() for line in lines)


SCHEDULER_VARIABLE = "CHARTER_SCHEDULER"
"""The scheduler address when ``--scheduler`` is not given (set by whoever operates the runners)."""


def choose_executor(repo: Any, executor: str | None, scheduler: str | None) -> tuple[str, str | None]:
    """(executor, scheduler address): the options, else the policy's ``jobs.executor``; options win.

    The address comes from ``--scheduler`` or the environment, never from the repository: a governance
    change in a pull request must not choose the machines that compute its evidence.
    """
    from ..spec.governance import jobs_settings

    settings = jobs_settings(getattr(repo, "policy", None))
    if executor is None:
        executor = "dask" if scheduler and settings.executor == "local" else settings.executor
    if executor == "local":
        if scheduler:
            raise UsageError("--scheduler needs --executor dask or ray (the local pool has no scheduler)")
        return "local", None
    return executor, scheduler or os.environ.get(SCHEDULER_VARIABLE) or None


def _ignore_further_interrupts() -> None:
    """After the first Ctrl-C the run is over (workers stopped, records complete): a second
    one while the process exits must not turn the exit into a traceback."""
    import signal
    import threading

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)


def run(args: argparse.Namespace) -> int:
    from ..engine.executor import run as run_jobs
    from ..engine.plan import PlanError
    from .gate import load_valid, select_usecases

    if args.jobs is not None and args.jobs < 1:
        raise UsageError("--jobs must be at least 1")
    root = find_root(Path(args.repo))
    repo = load_valid(root, "run", args.format)
    if repo is None:
        return EXIT_INVALID
    ids = select_usecases(repo, args.usecases)
    if args.changed_since:
        ids = changed_usecases(repo, root, args.changed_since, ids)
        if not ids:
            if args.format == "json":
                print(json.dumps({"ok": True, "counts": {}, "jobs": [], "warnings": []}, indent=2))
            else:
                print(f"no use case changed since {args.changed_since}: nothing to run")
            return EXIT_OK
    reproduce = introduced_evidence(root, args.changed_since, ids) if args.changed_since else set()
    backend, scheduler = choose_executor(repo, args.executor, args.scheduler)
    progress = _Progress()
    try:
        report = run_jobs(repo, ids, force=args.force, jobs=args.jobs, progress=progress, reproduce=reproduce,
                          backend=backend, scheduler=scheduler)
    except PlanError as exc:
        raise UsageError(str(exc)) from None
    except KeyboardInterrupt:
        _ignore_further_interrupts()
        raise
    finally:
        progress.close()
    for w in report.warnings:
        print(f"charter run: warning: {w}", file=sys.stderr)
    if args.format == "json":
        print(json.dumps(report.to_dict(), indent=2))
    else:
        print(format_table(report))
    return EXIT_OK if report.ok else EXIT_FAIL
