"""io/fs: the one atomic write and the one tree hash."""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from pathlib import Path

import pytest

from charter.io.fs import atomic_write, file_sha256, tree_sha256


def _temp_files(folder: Path) -> list[Path]:
    return [p for p in folder.iterdir() if p.name.endswith(".tmp")]


def test_atomic_write_text_and_bytes(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "out.txt"
    atomic_write(target, "é\r\nline\n")
    assert target.read_bytes() == "é\r\nline\n".encode()  # line endings are not translated
    atomic_write(target, b"\x00\x01")
    assert target.read_bytes() == b"\x00\x01"
    assert _temp_files(target.parent) == []


def test_atomic_write_fsyncs_the_file_and_its_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    synced: list[int] = []
    real = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(fd), real(fd)))
    atomic_write(tmp_path / "a.json", "{}")
    assert len(synced) == 2  # the temporary file before the rename, the folder after it


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temp_file(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "report.md"
    target.write_text("old")

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(OSError):
        atomic_write(target, "new")
    monkeypatch.undo()
    assert target.read_text() == "old" and _temp_files(tmp_path) == []


def test_replacing_a_file_keeps_its_permissions(tmp_path: Path) -> None:
    target = tmp_path / "usecase.yaml"
    target.write_text("a: 1\n")
    target.chmod(0o640)
    atomic_write(target, "a: 2\n")
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    fresh = tmp_path / "new.txt"
    atomic_write(fresh, "x")
    assert stat.S_IMODE(fresh.stat().st_mode) & 0o044  # readable like any new file, not mkstemp's 0600


def _old_store_hash(path: Path) -> str:
    """engine/store.py's artifact hash before the merge into io/fs (its values are in committed records)."""
    if path.is_dir():
        h = hashlib.sha256()
        for f in sorted(path.rglob("*")):
            if f.is_file():
                h.update(f.relative_to(path).as_posix().encode() + b"\0")
                h.update(hashlib.sha256(f.read_bytes()).hexdigest().encode() + b"\n")
        return h.hexdigest()
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_tree_hash_is_the_recorded_artifact_hash(tmp_path: Path) -> None:
    (tmp_path / "m" / "sub").mkdir(parents=True)
    (tmp_path / "m" / "a.txt").write_text("a")
    (tmp_path / "m" / "a.txt.bak").write_text("b")
    (tmp_path / "m" / "sub" / "w.bin").write_bytes(os.urandom(3000))
    assert tree_sha256(tmp_path / "m") == _old_store_hash(tmp_path / "m")
    assert tree_sha256(tmp_path / "m" / "a.txt") == _old_store_hash(tmp_path / "m" / "a.txt") == file_sha256(
        tmp_path / "m" / "a.txt")
    before = tree_sha256(tmp_path / "m")
    (tmp_path / "m" / "sub" / "w.bin").rename(tmp_path / "m" / "sub" / "x.bin")
    assert tree_sha256(tmp_path / "m") != before  # a renamed file changes the hash


def test_the_old_names_are_the_one_implementation() -> None:
    from charter.engine import store
    from charter.loading import files
    from charter.validation import atomic_write_text

    assert store.artifact_sha256 is tree_sha256 and files.sha256_file is file_sha256
    assert atomic_write_text is atomic_write
