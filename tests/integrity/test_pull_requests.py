"""The ledger in a pull-request workflow: parallel branches, reproduction, rewrites, crashes, gc."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from helpers import commit, current_file, evidence, git, git_repo, rewrite_json, run_all, verify

from charter.cli.main import main
from charter.engine.ledger import Ledger, entry_hash
from charter.engine.store import EvidenceStore


def _merge(root, branch):  # type: ignore[no-untyped-def]
    return subprocess.run(["git", "-C", str(root), "merge", "--no-edit", "-q", branch], capture_output=True,
                          text=True, check=False)


def test_branches_that_ran_different_use_cases_merge_and_verify(tmp_path, capsys):
    root = git_repo(tmp_path / "repo")
    git(root, "checkout", "-q", "-b", "a")
    assert run_all(root, "light-a").ok
    commit(root, "run light-a")
    git(root, "checkout", "-q", "main")
    git(root, "checkout", "-q", "-b", "b")
    assert run_all(root, "light-b").ok
    commit(root, "run light-b")
    git(root, "checkout", "-q", "main")
    assert _merge(root, "a").returncode == 0
    assert _merge(root, "b").returncode == 0  # plain git merge, no conflict
    assert main(["verify", "--repo", str(root)]) == 0
    assert "ledger ok" in capsys.readouterr().out
    assert all(e.freshness == "fresh" for uc in ("light-a", "light-b") for e in evidence(root, uc).values())


def test_branches_that_ran_the_same_use_case_are_explained_and_resolved_by_re_running(tmp_path, capsys):
    root = git_repo(tmp_path / "repo")
    assert run_all(root).ok
    commit(root, "base evidence")
    git(root, "checkout", "-q", "-b", "a")
    assert run_all(root, "light-a", force=True).ok
    commit(root, "re-run light-a on a")
    git(root, "checkout", "-q", "main")
    git(root, "checkout", "-q", "-b", "b")
    assert run_all(root, "light-a", force=True).ok
    commit(root, "re-run light-a on b")
    git(root, "checkout", "-q", "a")
    assert _merge(root, "b").returncode == 0  # the union rule keeps both branches' lines
    commit(root, "merge")
    assert main(["verify", "--repo", str(root)]) == 1
    out = capsys.readouterr().out
    assert ("both branches ran light-a: the merged chain has two tips; re-run it on the merge with "
            "`charter run light-a`") in out
    assert main(["run", "light-a", "--repo", str(root), "--jobs", "1"]) == 0
    capsys.readouterr()
    assert main(["verify", "--repo", str(root)]) == 0
    chain = Ledger(root).index().chains["light-a"]
    assert not chain.forked and any(e["merges"] for e in chain.entries)


def test_verify_against_an_earlier_head_catches_a_consistent_rewrite(tmp_path, capsys):
    root = git_repo(tmp_path / "repo")
    assert run_all(root).ok
    commit(root, "evidence")
    base_head = verify(root).head
    git(root, "tag", "base")
    # rewrite light-a's chain consistently: edit an entry's payload and recompute every hash after it
    led = Ledger(root)
    path = led.chain_path("light-a")
    entries = [json.loads(line) for line in path.read_text().splitlines()]
    prev = "0" * 64
    for i, e in enumerate(entries):
        if i == 0:
            e["at"] = "2020-01-01T00:00:00+00:00"
        e["prev"] = prev if e["prev"] != "0" * 64 or i == 0 else e["prev"]
        e["hash"] = entry_hash(e["seq"], e["prev"], e["at"], e["type"], e["payload"], e["schema_version"],
                               e["merges"])
        prev = e["hash"]
    path.write_text("".join(json.dumps(e, sort_keys=True) + "\n" for e in entries))
    led.head_path("light-a").write_text(json.dumps({"seq": entries[-1]["seq"], "hash": prev}) + "\n")
    assert verify(root).ok  # consistent on its own
    assert main(["verify", "--against", "base", "--repo", str(root)]) == 1
    assert "does not extend the base's" in capsys.readouterr().out
    assert main(["verify", "--against", base_head, "--repo", str(root)]) == 1
    capsys.readouterr()
    git(root, "checkout", "-q", "--", ".")
    assert main(["verify", "--against", "base", "--repo", str(root)]) == 0
    assert main(["verify", "--against", base_head, "--repo", str(root)]) == 0


def test_a_forged_record_with_a_consistent_entry_is_caught_by_reproduction(tmp_path, capsys):
    import hashlib

    root = git_repo(tmp_path / "repo")
    assert run_all(root).ok
    commit(root, "evidence")
    git(root, "tag", "base")
    path = current_file(root, "light-a", "drift")
    run_entry = EvidenceStore(root).ledger_index().latest[("light-a", "drift")]
    rewrite_json(path, lambda d: d["results"].update({"forged": 1.0}))
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    forged = path.with_name(f"{run_entry.evidence_id}.{sha[:16]}.json")
    path.rename(forged)
    Ledger(root).append_run(use_case="light-a", job="drift", runner="drift", evidence_id=run_entry.evidence_id,
                            status="pass", reason=None, record_sha256=sha, duration_s=1.0)
    commit(root, "forged")
    assert evidence(root, "light-a")["drift"].freshness == "fresh"  # locally consistent...
    code = main(["run", "--changed-since", "base", "--repo", str(root), "--jobs", "1", "--format", "json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 1  # ...but not reproduced
    drift = next(j for j in data["jobs"] if j["useCase"] == "light-a" and j["job"] == "drift")
    assert drift["reproduced"] and drift["status"] == "error"
    assert "reported vs reproduced: results.forged: reported 1.0, not reproduced" in drift["reason"]
    assert EvidenceStore(root).current("light-a", "drift", run_entry.evidence_id).stored.path == forged


def test_honest_evidence_reproduces(tmp_path, capsys):
    root = git_repo(tmp_path / "repo")
    commit(root, "nothing yet")
    git(root, "tag", "base")
    assert run_all(root).ok
    commit(root, "evidence")
    assert main(["run", "--changed-since", "base", "--repo", str(root), "--jobs", "1", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["counts"]["reproduced"] == 4 and data["ok"]


def test_a_crash_between_the_record_and_the_ledger_leaves_nothing_a_run_cannot_clear(tmp_path, monkeypatch):
    from charter.engine import ledger as ledger_mod

    root = git_repo(tmp_path / "repo")
    assert run_all(root).ok

    def crash(*a, **k):  # type: ignore[no-untyped-def]
        raise KeyboardInterrupt

    monkeypatch.setattr(ledger_mod.Ledger, "append", crash)
    with pytest.raises(KeyboardInterrupt):
        run_all(root, "light-a", force=True)
    monkeypatch.undo()
    # the old records stay current and are judged; the new file is inert
    assert all(e.freshness == "fresh" for e in evidence(root, "light-a").values())
    res = verify(root)
    assert {p.kind for p in res.problems} <= {"unrecorded"}
    assert run_all(root, "light-a", force=True).ok
    assert verify(root).ok


def test_a_head_behind_the_chain_after_a_crash_is_repaired_by_the_next_run(tmp_path):
    root = git_repo(tmp_path / "repo")
    assert run_all(root).ok
    led = Ledger(root)
    first = led.index().chains["light-a"].entries[0]
    led.head_path("light-a").write_text(json.dumps({"seq": first["seq"], "hash": first["hash"]}) + "\n")
    assert not verify(root).ok
    assert run_all(root, "light-a", force=True).ok
    assert verify(root).ok


def test_gc_removes_only_what_nothing_needs(tmp_path, capsys):
    root = git_repo(tmp_path / "repo")
    assert run_all(root).ok
    assert run_all(root, "light-a", force=True).ok  # superseded records for light-a
    orphan = current_file(root, "light-b", "drift").with_name("f" * 64 + ".0123456789abcdef.json")
    orphan.write_text("{}")
    before = sorted(p for p in (root / "evidence/records").rglob("*.json"))
    assert main(["gc", "--dry-run", "--repo", str(root)]) == 0
    out = capsys.readouterr().out
    assert "would remove" in out and orphan.name in out
    assert sorted(p for p in (root / "evidence/records").rglob("*.json")) == before
    # with a zero-day retention, superseded records go as well; verify still passes
    from charter.engine.gc import collect

    result = collect(root, retention_days=0)
    assert any(orphan.name in f for f in result.removed) and len(result.removed) >= 3
    assert not orphan.exists()
    assert verify(root).ok
    assert all(e.freshness == "fresh" for uc in ("light-a", "light-b") for e in evidence(root, uc).values())


def test_status_says_why_each_job_would_run(tmp_path, capsys):
    root = git_repo(tmp_path / "repo")
    assert main(["status", "--repo", str(root)]) == 1
    assert "no evidence yet" in capsys.readouterr().out
    assert run_all(root).ok
    assert main(["status", "--repo", str(root)]) == 0
    capsys.readouterr()
    csv = root / "usecases/light-a/data/recent.csv"
    csv.write_text(csv.read_text() + csv.read_text().splitlines()[-1] + "\n")
    spec = root / "usecases/light-a/usecase.yaml"
    import hashlib

    new = hashlib.sha256(csv.read_bytes()).hexdigest()
    data = json.loads(spec.read_text()) if spec.read_text().lstrip().startswith("{") else None
    if data is None:
        pytest.skip("spec is not JSON")
    for src in data["data"]:
        if src["id"] == "recent":
            old, src["sha256"] = src["sha256"], new
    spec.write_text(json.dumps(data))
    assert main(["status", "light-a", "--repo", str(root), "--format", "json"]) == 1
    rows = {r["job"]: r for r in json.loads(capsys.readouterr().out)["jobs"]}
    assert rows["drift"]["would_run"]
    assert f"data source 'recent' ({old[:12]}… → {new[:12]}…)" in rows["drift"]["why"]
    assert not rows["contract"]["would_run"]


def test_the_old_single_file_ledger_is_refused_with_how_to_migrate(tmp_path):
    root = git_repo(tmp_path / "repo")
    (root / "evidence").mkdir(exist_ok=True)
    (root / "evidence/ledger.jsonl").write_text("")
    from charter.errors import LedgerError

    with pytest.raises(LedgerError) as info:
        run_all(root, "light-a")
    assert "charter run --force" in str(info.value.strerror)
    assert not (root / "evidence/records").exists()
    assert [p.kind for p in verify(root).problems] == ["schema"]


def test_cli_runs_in_a_fresh_process(tmp_path):
    root = git_repo(tmp_path / "repo")
    out = subprocess.run([sys.executable, "-m", "charter", "status", "--repo", str(root)], capture_output=True,
                         text=True, check=False)
    assert out.returncode == 1 and "would run" in out.stdout
