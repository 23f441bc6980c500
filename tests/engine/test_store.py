from __future__ import annotations

import errno
import os

import pytest
from repo_builder import make_record

from charter.engine.hashing import sha256_json
from charter.engine.ledger import Ledger
from charter.engine.store import EvidenceStore, StoreError, record_bytes


def _real(seed: str, **kw):  # type: ignore[no-untyped-def]
    """A record whose inputs hash to its id (as the ledger's checks require)."""
    rec = make_record("x" * 64, **kw)
    inputs = rec.inputs.model_copy(update={"spec_sha256": seed})
    return rec.model_copy(update={"inputs": inputs, "id": sha256_json(inputs.model_dump(mode="json"))})


def _commit(store: EvidenceStore, rec):  # type: ignore[no-untyped-def]
    """What a run does: write the record, then the ledger entry that makes it current."""
    stored = store.put(rec)
    Ledger(store.root).append_run(use_case=rec.use_case, job=rec.job, runner=rec.runner, evidence_id=rec.id,
                                  status=rec.status, reason=None, record_sha256=stored.sha256, duration_s=1.0)
    store.forget_index()
    return stored


def _files(root):
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def test_put_get_latest(tmp_path):
    store = EvidenceStore(tmp_path)
    old = _real("a", finished="2026-01-01T00:00:00+00:00")
    new = _real("b", finished="2026-02-01T00:00:00+00:00")
    _commit(store, old)
    stored = _commit(store, new)
    assert stored.path == tmp_path / "evidence/records/credit/train" / f"{new.id}.{stored.sha256[:16]}.json"
    assert store.get("credit", "train", old.id) == old
    assert store.get("credit", "train", "c" * 64) is None
    assert store.latest("credit", "train") == new
    assert store.latest("credit", "nothing") is None
    assert stored.path.read_bytes() == record_bytes(new)


def test_corrupt_records_are_skipped_with_a_warning(tmp_path):
    store = EvidenceStore(tmp_path)
    good = _real("a")
    _commit(store, good)
    folder = tmp_path / "evidence/records/credit/train"
    (folder / f"{'b' * 64}.json").write_text('{"id": "truncated', encoding="utf-8")
    (folder / f"{'c' * 64}.json").write_bytes(b"\xff\xfe not json")
    (folder / f"{'d' * 64}.json").write_bytes(record_bytes(make_record("e" * 64)))  # wrong name
    assert store.get("credit", "train", "b" * 64) is None
    assert store.latest("credit", "train") == good
    assert store.current("credit", "train", "b" * 64).state == "tampered"
    list(store.iter_stored())
    assert len(store.warnings) == 3
    assert any("not a valid evidence record" in w for w in store.warnings)
    assert any("under another id" in w for w in store.warnings)


def test_failed_write_leaves_the_old_record_and_no_temp_file(tmp_path, monkeypatch):
    store = EvidenceStore(tmp_path)
    first = _real("a", finished="2026-01-01T00:00:00+00:00")
    _commit(store, first)
    before = _files(tmp_path)

    def full_disk(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full_disk)
    with pytest.raises(StoreError) as info:
        store.put(_real("a", finished="2026-03-01T00:00:00+00:00"))
    assert "disk full" in str(info.value.strerror)
    monkeypatch.undo()
    assert _files(tmp_path) == before
    assert store.get("credit", "train", first.id) == first


def test_interrupted_write_keeps_the_previous_record(tmp_path, monkeypatch):
    store = EvidenceStore(tmp_path)
    first = _real("a")
    _commit(store, first)

    def killed(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", killed)
    with pytest.raises(KeyboardInterrupt):
        store.put(_real("a", finished="2026-05-01T00:00:00+00:00"))
    monkeypatch.undo()
    assert store.get("credit", "train", first.id) == first
    assert not [p for p in (tmp_path / "evidence").rglob("*.tmp")]


def test_a_partial_temp_file_is_ignored(tmp_path):
    store = EvidenceStore(tmp_path)
    first = _real("a")
    _commit(store, first)
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
