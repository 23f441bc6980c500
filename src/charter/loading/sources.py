"""Where the loader reads spec files from: the working tree on disk, or a git commit.

Both answer the same three questions (is there such a folder, which spec files
are there, what are a file's bytes), so :func:`charter.loading.loader.load_repository`
is the only loader, whether ``validate`` reads the working tree or ``diff``
reads the base commit. A git tree is read from git objects, never checked out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Protocol

from .files import (
    GOVERNANCE_DIR,
    MAX_SPEC_BYTES,
    RECORDS_DIR,
    USECASE_FILE,
    USECASES_DIR,
    SpecRefused,
    discover,
    read_spec_bytes,
    rel,
)


class SpecSource(Protocol):
    """What the loader reads: a :class:`WorkTree` or a :class:`GitTree`."""

    @property
    def root(self) -> Path:
        """The repository root on disk (data files and model folders are resolved against it)."""
        ...

    def has_dir(self, name: str) -> bool: ...

    def spec_paths(self) -> tuple[list[str], list[str]]:
        """Root-relative POSIX paths of the governance documents, then of the use case specs (sorted)."""
        ...

    def read(self, relpath: str) -> bytes:
        """A spec file's bytes; raises SpecRefused (never read) or OSError."""
        ...


@dataclass
class WorkTree:
    """The repository's files on disk."""

    root: Path
    preread: dict[str, bytes] = field(default_factory=dict)
    """Root-relative path → bytes already read through ``read_spec_bytes`` (validation reads them for its key)."""

    def __post_init__(self) -> None:
        self.root = Path(self.root).resolve()

    def has_dir(self, name: str) -> bool:
        return (self.root / name).is_dir()

    def spec_paths(self) -> tuple[list[str], list[str]]:
        gov, ucs = discover(self.root)
        return [rel(self.root, p) for p in gov], [rel(self.root, p) for p in ucs]

    def read(self, relpath: str) -> bytes:
        hit = self.preread.get(relpath)
        return hit if hit is not None else read_spec_bytes(self.root, self.root / relpath)


class GitTree:
    """The repository as committed at ``commit``: specs and evidence records, read from git objects.

    ``root`` is the working tree's repository root (inside the git checkout); the
    commit is read at the same place inside the git repository."""

    def __init__(self, root: Path, commit: str) -> None:
        from ..io import git

        self.root = Path(root).resolve()
        self.commit = commit
        _, self.prefix = git.location(self.root)
        entries = git.ls_tree(self.root, commit, [f"{self.prefix}{d}" for d in (GOVERNANCE_DIR, USECASES_DIR,
                                                                                 RECORDS_DIR)])
        self.entries: dict[str, git.TreeEntry] = {}
        for path, entry in entries.items():
            if path.startswith(self.prefix):
                self.entries[path[len(self.prefix):]] = entry
        gov, ucs = [], []
        for relpath in sorted(self.entries):
            parts = PurePosixPath(relpath).parts
            if parts[0] == GOVERNANCE_DIR and len(parts) == 2 and relpath.endswith((".yaml", ".yml")):
                gov.append(relpath)
            elif parts[0] == USECASES_DIR and len(parts) == 3 and parts[2] == USECASE_FILE:
                ucs.append(relpath)
        self._specs = (gov, ucs)
        wanted = [r for r in gov + ucs if not self.entries[r].is_symlink]
        blobs = git.cat_blobs(self.root, [self.entries[r].oid for r in wanted])
        self._bytes = {r: blobs[self.entries[r].oid] for r in wanted if self.entries[r].oid in blobs}

    def has_dir(self, name: str) -> bool:
        return any(r.startswith(name + "/") for r in self.entries)

    def spec_paths(self) -> tuple[list[str], list[str]]:
        return list(self._specs[0]), list(self._specs[1])

    def read(self, relpath: str) -> bytes:
        entry = self.entries.get(relpath)
        if entry is None:
            raise FileNotFoundError(2, f"not in commit {self.commit[:12]}", relpath)
        if entry.is_symlink:  # its blob is a path, not a spec: the working tree's rule, applied to the commit
            raise SpecRefused("CH025", "the file is a symbolic link (not read from the commit)")
        data = self._bytes.get(relpath)
        if data is None:
            raise FileNotFoundError(2, f"object {entry.oid[:12]} is missing from the clone", relpath)
        if len(data) > MAX_SPEC_BYTES:
            raise SpecRefused("CH005", f"the file is {len(data):,} bytes; specs are limited to {MAX_SPEC_BYTES:,}",
                              "put data in data files referenced by path, not in the spec")
        return data

    def spec_bytes(self) -> dict[str, bytes]:
        """Root-relative path → bytes of every spec file (including ones that do not parse)."""
        return {r: self._bytes.get(r, b"") for r in self._specs[0] + self._specs[1]}

    def files_under(self, folder: str) -> list[str]:
        """Root-relative paths of the committed files under ``folder``."""
        return sorted(r for r in self.entries if r.startswith(folder.rstrip("/") + "/"))

    def read_many(self, relpaths: list[str]) -> dict[str, bytes]:
        """Bytes of several committed files in one git call (missing objects are left out)."""
        from ..io import git

        blobs = git.cat_blobs(self.root, [self.entries[r].oid for r in relpaths if r in self.entries])
        return {r: blobs[self.entries[r].oid] for r in relpaths if r in self.entries and self.entries[r].oid in blobs}


__all__ = ["GitTree", "SpecSource", "WorkTree"]
