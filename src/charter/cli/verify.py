"""`charter verify`: check the evidence ledger's hash chains and every evidence record against them.

Exit 0 when nothing was edited, removed, reordered, truncated, copied or deleted; 1 otherwise,
with the exact line (or record file) of each problem. ``--against REF`` (or a hash) also checks that
the ledger extends an earlier one: every entry of every chain at REF is still in the current chain
(what CI runs against the pull request's base: a consistent rewrite of a chain fails it).
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

from .common import add_format_arg, add_repo_arg, find_root
from .main import EXIT_FAIL, EXIT_OK, UsageError

_HASH = re.compile(r"^[0-9a-f]{64}$")


def add_parser(p: argparse.ArgumentParser) -> None:
    add_format_arg(p, ["text", "json"])
    p.add_argument("--against", metavar="REF|HASH",
                   help="an earlier ledger this one must extend: a git ref (every chain of it must be contained "
                        "in the current chains) or a head hash (the repository head, or an entry of a chain)")
    p.add_argument("--expect-head", metavar="HASH",
                   help="the head the ledger must have (an anchor kept outside the repository)")
    add_repo_arg(p)


def run(args: argparse.Namespace) -> int:
    from ..engine.ledger import Ledger, base_chains
    from ..engine.store import EvidenceStore
    from ..errors import GitError

    root = find_root(Path(args.repo))
    against = None
    expected = args.expect_head
    if args.against:
        if _HASH.match(args.against):
            expected = args.against
        else:
            try:
                against = base_chains(root, args.against)
            except GitError as exc:
                raise UsageError(f"--against: {exc}") from None
    result = Ledger(root).verify(store=EvidenceStore(root), expected_head=expected, against=against)
    if args.format == "json":
        print(json.dumps(result.to_dict(), indent=2))
    else:
        for p in result.problems:
            where = f"{p.file}:{p.line}" if p.line else p.file
            print(f"{where}: {p.kind}: {p.message}")
        chains = f"{len(result.chains)} chain(s)"
        if result.ok:
            extends = f"; extends {args.against}" if args.against else ""
            print(f"ledger ok: {result.entries} entries in {chains}, {result.records_checked} evidence records "
                  f"match{extends}; head {result.head or '(empty)'}")
        elif all(p.kind == "schema" for p in result.problems):
            print(f"ledger NOT VERIFIED: written in a layout or schema this Charter does not read "
                  f"({result.entries} entries)")
        elif all(p.kind == "fork" for p in result.problems):
            print(f"ledger NOT VERIFIED: {len(result.problems)} use case(s) were run on both merged branches; "
                  "re-run them as shown")
        else:
            print(f"ledger TAMPERED: {len(result.problems)} problem(s) in {result.entries} entries and "
                  f"{result.records_checked} records")
    return EXIT_OK if result.ok else EXIT_FAIL
