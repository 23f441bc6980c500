"""Helpers shared by the verbs: finding the repository, loading it once."""

from __future__ import annotations

import argparse
from pathlib import Path

from .main import UsageError


def find_root(start: Path) -> Path:
    """The nearest folder at or above start holding governance/ or usecases/."""
    start = start.resolve()
    if not start.exists():
        raise UsageError(f"{start} does not exist")
    here = start if start.is_dir() else start.parent
    for folder in (here, *here.parents):
        if (folder / "governance").is_dir() or (folder / "usecases").is_dir():
            return folder
    raise UsageError(f"no governance repository (a folder with governance/ or usecases/) at or above {start}")


def add_repo_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--repo", default=".", metavar="PATH", help="governance repository root (default: the current folder)")


def add_format_arg(p: argparse.ArgumentParser, choices: list[str], default: str = "text") -> None:
    p.add_argument("--format", "-f", choices=choices, default=default, help=f"output format (default: {default})")
