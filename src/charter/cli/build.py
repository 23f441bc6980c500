"""`charter build`: render the governance site (Jinja2 → Markdown) and build it with MkDocs-Material."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path
from typing import Any

from .common import add_repo_arg, find_root
from .main import EXIT_FAIL, EXIT_INVALID, EXIT_OK, UsageError

SHOWN_WARNINGS = 10


def add_parser(p: argparse.ArgumentParser) -> None:
    add_repo_arg(p)
    add_site_args(p)
    p.add_argument("--strict", action="store_true",
                   help="fail (exit 1) on any warning: MkDocs warnings, spec warnings, unreadable evidence")


def add_site_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", metavar="DIR", type=Path,
                   help="build folder: generated Markdown in DIR/docs, the site in DIR/site "
                        "(default: docs_dir and site_dir of the repository's mkdocs.yml, else build/docs and build/site)")
    p.add_argument("--as-of", metavar="YYYY-MM-DD", type=_date,
                   help="the date gate decisions are made on (expiries are judged against it; default: today). "
                        "The same evidence and date give the same site, byte for byte")
    p.add_argument("--jobs", "-j", type=int, metavar="N",
                   help="processes for the per-use-case pages (default: the CPUs available, at most 4)")
    p.add_argument("--trust-config", action="store_true",
                   help="run the repository's mkdocs.yml as written, with its hooks, plugins, Markdown extensions, "
                        "theme templates and Python tags. Only for trusted branches (such as main after review): "
                        "without it a pull request's mkdocs.yml may hold only data, Charter's theme and plugins "
                        "and Python-Markdown's own extensions")


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date as YYYY-MM-DD, got '{text}'") from None


def build_once(args: argparse.Namespace, root: Path) -> Any:
    """Build the site; raises UsageError for invalid specs or an unsafe output folder."""
    from ..site.build import SiteError, build_site
    from ..site.mkdocs_build import TRUST_HINT, MkDocsConfigError, UntrustedConfig, trusting_config

    if args.jobs is not None and args.jobs < 1:
        raise UsageError("--jobs must be at least 1")
    try:
        with trusting_config(getattr(args, "trust_config", False)):
            return build_site(root, out=args.out, strict=getattr(args, "strict", False), as_of=args.as_of,
                              jobs=args.jobs)
    except SiteError as exc:
        raise UsageError(str(exc)) from None
    except MkDocsConfigError as exc:
        raise UsageError(f"mkdocs.yml: {exc}") from None
    except UntrustedConfig as exc:
        from ..report.escape import safe_text

        raise UsageError(f"{exc.path.name} names what Charter does not run from an untrusted configuration:\n  "
                         + "\n  ".join(safe_text(p) for p in exc.problems) + f"\n{TRUST_HINT}") from None


def summary(report: Any, root: Path) -> list[str]:
    def shown(path: Path) -> str:
        try:
            return path.relative_to(root).as_posix()
        except ValueError:
            return str(path)

    steps = ", ".join(f"{name} {seconds:.1f}s" for name, seconds in report.timings.items())
    return [
        (f"built {report.usecases} use case(s): {report.pages} pages and {report.exports} exports "
         f"in {report.seconds:.1f}s ({steps})"),
        (f"site: {shown(report.site_dir)}/ ({report.site_bytes / 1e6:.1f} MB in {report.site_files:,} files); "
         f"generated Markdown: {shown(report.docs_dir)}/"),
    ]


def run(args: argparse.Namespace) -> int:
    root = find_root(Path(args.repo))
    report = build_once(args, root)
    for err in report.errors:
        print(f"error: {err}", file=sys.stderr)
    for w in report.warnings[:SHOWN_WARNINGS]:
        print(f"warning: {w}", file=sys.stderr)
    if len(report.warnings) > SHOWN_WARNINGS:
        print(f"… and {len(report.warnings) - SHOWN_WARNINGS} more warning(s)", file=sys.stderr)
    if report.errors:
        print("charter build: the site was not built completely", file=sys.stderr)
        return EXIT_FAIL
    for line in summary(report, root):
        print(line)
    if args.strict and report.warnings:
        print(f"charter build: {len(report.warnings)} warning(s) and --strict", file=sys.stderr)
        return EXIT_FAIL
    return EXIT_OK


__all__ = ["EXIT_INVALID", "add_parser", "run"]
