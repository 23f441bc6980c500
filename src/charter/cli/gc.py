"""`charter gc [--dry-run]`: remove evidence records that are neither current nor needed (see engine/gc.py).

Exit 0; the records removed (or, with ``--dry-run``, those that would be) are listed.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from .common import add_format_arg, add_repo_arg, find_root, load_valid
from .main import EXIT_INVALID, EXIT_OK


def add_parser(p: argparse.ArgumentParser) -> None:
    p.add_argument("--dry-run", action="store_true", help="list what would be removed; remove nothing")
    add_format_arg(p, ["text", "json"])
    add_repo_arg(p)


def run(args: argparse.Namespace) -> int:
    from ..engine.gc import collect

    root = find_root(Path(args.repo))
    repo = load_valid(root, "gc", args.format)
    if repo is None:
        return EXIT_INVALID
    days = repo.policy.retention.days if repo.policy is not None else 365
    approved = {a.evidence for uc in repo.usecases.values() for a in uc.approvals}
    result = collect(root, retention_days=days, approved_hashes=approved, dry_run=args.dry_run)
    if args.format == "json":
        print(json.dumps({"dry_run": args.dry_run, "kept": result.kept, "removed": [
            {"file": f, "why": result.reasons[f]} for f in result.removed]}, indent=2))
        return EXIT_OK
    verb = "would remove" if args.dry_run else "removed"
    for f in result.removed:
        print(f"{verb} {f}: {result.reasons[f]}")
    print(f"{len(result.removed)} record(s) {verb}, {result.kept} kept (retention {days} day(s))")
    return EXIT_OK
