"""Lineage of a run: which code (git commit, dirty flag), Python and platform.

Git is asked with a short timeout; a repository without git (or without the
``git`` program) simply records ``None``.
"""

from __future__ import annotations

import platform
import sys
from functools import lru_cache
from pathlib import Path

from .. import __version__
from ..evidence.records import Lineage
from ..io import git


def git_state(root: Path) -> tuple[str | None, bool | None]:
    """(commit, dirty) of the governance repository; None for what git cannot tell."""
    return git.head_state(root)


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
    return git.changed_paths(root, ref)
