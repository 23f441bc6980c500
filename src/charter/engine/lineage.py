"""Lineage of a run: which code (git commit, dirty flag), Python and platform.

Git is asked with a short timeout; a repository without git (or without the
``git`` program) simply records ``None``.
"""

from __future__ import annotations

import platform
import subprocess
import sys
from functools import lru_cache
from pathlib import Path

from .. import __version__
from ..evidence.records import Lineage

GIT_TIMEOUT_S = 5.0


def _git(root: Path, *args: str) -> str | None:
    try:
        out = subprocess.run(
            ["git", "-C", str(root), *args],
            capture_output=True,
            text=True,
            timeout=GIT_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout if out.returncode == 0 else None


def git_state(root: Path) -> tuple[str | None, bool | None]:
    commit = _git(root, "rev-parse", "HEAD")
    if commit is None:
        return None, None
    status = _git(root, "status", "--porcelain", "--", ".", ":(exclude)evidence", ":(exclude).charter")
    return commit.strip() or None, (bool(status.strip()) if status is not None else None)


@lru_cache(maxsize=8)
def _cached(root: str) -> Lineage:
    commit, dirty = git_state(Path(root))
    return Lineage(
        git_commit=commit,
        git_dirty=dirty,
        charter_version=__version__,
        python=sys.version.split()[0],
        platform=f"{platform.system()}-{platform.machine()}",
    )


def current_lineage(root: Path, *, fresh: bool = False) -> Lineage:
    if fresh:
        _cached.cache_clear()
    return _cached(str(Path(root).resolve()))


def changed_paths(root: Path, ref: str) -> list[str] | None:
    """Paths changed between ``ref`` and the working tree (committed and uncommitted), or None if git fails."""
    merge_base = _git(root, "merge-base", ref, "HEAD")
    base = merge_base.strip() if merge_base else ref
    committed = _git(root, "diff", "--name-only", f"{ref}...HEAD")
    if committed is None:
        return None
    working = _git(root, "diff", "--name-only", base) or ""
    untracked = _git(root, "ls-files", "--others", "--exclude-standard") or ""
    paths = {p.strip() for p in (committed + "\n" + working + "\n" + untracked).splitlines() if p.strip()}
    prefix = _git(root, "rev-parse", "--show-prefix")
    prefix = (prefix or "").strip()
    if prefix:  # the governance repository is a sub-folder of the git repository
        paths = {p[len(prefix):] for p in paths if p.startswith(prefix)}
    return sorted(paths)
