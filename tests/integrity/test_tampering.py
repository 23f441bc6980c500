"""Evidence that does not match the ledger fails closed: each attack a pull request could try."""

from __future__ import annotations

import json
import shutil

from helpers import current_file, evidence, git_repo, rewrite_json, run_all, verify

from charter.cli.main import main
from charter.engine.hashing import sha256_json
from charter.engine.ledger import Ledger
from charter.engine.store import EvidenceStore


def _repo(tmp_path):  # type: ignore[no-untyped-def]
    root = git_repo(tmp_path / "repo")
    assert run_all(root).ok
    assert verify(root).ok
    return root


def test_an_edited_record_is_tampered_and_fails_the_gate(tmp_path, capsys):
    root = _repo(tmp_path)
    path = current_file(root, "light-a", "drift")
    rewrite_json(path, lambda d: d["results"].update({"forged": True}))
    ev = evidence(root, "light-a")["drift"]
    assert ev.freshness == "tampered" and "differs from what the run wrote" in (ev.reason or "")
    assert "tampered" in (ev.problem() or "")
    assert [p.kind for p in verify(root).problems] == ["record"]
    # the next run does not call it cached: it re-runs the job and the ledger vouches for the new record
    report = run_all(root, "light-a")
    drift = next(r for r in report.runs if r.job == "drift")
    assert not drift.cached and drift.why and drift.why.startswith("tampered")


def test_a_record_renamed_without_a_run_entry_is_never_judged(tmp_path):
    root = git_repo(tmp_path / "repo")
    assert run_all(root).ok
    path = current_file(root, "light-a", "drift")
    record = json.loads(path.read_text())
    # pretend an older record was renamed to the id a changed spec plans: no run entry names it
    record["inputs"]["seed"] = 99
    new_id = sha256_json(record["inputs"])
    record["id"] = new_id
    (path.parent / f"{new_id}.json").write_text(json.dumps(record))
    store = EvidenceStore(root)
    cur = store.current("light-a", "drift", new_id)
    assert cur.state == "tampered" and "no run entry" in (cur.reason or "")
    assert "unrecorded" in [p.kind for p in verify(root).problems]


def test_inputs_that_do_not_hash_to_the_id_are_tampered(tmp_path):
    root = _repo(tmp_path)
    path = current_file(root, "light-a", "drift")
    rewrite_json(path, lambda d: d["inputs"].update({"seed": 5}))
    # re-anchor the edited file in the ledger, as a forger would
    run_entry = EvidenceStore(root).ledger_index().latest[("light-a", "drift")]
    new = path.with_name(path.name)  # same name, new content
    import hashlib

    sha = hashlib.sha256(new.read_bytes()).hexdigest()
    target = new.with_name(f"{run_entry.evidence_id}.{sha[:16]}.json")
    new.rename(target)
    Ledger(root).append_run(use_case="light-a", job="drift", runner="drift", evidence_id=run_entry.evidence_id,
                            status="pass", reason=None, record_sha256=sha, duration_s=1.0)
    ev = evidence(root, "light-a")["drift"]
    assert ev.freshness == "tampered" and "do not hash to its id" in (ev.reason or "")


def test_a_record_copied_from_another_use_case_is_tampered(tmp_path):
    root = _repo(tmp_path)
    src = current_file(root, "light-a", "drift")
    dst = current_file(root, "light-b", "drift")
    shutil.copy(src, dst)
    ev = evidence(root, "light-b")["drift"]
    assert ev.freshness == "tampered"
    kinds = [p.kind for p in verify(root).problems]
    assert "copied" in kinds


def test_a_deleted_current_record_is_missing_not_stale(tmp_path, capsys):
    root = _repo(tmp_path)
    path = current_file(root, "light-a", "drift")
    path.unlink()
    ev = evidence(root, "light-a")["drift"]
    assert ev.freshness == "missing" and "was deleted" in (ev.reason or "")
    res = verify(root)
    assert [p.kind for p in res.problems] == ["missing"]
    assert main(["verify", "--repo", str(root)]) == 1
    assert "missing" in capsys.readouterr().out


def test_a_head_pointing_at_an_earlier_entry_is_reported(tmp_path):
    root = _repo(tmp_path)
    led = Ledger(root)
    first = led.index().chains["light-a"].entries[0]
    led.head_path("light-a").write_text(json.dumps({"seq": first["seq"], "hash": first["hash"]}) + "\n")
    assert [p.kind for p in verify(root).problems] == ["head"]


def test_the_gate_reports_the_tampered_reason(tmp_path):
    import datetime as dt

    import repo_builder as rb

    from charter.assessment import assess

    root = _repo(tmp_path)
    path = current_file(root, "light-a", "contract")
    rewrite_json(path, lambda d: d.update({"status": "pass"}) or d["results"].update({"x": 1}))
    repo = rb.load(root)
    a = assess(repo, EvidenceStore(root), "light-a", dt.date(2026, 6, 1))
    contract = next(j for j in a.jobs if j.job == "contract")
    assert contract.freshness == "tampered"
    assert a.current is not None and a.current.ledger_head == EvidenceStore(root).ledger_head
    assert a.current.ledger_head is not None
