from __future__ import annotations

import itertools
import json
import threading

from repo_builder import make_record

from charter.cli.main import main
from charter.engine.ledger import GENESIS, Ledger
from charter.engine.store import EvidenceStore


def _ledger(tmp_path, n: int = 5) -> Ledger:
    led = Ledger(tmp_path)
    for i in range(n):
        led.append("run" if i % 2 == 0 else "decision", {"i": i, "use_case": "credit"})
    return led


def _lines(led: Ledger) -> list[str]:
    return led.chain_path("credit").read_text().splitlines(keepends=True)


def _write(led: Ledger, lines: list[str]) -> None:
    led.chain_path("credit").write_text("".join(lines))


def test_chain_is_valid(tmp_path):
    led = _ledger(tmp_path)
    res = led.verify()
    assert res.ok and res.entries == 5
    entries = led.entries()
    assert entries[0]["prev"] == GENESIS and entries[0]["seq"] == 1
    assert all(b["prev"] == a["hash"] for a, b in itertools.pairwise(entries))
    assert res.chains["credit"] == entries[-1]["hash"]


def test_edited_entry_is_found_on_its_line(tmp_path):
    led = _ledger(tmp_path)
    lines = _lines(led)
    entry = json.loads(lines[2])
    entry["payload"]["i"] = 99
    lines[2] = json.dumps(entry, sort_keys=True, separators=(",", ":")) + "\n"
    _write(led, lines)
    res = led.verify()
    assert not res.ok
    assert [(p.kind, p.line) for p in res.problems] == [("edited", 3)]


def test_edited_entry_with_recomputed_hash_breaks_the_chain(tmp_path):
    from charter.engine.ledger import entry_hash

    led = _ledger(tmp_path)
    lines = _lines(led)
    entry = json.loads(lines[1])
    entry["payload"]["i"] = 42
    entry["hash"] = entry_hash(entry["seq"], entry["prev"], entry["at"], entry["type"], entry["payload"])
    lines[1] = json.dumps(entry) + "\n"
    _write(led, lines)
    res = led.verify()
    assert not res.ok
    assert (res.problems[0].kind, res.problems[0].line) == ("edited", 3)


def test_removed_entry(tmp_path):
    led = _ledger(tmp_path)
    lines = _lines(led)
    del lines[1]
    _write(led, lines)
    res = led.verify()
    assert [(p.kind, p.line) for p in res.problems] == [("removed", 2)]
    assert "seq 2" in res.problems[0].message


def test_reordered_entries(tmp_path):
    led = _ledger(tmp_path)
    lines = _lines(led)
    lines[1], lines[2] = lines[2], lines[1]
    _write(led, lines)
    res = led.verify()
    kinds = [(p.kind, p.line) for p in res.problems]
    assert kinds == [("reordered", 2)]


def test_entries_cut_off_the_end(tmp_path):
    led = _ledger(tmp_path)
    _write(led, _lines(led)[:-2])
    res = led.verify()
    assert [p.kind for p in res.problems] == ["truncated"]
    assert "seq 5" in res.problems[0].message and res.problems[0].file == "evidence/ledger/credit.head"


def test_line_cut_in_the_middle(tmp_path):
    led = _ledger(tmp_path)
    raw = led.chain_path("credit").read_bytes()
    led.chain_path("credit").write_bytes(raw[:-30])
    res = led.verify()
    assert ("truncated", 5) in [(p.kind, p.line) for p in res.problems]


def test_append_after_a_partial_line_starts_a_new_line(tmp_path):
    led = _ledger(tmp_path, 2)
    with led.chain_path("credit").open("ab") as fh:
        fh.write(b'{"seq": 3, "partial')
    entry = led.append("run", {"after": "crash", "use_case": "credit"})
    assert entry["seq"] == 3 and entry["prev"] == led.entries()[1]["hash"]
    res = led.verify()
    assert [(p.kind, p.line) for p in res.problems] == [("corrupt", 3)]


def test_expected_head(tmp_path):
    led = _ledger(tmp_path, 3)
    head = led.verify().head
    assert led.verify(expected_head=head).ok
    assert not led.verify(expected_head="0" * 64).ok


def test_concurrent_appends_stay_chained(tmp_path):
    led = Ledger(tmp_path)

    def work(k: int) -> None:
        for i in range(15):
            Ledger(tmp_path).append("run", {"thread": k, "i": i, "use_case": "credit"})

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    res = led.verify()
    assert res.ok and res.entries == 60
    assert [e["seq"] for e in led.entries()] == list(range(1, 61))


def _recorded(tmp_path):  # type: ignore[no-untyped-def]
    """A store and ledger holding one record of credit/train, made current by its run entry."""
    store = EvidenceStore(tmp_path)
    led = Ledger(tmp_path)
    rec = make_record("a" * 64)
    stored = store.put(rec)
    led.append_run(use_case="credit", job="train", runner="sklearn-train", evidence_id=rec.id, status="pass",
                   reason=None, record_sha256=stored.sha256, duration_s=1.0)
    return store, led, rec, stored


def test_records_are_checked_against_their_run_entries(tmp_path):
    store, led, rec, stored = _recorded(tmp_path)
    assert led.verify(store=store).ok
    # an edited record
    data = json.loads(stored.path.read_text())
    data["results"] = {"x": 2}
    stored.path.write_text(json.dumps(data))
    res = led.verify(store=store)
    assert [p.kind for p in res.problems] == ["record"]
    assert all(p.file == stored.path.relative_to(tmp_path).as_posix() for p in res.problems)
    # a record the ledger never saw is reported, never judged
    stored.path.write_bytes(stored.path.read_bytes())
    store.put(rec)
    other = store.put(make_record("b" * 64))
    res = led.verify(store=store)
    assert [(p.kind, p.file.endswith(other.path.name)) for p in res.problems if p.kind != "record"] == \
        [("unrecorded", True)]


def test_cli_verify_exit_codes(tmp_path, capsys):
    (tmp_path / "governance").mkdir()
    led = _ledger(tmp_path, 3)
    assert main(["verify", "--repo", str(tmp_path)]) == 0
    assert "ledger ok" in capsys.readouterr().out
    lines = _lines(led)
    del lines[1]
    _write(led, lines)
    assert main(["verify", "--repo", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "evidence/ledger/credit.jsonl:2: removed" in out
    assert main(["verify", "--repo", str(tmp_path), "--format", "json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["ok"] is False and data["problems"][0]["line"] == 2


def test_an_entry_copied_into_another_chain_vouches_for_nothing(tmp_path):
    """A run entry of use case A moved into B's chain must not make A's record current (A has no chain now)."""
    store, led, rec, _ = _recorded(tmp_path)
    assert store.current("credit", "train", rec.id).stored is not None  # named by its run entry
    led.chain_path("credit").rename(led.chain_path("other"))
    led.head_path("credit").rename(led.head_path("other"))
    fresh = EvidenceStore(tmp_path)
    current = fresh.current("credit", "train", rec.id)
    assert current.stored is None and current.state == "tampered"
    assert "written by no run entry" in (current.reason or "")
    assert "copied" in {p.kind for p in Ledger(tmp_path).verify(store=fresh).problems}
