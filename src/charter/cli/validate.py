"""`charter validate [PATH]`: every problem in one run, with file:line:column."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from .common import add_format_arg, find_root
from .main import EXIT_INVALID, EXIT_OK


def add_parser(p: argparse.ArgumentParser) -> None:
    p.add_argument("path", nargs="?", default=".", help="repository, or a folder or file inside it (default: .)")
    add_format_arg(p, ["text", "json", "github"])
    p.add_argument("--no-cache", action="store_true", help="ignore the validation cache")
    p.add_argument("--strict", action="store_true", help="treat warnings as errors")


def run(args: argparse.Namespace) -> int:
    from ..report.diagnostics import format_github, format_json, format_text, summary_line
    from ..validation import validate

    target = Path(args.path)
    root = find_root(target)
    result = validate(root, use_cache=not args.no_cache)
    diags = result.diagnostics
    scope = target.resolve()
    if scope != root:  # report only what lies under the given path; validate all for cross-references
        diags = [d for d in diags if (root / d.file).resolve() == scope or scope in (root / d.file).resolve().parents]
    if args.format == "json":
        print(format_json(diags, result.files))
    elif args.format == "github":
        out = format_github(diags)
        if out:
            print(out)
        print(summary_line(diags, result.files), file=sys.stderr)
    else:
        color = sys.stdout.isatty() and "NO_COLOR" not in os.environ
        out = format_text(diags, result.sources, color=color)
        if out:
            print(out)
            print()
        print(summary_line(diags, result.files))
    failing = [d for d in diags if d.severity == "error" or args.strict]
    return EXIT_INVALID if failing else EXIT_OK
