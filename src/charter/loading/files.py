"""Reading files inside the repository, and only inside it."""

from __future__ import annotations

import os
import stat
from pathlib import Path, PurePosixPath

from ..io.fs import file_sha256

GOVERNANCE_DIR = "governance"
USECASES_DIR = "usecases"
USECASE_FILE = "usecase.yaml"
RECORDS_DIR = "evidence/records"
"""Committed evidence records (see engine/store.py); listed here so a git tree can be read without the engine."""


def discover(root: Path) -> tuple[list[Path], list[Path]]:
    """The spec files of a repository: governance documents, then use cases.

    Every folder under ``usecases/`` yields one path, ``usecase.yaml`` or what stands
    in for it (a misnamed ``usecase.yml``, or the missing file itself), so that
    reading it reports the folder instead of the use case silently vanishing."""
    gov = sorted(p for p in (root / GOVERNANCE_DIR).glob("*.y*ml") if p.suffix in (".yaml", ".yml"))
    ucs: list[Path] = []
    base = root / USECASES_DIR
    folders = sorted(p for p in base.iterdir() if p.is_dir() and not p.name.startswith(".")) if base.is_dir() else []
    for folder in folders:
        spec = folder / USECASE_FILE
        if spec.exists() or spec.is_symlink():
            ucs.append(spec)
            continue
        misnamed = sorted(p for p in folder.iterdir() if p.name.lower() in MISNAMED_SPECS)
        ucs.append(misnamed[0] if misnamed else spec)
    return gov, ucs


# Names a use-case spec is mistaken for: reported, never read (CODEOWNERS and the
# rest of the tooling know the spec as usecase.yaml only).
MISNAMED_SPECS = ("usecase.yml", "usecase.yaml", "use-case.yaml", "use-case.yml", "use_case.yaml", "use_case.yml")


MAX_SPEC_BYTES = 2 * 1024 * 1024  # a spec is a few KB; anything this big is a mistake or an attack


class SpecRefused(Exception):
    """A spec file that is not read at all (its bytes never reach memory)."""

    def __init__(self, code: str, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.hint = code, message, hint


def read_spec_bytes(root: Path, path: Path) -> bytes:
    """A spec file's bytes, refusing misnamed or missing use-case specs, paths that
    resolve outside the repository (through a symlink at any level), non-regular files
    (a FIFO would block forever) and oversized files, all before reading.
    Raises SpecRefused, or OSError when the file cannot be read."""
    if root.resolve() not in path.resolve().parents:
        raise SpecRefused("CH025", "the file is a symlink leading outside the repository" if path.is_symlink()
                          else "the file is reached through a symlink leading outside the repository")
    in_usecases = path.parent.parent == root / USECASES_DIR
    if in_usecases and path.name != USECASE_FILE:
        raise SpecRefused("CH014", f"the use-case spec is named '{path.name}'; Charter reads only '{USECASE_FILE}'",
                          f"rename it to {USECASE_FILE}")
    if in_usecases and not (path.exists() or path.is_symlink()):
        raise SpecRefused("CH015", f"the folder {USECASES_DIR}/{path.parent.name}/ has no {USECASE_FILE}",
                          f"add {USECASE_FILE} (see 'charter new'), or move the folder out of {USECASES_DIR}/")
    _check_regular(os.stat(path).st_mode)
    # O_NONBLOCK: a FIFO swapped in after the stat above must not block the open.
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    with os.fdopen(fd, "rb") as fh:
        st = os.fstat(fd)
        _check_regular(st.st_mode)
        if st.st_size > MAX_SPEC_BYTES:
            raise SpecRefused("CH005", f"the file is {st.st_size:,} bytes; specs are limited to {MAX_SPEC_BYTES:,}",
                              "put data in data files referenced by path, not in the spec")
        return fh.read(MAX_SPEC_BYTES + 1)  # a file growing after the fstat is still bounded


def _check_regular(mode: int) -> None:
    if not stat.S_ISREG(mode):
        kind = "a folder" if stat.S_ISDIR(mode) else "a FIFO" if stat.S_ISFIFO(mode) else \
            "a socket" if stat.S_ISSOCK(mode) else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "a special file"
        raise SpecRefused("CH008", f"the spec is {kind}, not a regular file", "a spec is a plain YAML file")


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
