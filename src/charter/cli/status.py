"""`charter status [USECASE ...]`: for every job, whether `charter run` would run it and why.

The reason names each changed input (data file old → new sha256, upstream job, package version,
runner result version), or says the evidence is missing, deleted or tampered, or that a current job
re-creates artifacts a job that runs needs; it is the same selection and wording as `run`'s
(:func:`charter.engine.selection.select`). Exit 0 when
nothing would run, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from .common import add_format_arg, add_repo_arg, find_root, load_valid, select_usecases
from .main import EXIT_FAIL, EXIT_INVALID, EXIT_OK, UsageError


def add_parser(p: argparse.ArgumentParser) -> None:
    p.add_argument("usecases", nargs="*", metavar="USECASE", help="use case ids (default: all)")
    add_format_arg(p, ["text", "json"])
    add_repo_arg(p)


def run(args: argparse.Namespace) -> int:
    from ..engine.plan import PlanError, plan_repository
    from ..engine.store import EvidenceStore
    from ..engine.selection import select
    from ..gates.evidence import CachingStore

    root = find_root(Path(args.repo))
    repo = load_valid(root, "status", args.format)
    if repo is None:
        return EXIT_INVALID
    ids = select_usecases(repo, args.usecases)
    try:
        planned = plan_repository(repo, ids)
    except PlanError as exc:
        raise UsageError(str(exc)) from None
    sel = select(CachingStore(EvidenceStore(root)), planned)
    rows: list[dict[str, Any]] = []
    for p in planned:
        ev, why = sel.evidence[p.key], sel.why.get(p.key)
        rows.append({"use_case": p.use_case, "job": p.job_id, "runner": p.runner, "evidence_id": p.evidence_id,
                     "freshness": ev.freshness, "would_run": why is not None, "why": why})
    if args.format == "json":
        print(json.dumps({"jobs": rows}, indent=2))
    else:
        table = [("USE CASE", "JOB", "RUN?", "WHY")] + [
            (r["use_case"], r["job"], "run" if r["would_run"] else "current", r["why"] or "") for r in rows]
        widths = [max(len(str(t[i])) for t in table) for i in range(3)]
        for t in table:
            print("  ".join(str(c).ljust(w) for c, w in zip(t[:3], widths)) + ("  " + t[3] if t[3] else ""))
        n = sum(r["would_run"] for r in rows)
        print(f"\n{len(rows)} job(s): {n} would run, {len(rows) - n} current")
    return EXIT_FAIL if any(r["would_run"] for r in rows) else EXIT_OK
