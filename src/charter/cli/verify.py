"""`charter verify`: check the evidence ledger's hash chain and every evidence record against it.

Exit 0 when nothing was edited, removed, reordered or truncated; 1 otherwise,
with the exact line (or record file) of each problem.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from .common import add_format_arg, add_repo_arg, find_root
from .main import EXIT_FAIL, EXIT_OK


def add_parser(p: argparse.ArgumentParser) -> None:
    add_format_arg(p, ["text", "json"])
    p.add_argument("--expect-head", metavar="HASH",
                   help="the hash the ledger must end with (an anchor kept outside the repository)")
    add_repo_arg(p)


def run(args: argparse.Namespace) -> int:
    from ..engine.ledger import Ledger
    from ..engine.store import EvidenceStore

    root = find_root(Path(args.repo))
    result = Ledger(root).verify(store=EvidenceStore(root), expected_head=args.expect_head)
    if args.format == "json":
        print(json.dumps(result.to_dict(), indent=2))
    else:
        for p in result.problems:
            where = f"{p.file}:{p.line}" if p.line else p.file
            print(f"{where}: {p.kind}: {p.message}")
        if result.ok:
            print(f"ledger ok: {result.entries} entries, {result.records_checked} evidence records match; "
                  f"head {result.head or '(empty)'}")
        elif all(p.kind == "schema" for p in result.problems):
            print(f"ledger NOT VERIFIED: written in a schema this Charter does not read ({result.entries} entries)")
        else:
            print(f"ledger TAMPERED: {len(result.problems)} problem(s) in {result.entries} entries and "
                  f"{result.records_checked} records")
    return EXIT_OK if result.ok else EXIT_FAIL
