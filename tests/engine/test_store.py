from __future__ import annotations

import errno
import os

import pytest
from repo_builder import make_record

from charter.engine.store import EvidenceStore, StoreError, record_bytes


def _files(root):
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def test_put_get_latest(tmp_path):
    store = EvidenceStore(tmp_path)
    old = make_record("a" * 64, finished="2026-01-01T00:00:00+00:00")
    new = make_record("b" * 64, finished="2026-02-01T00:00:00+00:00")
    store.put(old)
    stored = store.put(new)
    assert stored.path == tmp_path / "evidence/records/credit/train" / f"{'b' * 64}.json"
    assert store.get("credit", "train", "a" * 64) == old
    assert store.get("credit", "train", "c" * 64) is None
    assert store.latest("credit", "train") == new
    assert store.latest("credit", "nothing") is None
    assert stored.path.read_bytes() == record_bytes(new)


def test_corrupt_records_are_skipped_with_a_warning(tmp_path):
    store = EvidenceStore(tmp_path)
    good = make_record("a" * 64)
    store.put(good)
    folder = tmp_path / "evidence/records/credit/train"
    (folder / f"{'b' * 64}.json").write_text('{"id": "truncated', encoding="utf-8")
    (folder / f"{'c' * 64}.json").write_bytes(b"\xff\xfe not json")
    (folder / f"{'d' * 64}.json").write_bytes(record_bytes(make_record("e" * 64)))  # wrong name
    assert store.get("credit", "train", "b" * 64) is None
    assert store.latest("credit", "train") == good
    assert len(store.warnings) == 3
    assert any("not a valid evidence record" in w for w in store.warnings)
    assert any("under another id" in w for w in store.warnings)


def test_failed_write_leaves_the_old_record_and_no_temp_file(tmp_path, monkeypatch):
    store = EvidenceStore(tmp_path)
    first = make_record("a" * 64, finished="2026-01-01T00:00:00+00:00")
    store.put(first)
    before = _files(tmp_path)

    def full_disk(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full_disk)
    with pytest.raises(StoreError) as info:
        store.put(make_record("a" * 64, finished="2026-03-01T00:00:00+00:00"))
    assert "disk full" in str(info.value.strerror)
    monkeypatch.undo()
    assert _files(tmp_path) == before
    assert store.get("credit", "train", "a" * 64) == first


def test_interrupted_write_keeps_the_previous_record(tmp_path, monkeypatch):
    store = EvidenceStore(tmp_path)
    first = make_record("a" * 64)
    store.put(first)

    def killed(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", killed)
    with pytest.raises(KeyboardInterrupt):
        store.put(make_record("a" * 64, finished="2026-05-01T00:00:00+00:00"))
    monkeypatch.undo()
    assert store.get("credit", "train", "a" * 64) == first
    assert not [p for p in (tmp_path / "evidence").rglob("*.tmp")]


def test_a_partial_temp_file_is_ignored(tmp_path):
    store = EvidenceStore(tmp_path)
    first = make_record("a" * 64)
    store.put(first)
    folder = tmp_path / "evidence/records/credit/train"
    (folder / f".{'b' * 64}.json.x1y2.tmp").write_bytes(record_bytes(make_record("b" * 64))[:40])
    assert store.latest("credit", "train") == first
    assert [s.record for s in store.iter_stored()] == [first]
    assert store.warnings == []


def test_artifact_paths_stay_inside_the_store(tmp_path):
    store = EvidenceStore(tmp_path)
    art = store.put_artifact("credit", "train", "a" * 64, "model.bin", b"abc")
    assert store.artifact_path(art.path).read_bytes() == b"abc"
    assert art.bytes == 3
    with pytest.raises(ValueError):
        store.artifact_path("../../etc/passwd")
    with pytest.raises(ValueError):
        store.record_path("credit", "../x", "a" * 64)
