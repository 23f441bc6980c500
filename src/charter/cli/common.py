"""Helpers shared by the verbs: finding the repository, loading it once, dates, output files.

Every verb imports its helpers from here (never from another verb), so the CLI
modules form no import cycle.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import SpecInvalid, UsageError

if TYPE_CHECKING:
    from ..loading.loader import Repository


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


def parse_date(value: str | None, option: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"{option}: expected a date as YYYY-MM-DD, got '{value}'") from None


def require_valid(root: Path, verb: str, fmt: str = "text") -> Repository:
    """The repository, loaded once; SpecInvalid (exit 2, with the first errors) when the specs are invalid.

    With ``fmt == "github"`` the errors are also printed as workflow annotations."""
    from ..report.diagnostics import format_github, summary_line
    from ..validation import load_validated

    result, repo = load_validated(root)
    if repo is not None and repo.ok:
        return repo
    diags = repo.errors if repo is not None else [d for d in result.diagnostics if d.severity == "error"]
    if fmt == "github":
        print(format_github(diags))
    lines = [f"the specs are invalid ({summary_line(diags, result.files)}); nothing was judged"]
    for d in diags[:10]:
        loc = d.file + (f":{d.line}" if d.line else "") + (f":{d.column}" if d.line and d.column else "")
        lines.append(f"  {loc}: {d.severity}[{d.code}] " + (f"{d.path}: " if d.path else "") + d.message)
    if len(diags) > 10:
        lines.append(f"  … and {len(diags) - 10} more")
    lines.append("run `charter validate` for the details and hints")
    raise SpecInvalid("\n".join(lines))


def load_valid(root: Path, verb: str, fmt: str = "text") -> Repository | None:
    """:func:`require_valid` for verbs that exit 2 themselves: on invalid specs print why and return None."""
    try:
        return require_valid(root, verb, fmt)
    except SpecInvalid as exc:
        print(f"charter {verb}: {exc}", file=sys.stderr)
        return None


def select_usecases(repo: Any, wanted: list[str]) -> list[str]:
    """The use case ids asked for (all when none), each checked to exist."""
    from ..diagnostics import did_you_mean, known_list

    if not wanted:
        return sorted(repo.usecases)
    for uc_id in wanted:
        if uc_id not in repo.usecases:
            hint = did_you_mean(uc_id, repo.usecases) or f"use cases: {known_list(repo.usecases) or 'none'}"
            raise UsageError(f"unknown use case '{uc_id}' ({hint})")
    return list(dict.fromkeys(wanted))


def git_prefix(root: Path) -> str:
    """The repository root's folder inside its git checkout ('' at the top or outside git)."""
    from ..io import git

    return git.prefix(root)


def write_output(path: str, text: str) -> None:
    """Write a report file atomically (with a final newline); a failure is the user's to fix."""
    from ..io.fs import atomic_write

    try:
        atomic_write(Path(path), text if text.endswith("\n") else text + "\n")
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None
