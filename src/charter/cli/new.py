"""`charter new usecase ID`: scaffold a valid, commented spec."""

from __future__ import annotations

import argparse

from .common import add_repo_arg, find_root
from .main import EXIT_INVALID, EXIT_OK, UsageError


def add_parser(p: argparse.ArgumentParser) -> None:
    p.add_argument("what", choices=["usecase"], help="what to create")
    p.add_argument("id", help="the new use case's id (also its folder name)")
    p.add_argument("--title", help="display title")
    add_repo_arg(p)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ..loading.loader import load_repository
    from ..scaffold import ScaffoldError, new_usecase
    from ..validation import atomic_write_text

    root = find_root(Path(args.repo))
    repo = load_repository(root, check_data=False)
    try:
        scaffold = new_usecase(repo, args.id, args.title)
    except ScaffoldError as exc:
        raise UsageError(str(exc)) from None
    path = root / scaffold.path
    atomic_write_text(path, scaffold.text)
    print(f"created {scaffold.path}")
    print(f"next: fill in the definition questions, then run: charter validate {Path(scaffold.path).parent}")
    return EXIT_OK if repo.organisation else EXIT_INVALID
