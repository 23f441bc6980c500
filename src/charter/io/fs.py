"""Writing files atomically and hashing files and folders: the one implementation of each.

:func:`atomic_write` writes to a temporary file in the target's folder, flushes
and fsyncs it, renames it over the target (``os.replace``) and fsyncs the folder:
a reader sees the old file or the new one, never half of one, whatever happens
to the writing process (Ctrl-C, ``kill -9``, a full disk), and a failed write
leaves no temporary file behind.

:func:`tree_sha256` is the hash evidence records hold for an artifact; its
format is persisted in every record, so it must never change.
"""

from __future__ import annotations

import errno
import hashlib
import os
import tempfile
from pathlib import Path


def _read_umask() -> int:
    # Read once at import (single-threaded): os.umask can only be read by setting it.
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_UMASK = _read_umask()


def fsync_dir(folder: Path) -> None:
    """Make a rename in ``folder`` durable (best effort: some file systems cannot fsync a folder)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write(path: Path, data: bytes | str, *, mode: int | None = None) -> None:
    """Replace ``path`` with ``data`` atomically and durably.

    Text is written as UTF-8 with its line endings untouched. The file keeps the
    permissions of the file it replaces (``mode`` overrides); a new file gets
    the permissions ``open()`` would give it. Raises ``OSError``; on failure the
    old file is unchanged and no temporary file is left.
    """
    path = Path(path)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if mode is None:
        try:
            mode = path.stat().st_mode & 0o7777
        except OSError:
            mode = 0o666 & ~_UMASK
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    fsync_dir(path.parent)


def write_error_message(exc: OSError, what: str) -> str:
    """A one-line explanation of a failed write (a full disk is named as such)."""
    if exc.errno == errno.ENOSPC:
        return f"disk full while writing {what}: no space left on the device; the store is unchanged"
    return f"cannot write {what}: {exc.strerror or exc}"


def file_sha256(path: Path, chunk: int = 1 << 20) -> str:
    """sha256 of a file's bytes, read in chunks (data files can be large)."""
    h = hashlib.sha256()
    with Path(path).open("rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def tree_sha256(path: Path) -> str:
    """A file's sha256, or a folder's: sha256 over ``<relative path>\\0<file sha256>\\n`` of each file, sorted by path.

    The folder form names each file by its POSIX path relative to ``path``, so
    the hash is the same on every machine and changes with any file's name or
    content."""
    path = Path(path)
    if not path.is_dir():
        return file_sha256(path)
    h = hashlib.sha256()
    for f in sorted(path.rglob("*")):
        if f.is_file():
            h.update(f.relative_to(path).as_posix().encode() + b"\0")
            h.update(file_sha256(f).encode() + b"\n")
    return h.hexdigest()


__all__ = ["atomic_write", "file_sha256", "fsync_dir", "tree_sha256", "write_error_message"]
