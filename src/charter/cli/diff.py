"""`charter diff --base GIT_REF`: the governance change of a pull request, for a PR comment or a script.

The base is read from git objects (no checkout), so it works in a shallow clone
once the base commit is fetched. Exit 0 with the report; 2 for an unknown ref,
a folder outside git, or invalid specs in the working tree.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .common import add_format_arg, add_repo_arg, find_root, parse_date, require_valid, write_output
from .main import EXIT_OK


def add_parser(p: argparse.ArgumentParser) -> None:
    p.add_argument("--base", required=True, metavar="GIT_REF", help="the ref to compare with (for example origin/main)")
    add_format_arg(p, ["markdown", "json"], default="markdown")
    p.add_argument("--output", "-o", metavar="FILE", help="write the report to FILE instead of standard output")
    p.add_argument("--on", metavar="DATE", help="judge expiries as of this date (YYYY-MM-DD; default: today)")
    add_repo_arg(p)


def run(args: argparse.Namespace) -> int:
    from ..diffing import diff, format_json, format_markdown, resolve_ref
    from ..engine.store import EvidenceStore

    today = parse_date(args.on, "--on")
    root = find_root(Path(args.repo))
    resolve_ref(root, args.base)  # an unknown ref (DiffError, exit 2) is reported before any loading
    repo = require_valid(root, "diff")
    result = diff(root, args.base, repo, EvidenceStore(root), today=today)
    text = format_json(result) if args.format == "json" else format_markdown(result)
    if args.output:
        write_output(args.output, text)
        print(f"wrote {args.output}", file=sys.stderr)
    else:
        print(text)
    return EXIT_OK
