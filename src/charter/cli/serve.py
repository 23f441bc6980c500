"""`charter serve`: build the governance site and preview it on localhost, rebuilding on changes."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from .build import add_site_args, build_once, summary
from .common import add_repo_arg, find_root
from .main import EXIT_OK, UsageError

HOST = "127.0.0.1"
WATCHED = ("governance", "usecases", "evidence", "site", "mkdocs.yml")


def add_parser(p: argparse.ArgumentParser) -> None:
    add_repo_arg(p)
    add_site_args(p)
    p.add_argument("--port", type=int, default=8000, help="port on 127.0.0.1 (default: 8000)")


def run(args: argparse.Namespace) -> int:
    from mkdocs.livereload import LiveReloadServer

    root = find_root(Path(args.repo))
    args.strict = False
    report = build_once(args, root)
    for line in summary(report, root):
        print(line)
    for err in report.errors:
        print(f"error: {err}", file=sys.stderr)

    def rebuild() -> None:
        try:
            again = build_once(args, root)
        except UsageError as exc:  # keep serving the last good site
            print(f"charter serve: not rebuilt: {exc}", file=sys.stderr)
            return
        print(summary(again, root)[0])
        for err in again.errors:
            print(f"error: {err}", file=sys.stderr)

    logging.getLogger("mkdocs.livereload").setLevel(logging.WARNING)
    server = LiveReloadServer(builder=rebuild, host=HOST, port=args.port, root=str(report.site_dir))
    for name in WATCHED:
        if (root / name).exists():
            server.watch(str(root / name))
    print(f"serving {report.site_dir} on http://{HOST}:{args.port}/ (Ctrl-C to stop)")
    try:
        server.serve()
    except OSError as exc:
        raise UsageError(f"cannot serve on {HOST}:{args.port}: {exc.strerror or exc}") from None
    except KeyboardInterrupt:
        print("\nstopped")
    finally:
        server.shutdown()
    return EXIT_OK
