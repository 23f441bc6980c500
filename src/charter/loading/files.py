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
    base = os.path.join(root, USECASES_DIR)
    try:
        with os.scandir(base) as it:  # one directory read; is_dir() follows symlinks as Path.is_dir does
            folders = sorted(e.name for e in it if not e.name.startswith(".") and e.is_dir())
    except OSError:  # no usecases/ folder (or not a folder)
        folders = []
    for name in folders:
        spec = os.path.join(base, name, USECASE_FILE)
        if _lexists(spec):
            ucs.append(Path(spec))
            continue
        folder = Path(base, name)
        misnamed = sorted(p for p in folder.iterdir() if p.name.lower() in MISNAMED_SPECS)
        ucs.append(misnamed[0] if misnamed else folder / USECASE_FILE)
    return gov, ucs


def _lexists(path: str) -> bool:
    """The path exists or is a symlink (dangling or not): one lstat."""
    try:
        os.lstat(path)
    except OSError:
        return False
    return True


# Names a use-case spec is mistaken for: reported, never read (CODEOWNERS and the
# rest of the tooling know the spec as usecase.yaml only).
MISNAMED_SPECS = ("usecase.yml", "usecase.yaml", "use-case.yaml", "use-case.yml", "use_case.yaml", "use_case.yml")


MAX_SPEC_BYTES = 2 * 1024 * 1024  # a spec is a few KB; anything this big is a mistake or an attack


class SpecRefused(Exception):
    """A spec file that is not read at all (its bytes never reach memory)."""

    def __init__(self, code: str, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.hint = code, message, hint


def read_spec_bytes(root: Path, path: Path, plain_dirs: set[str] | None = None) -> bytes:
    """A spec file's bytes, refusing misnamed or missing use-case specs, paths that
    resolve outside the repository (through a symlink at any level), non-regular files
    (a FIFO would block forever) and oversized files, all before reading.
    Raises SpecRefused, or OSError when the file cannot be read.

    ``plain_dirs`` (a set the caller keeps for one pass over many specs) remembers the
    folders already found to be plain folders, so each is checked once per pass."""
    parts, mode = _plain_path(root, path, plain_dirs)
    if mode is None:  # a symlink on the way, or a path that is not plainly under root: resolve it all
        if root.resolve() not in path.resolve().parents:
            raise SpecRefused("CH025", "the file is a symlink leading outside the repository" if path.is_symlink()
                              else "the file is reached through a symlink leading outside the repository")
    in_usecases = len(parts) == 3 and parts[0] == USECASES_DIR if parts is not None else \
        path.parent.parent == root / USECASES_DIR
    if in_usecases and path.name != USECASE_FILE:
        raise SpecRefused("CH014", f"the use-case spec is named '{path.name}'; Charter reads only '{USECASE_FILE}'",
                          f"rename it to {USECASE_FILE}")
    if in_usecases and mode is None and not (path.exists() or path.is_symlink()):
        raise SpecRefused("CH015", f"the folder {USECASES_DIR}/{path.parent.name}/ has no {USECASE_FILE}",
                          f"add {USECASE_FILE} (see 'charter new'), or move the folder out of {USECASES_DIR}/")
    _check_regular(mode if mode is not None else os.stat(path).st_mode)
    # O_NONBLOCK: a FIFO swapped in after the stat above must not block the open.
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    with os.fdopen(fd, "rb") as fh:
        st = os.fstat(fd)
        _check_regular(st.st_mode)
        if st.st_size > MAX_SPEC_BYTES:
            raise SpecRefused("CH005", f"the file is {st.st_size:,} bytes; specs are limited to {MAX_SPEC_BYTES:,}",
                              "put data in data files referenced by path, not in the spec")
        # Read what fstat saw (a 2 MB read buffer per spec would cost more than the parse
        # of a cached run); a file growing after the fstat is still read, bounded.
        data = fh.read(st.st_size + 1)
        if len(data) > st.st_size:
            data += fh.read(MAX_SPEC_BYTES + 1 - len(data))
        return data


def _plain_path(root: Path, path: Path, plain_dirs: set[str] | None = None) -> tuple[list[str] | None, int | None]:
    """The path's parts below root, and the file's mode when every part exists and none is a symlink.

    Such a path cannot lead outside the repository, so the common case costs one lstat
    per part instead of resolving both paths from the file system root. The mode is
    None (resolve it all) for a symlink on the way or a part that is missing; the
    parts are None for a path not lexically under root."""
    top, full = os.fspath(root), os.fspath(path)
    if not full.startswith(top.rstrip(os.sep) + os.sep):
        return None, None
    parts = full[len(top.rstrip(os.sep)) + 1:].split(os.sep)
    if ".." in parts or "" in parts:
        return parts, None
    cur, mode = top, None
    last = len(parts) - 1
    for i, part in enumerate(parts):
        cur = os.path.join(cur, part)
        if i < last and plain_dirs is not None and cur in plain_dirs:
            continue
        try:
            mode = os.lstat(cur).st_mode
        except OSError:
            return parts, None
        if stat.S_ISLNK(mode):
            return parts, None
        if i < last and plain_dirs is not None:
            plain_dirs.add(cur)
    return parts, mode


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
        if path.is_dir():  # a partitioned data set: its partitions are cached one by one
            from .datasets import dataset_sha256

            return dataset_sha256(path, self.sha256)
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
