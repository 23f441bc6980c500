"""Reading files inside the repository, and only inside it."""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath

from ..io.fs import file_sha256

GOVERNANCE_DIR = "governance"
USECASES_DIR = "usecases"
USECASE_FILE = "usecase.yaml"
RECORDS_DIR = "evidence/records"
"""Committed evidence records (see engine/store.py); listed here so a git tree can be read without the engine."""


def discover(root: Path) -> tuple[list[Path], list[Path]]:
    """The spec files of a repository: governance documents, then use cases."""
    gov = sorted(p for p in (root / GOVERNANCE_DIR).glob("*.y*ml") if p.suffix in (".yaml", ".yml"))
    ucs = sorted((root / USECASES_DIR).glob(f"*/{USECASE_FILE}"))
    return gov, ucs


MAX_SPEC_BYTES = 2 * 1024 * 1024  # a spec is a few KB; anything this big is a mistake or an attack


class SpecRefused(Exception):
    """A spec file that is not read at all (its bytes never reach memory)."""

    def __init__(self, code: str, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.hint = code, message, hint


def read_spec_bytes(root: Path, path: Path) -> bytes:
    """A spec file's bytes, refusing symlinks out of the repository and oversized files
    before reading. Raises SpecRefused, or OSError when the file cannot be read."""
    if path.is_symlink() and root.resolve() not in path.resolve().parents:
        raise SpecRefused("CH025", "the file is a symlink leading outside the repository")
    size = path.stat().st_size
    if size > MAX_SPEC_BYTES:
        raise SpecRefused("CH005", f"the file is {size:,} bytes; specs are limited to {MAX_SPEC_BYTES:,}",
                          "put data in data files referenced by path, not in the spec")
    return path.read_bytes()


class PathEscape(ValueError):
    """A path that leaves the repository (absolute, '..', or a symlink out)."""


def resolve_inside(root: Path, base: Path, relpath: str) -> Path:
    """Resolve relpath (relative to base) and refuse anything outside root."""
    if not relpath or "\x00" in relpath:
        raise PathEscape("the path is empty or contains a NUL byte")
    pure = PurePosixPath(relpath.replace("\\", "/"))
    if pure.is_absolute() or (len(relpath) > 1 and relpath[1] == ":"):
        raise PathEscape("absolute paths are not allowed; give a path relative to the use case folder")
    candidate = (base / pure).resolve()
    root_real = root.resolve()
    if candidate != root_real and root_real not in candidate.parents:
        raise PathEscape("the path leads outside the repository")
    return candidate


sha256_file = file_sha256  # the one file hash (io/fs); the name stays for the runners that import it


class HashCache:
    """sha256 of data files keyed by (size, mtime_ns, inode): unchanged files are not re-read."""

    def __init__(self) -> None:
        self.entries: dict[str, tuple[int, int, int, str]] = {}
        self.dirty = False

    def sha256(self, path: Path) -> str:
        st = path.stat()
        key = str(path)
        hit = self.entries.get(key)
        if hit and hit[:3] == (st.st_size, st.st_mtime_ns, st.st_ino):
            return hit[3]
        digest = sha256_file(path)
        self.entries[key] = (st.st_size, st.st_mtime_ns, st.st_ino, digest)
        self.dirty = True
        return digest


def rel(root: Path, path: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return os.path.relpath(path, root).replace(os.sep, "/")
