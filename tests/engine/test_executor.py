from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import repo_builder as rb

from charter.cli.main import main
from charter.engine.executor import run
from charter.engine.ledger import Ledger
from charter.engine.store import EvidenceStore, StoreError


@pytest.fixture(scope="module")
def ran(tmp_path_factory):
    """Two use cases, every job run once (the expensive part is shared by the tests)."""
    root = tmp_path_factory.mktemp("ran") / "repo"
    rb.credit_repo(root, n=300, bootstrap=50)
    rb.add_credit(root, n=300, bootstrap=50, uc_id="credit2")
    report = run(rb.load(root), jobs=1)
    assert report.ok, [(r.job, r.status, r.reason) for r in report.runs]
    return root


@pytest.fixture
def repo_root(ran, tmp_path):
    dest = tmp_path / "repo"
    shutil.copytree(ran, dest)
    return dest


def _statuses(report):
    return {(r.use_case, r.job): (r.status, r.cached) for r in report.runs}


def test_second_run_executes_nothing(repo_root):
    ledger_before = {p.name: p.read_bytes() for p in (repo_root / "evidence/ledger").iterdir()}
    report = run(rb.load(repo_root), jobs=1)
    assert report.ok
    assert all(r.cached for r in report.runs) and len(report.runs) == 10
    assert report.executed == []
    assert {p.name: p.read_bytes() for p in (repo_root / "evidence/ledger").iterdir()} == ledger_before
    assert Ledger(repo_root).verify(store=EvidenceStore(repo_root)).ok


def test_changing_one_usecase_reruns_only_it(repo_root):
    rb.write_frame(repo_root, "credit2", "data/recent.csv", rb.credit_frame(300, seed=0).iloc[:120])
    rb.write_usecase(repo_root, rb.credit_usecase("credit2", bootstrap=50))
    report = run(rb.load(repo_root), jobs=1)
    ran_jobs = {(r.use_case, r.job) for r in report.executed}
    assert ran_jobs == {("credit2", "drift")}


def test_force_reruns_everything(repo_root):
    report = run(rb.load(repo_root), ["credit"], force=True, jobs=1)
    assert len(report.executed) == 5 and {r.use_case for r in report.runs} == {"credit"}
    assert report.ok
    assert Ledger(repo_root).verify(store=EvidenceStore(repo_root)).ok


def test_stale_evidence_is_reported_by_show(repo_root, capsys):
    spec = rb.credit_usecase(bootstrap=50)
    spec["jobs"][2]["slices"] = ["age_band"]
    rb.write_usecase(repo_root, spec)
    assert main(["show", "credit", "--repo", str(repo_root), "--format", "json"]) == 0
    view = json.loads(capsys.readouterr().out)
    assert view["schema_version"] == 2 and len(view["evidence_hash"]) == 64
    states = {j["job"]: j["state"] for j in view["jobs"]}
    assert states == {"contract": "fresh", "train": "fresh", "evaluate": "stale", "fairness": "fresh",
                      "drift": "fresh"}
    ev = next(j for j in view["jobs"] if j["job"] == "evaluate")
    assert ev["changed"] == ["its spec section (slices)"]
    assert ev["record"]["results"]["slices"].keys() == {"region"}
    assert view["complete"] is False
    # text form names the state, the metrics with intervals, and the hash
    assert main(["show", "credit", "--repo", str(repo_root)]) == 0
    text = capsys.readouterr().out
    assert "evaluate (evaluate): stale" in text and "evidenceHash: " + view["evidence_hash"] in text
    assert "roc_auc" in text and "demographic_parity_ratio" in text


def test_show_json_shape_fresh(repo_root, capsys):
    assert main(["show", "credit", "--repo", str(repo_root), "-f", "json"]) == 0
    view = json.loads(capsys.readouterr().out)
    assert set(view) == {"schema_version", "use_case", "title", "stage", "task", "evidence_hash", "complete",
                         "jobs", "warnings", "portfolio_state", "gates", "approvals", "waivers", "notes"}
    from charter.artifacts.show import ShowReport

    assert ShowReport.model_validate(view).use_case == "credit"  # the published model reads it back
    assert view["complete"] is True
    job = view["jobs"][0]
    assert set(job) == {"job", "runner", "evidence_id", "depends_on", "state", "status", "reason", "changed", "record"}
    assert job["record"]["id"] == job["evidence_id"]
    ev = next(j for j in view["jobs"] if j["job"] == "evaluate")["record"]["results"]
    auc = ev["metrics"]["roc_auc"]
    assert auc["low"] <= auc["value"] <= auc["high"]


def test_data_changed_since_pinned(repo_root):
    repo = rb.load(repo_root)
    with (repo_root / "usecases/credit/data/applications.csv").open("a") as fh:
        fh.write("C99999,1.0,1.0,north,male,18-35,0,0.5\n")
    report = run(repo, ["credit"], force=True, jobs=1)
    st = _statuses(report)
    assert st[("credit", "contract")][0] == "error"
    # everything reading the data waits for its contract, which could not run
    runs = {r.job: r for r in report.runs}
    for job in ("train", "evaluate", "fairness", "drift"):
        assert runs[job].status == "skipped"
        assert runs[job].reason.startswith("data contract 'contract' could not run: data changed since pinned")
    # the good evidence for the pinned inputs is kept
    store = EvidenceStore(repo_root)
    p = next(p for p in report.planned if p.job_id == "train")
    assert store.get("credit", "train", p.evidence_id).status == "pass"


def test_corrupt_data_file_is_an_error_with_reason(repo_root):
    path = repo_root / "usecases/credit/data/applications.csv"
    path.write_bytes(b"customer_id,income\nC1,\xff\xfe\n")
    rb.write_usecase(repo_root, rb.credit_usecase(bootstrap=50))
    report = run(rb.load(repo_root), ["credit"], jobs=1)
    st = {r.job: r for r in report.runs}
    assert st["contract"].status == "fail"  # unreadable data fails its contract, with the reason as evidence
    rec = st["contract"].record.results["sources"][0]
    assert rec["failures"][0]["check"] == "readable"
    # and training, which reads it, is skipped with the contract's finding
    assert st["train"].status == "skipped" and "not valid UTF-8" in st["train"].reason
    # unparseable CSV
    path.write_text('customer_id,income\n"C1,3\nC2,4,5,6\n')
    rb.write_usecase(repo_root, rb.credit_usecase(bootstrap=50))
    report = run(rb.load(repo_root), ["credit"], jobs=1)
    train = next(r for r in report.runs if r.job == "train")
    assert train.status == "skipped" and ("cannot be parsed" in train.reason or "has no column" in train.reason)


def test_a_job_that_raises_becomes_an_error_record(repo_root, monkeypatch):
    from charter.jobs import drift

    def boom(ctx):
        raise RuntimeError("boom")

    monkeypatch.setattr(drift, "run", boom)
    report = run(rb.load(repo_root), ["credit"], force=True, jobs=1)
    r = next(r for r in report.runs if r.job == "drift")
    assert r.status == "error" and r.reason.startswith("RuntimeError: boom")
    assert "Traceback" not in r.reason
    # forced re-run failed: the good record for the same inputs stays, the failure is in the ledger
    store = EvidenceStore(repo_root)
    assert store.get("credit", "drift", r.evidence_id).status == "pass"
    last = [e for e in Ledger(repo_root).entries() if e["payload"]["job"] == "drift"][-1]
    assert last["payload"]["status"] == "error" and last["payload"]["reason"].startswith("RuntimeError: boom")
    assert Ledger(repo_root).verify(store=store).ok


def test_error_records_are_retried(repo_root, monkeypatch):
    from charter.jobs import drift

    spec = rb.credit_usecase(bootstrap=50)
    spec["jobs"][4]["thresholds"] = {"psi": 0.2}
    rb.write_usecase(repo_root, spec)
    monkeypatch.setattr(drift, "run", lambda ctx: (_ for _ in ()).throw(ValueError("flaky")))
    report = run(rb.load(repo_root), ["credit"], jobs=1)
    r = next(r for r in report.runs if r.job == "drift")
    assert r.status == "error" and EvidenceStore(repo_root).get("credit", "drift", r.evidence_id).status == "error"
    monkeypatch.undo()
    report = run(rb.load(repo_root), ["credit"], jobs=1)
    assert [(r.job, r.status) for r in report.executed] == [("drift", "pass")]


def test_full_disk_is_reported_and_the_store_stays_intact(repo_root, monkeypatch):
    before = {p: p.read_bytes() for p in (repo_root / "evidence/records").rglob("*.json")}

    def full(self, record):
        raise StoreError(28, "disk full while writing evidence record: no space left on the device")

    monkeypatch.setattr(EvidenceStore, "put", full)
    report = run(rb.load(repo_root), ["credit"], force=True, jobs=1)
    assert all(r.status == "error" and "disk full" in r.reason for r in report.executed)
    monkeypatch.undo()
    after = {p: p.read_bytes() for p in (repo_root / "evidence/records").rglob("*.json")}
    assert after == before
    assert Ledger(repo_root).verify(store=EvidenceStore(repo_root)).ok


def test_runner_not_on_allowlist_at_run_time(repo_root):
    repo = rb.load(repo_root)
    repo.allowlist = repo.allowlist.model_copy(update={"runners": ["data-contract"]})
    report = run(repo, ["credit"], force=True, jobs=1)
    st = {r.job: r for r in report.runs}
    assert st["contract"].status == "pass"
    assert st["drift"].status == "error" and "not on the governance allowlist" in st["drift"].reason


def test_swappable_executor(repo_root):
    calls = []

    class Recording(ThreadPoolExecutor):
        def submit(self, fn, /, *args, **kwargs):
            calls.append(args[0].planned.job_id)
            return super().submit(fn, *args, **kwargs)

    with Recording(max_workers=2) as ex:
        report = run(rb.load(repo_root), force=True, executor=ex)
    assert report.ok and len(calls) == 10


def test_process_pool_runs_usecases_in_parallel(tmp_path):
    root = rb.light_repo(tmp_path / "light")
    events = []
    report = run(rb.load(root), jobs=2, progress=events.append)
    assert report.ok, [(r.job, r.reason) for r in report.runs]
    assert [e.kind for e in events].count("finished") == 4
    assert events[0].kind == "planned" and events[0].total == 4
    assert {r.record.lineage.python for r in report.runs} == {sys.version.split()[0]}
    assert Ledger(root).verify(store=EvidenceStore(root)).ok
    assert all(r.cached for r in run(rb.load(root), jobs=2).runs)


def test_killed_mid_run_leaves_a_readable_store(tmp_path):
    repo_root = rb.light_repo(tmp_path / "light", ids=("light-a",))
    assert run(rb.load(repo_root), jobs=1).ok
    store = EvidenceStore(repo_root)
    before = {s.path: s.sha256 for s in store.iter_stored()}
    marker = repo_root / "started"
    code = (
        "import time, pathlib\n"
        "import charter.jobs.drift as d\n"
        "def slow(ctx):\n"
        f"    pathlib.Path({str(marker)!r}).write_text('x')\n"
        "    time.sleep(60)\n"
        "d.run = slow\n"
        "from charter.loading.loader import load_repository\n"
        "from charter.engine.executor import run\n"
        f"run(load_repository(pathlib.Path({str(repo_root)!r})), force=True, jobs=1)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.time() + 120
        while not marker.exists() and time.time() < deadline and proc.poll() is None:
            time.sleep(0.1)
        assert marker.exists(), proc.stderr.read().decode() if proc.poll() is not None else "timeout"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    store = EvidenceStore(repo_root)
    stored = list(store.iter_stored())
    assert store.warnings == []
    assert set(before) <= {s.path for s in stored}  # write-once: a re-run adds a record, never rewrites one
    assert not list((repo_root / "evidence").rglob("*.tmp"))
    # the contract was re-run before the kill: its new record is complete and current
    assert all(s.record.status == "pass" for s in stored)
    assert Ledger(repo_root).verify(store=store).ok


def test_cli_run_exit_codes_and_table(repo_root, capsys):
    assert main(["run", "--repo", str(repo_root), "--jobs", "1"]) == 0
    out = capsys.readouterr().out
    assert "10 job(s): 10 passed" in out and "cached" in out
    assert main(["run", "credit", "--repo", str(repo_root), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["ok"] and data["counts"]["cached"] == 5
    # a failing job: drift on shifted data
    shifted = rb.credit_frame(300, seed=2, shift=20)
    shifted["debt"] = shifted["debt"] * 3
    rb.write_frame(repo_root, "credit", "data/recent.csv", shifted)
    rb.write_usecase(repo_root, rb.credit_usecase(bootstrap=50))
    assert main(["run", "credit", "--repo", str(repo_root), "--jobs", "1"]) == 1
    out = capsys.readouterr().out
    assert "fail" in out and "drifted" in out
    # an invalid spec: exit 2, nothing run
    spec = rb.credit_usecase()
    spec["jobs"][1]["estimator"]["name"] = "SVC"
    rb.write_usecase(repo_root, spec)
    assert main(["run", "--repo", str(repo_root)]) == 2
    err = capsys.readouterr().err
    assert "charter validate" in err
    assert main(["run", "nope", "--repo", str(Path(repo_root))]) == 2


def test_changed_since(repo_root, capsys):
    def git(*args):
        subprocess.run(["git", "-C", str(repo_root), *args], check=True, capture_output=True,
                       env={**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t",
                            "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t"})

    git("init", "-q")
    git("add", "-A")
    git("commit", "-q", "-m", "base")
    assert main(["run", "--repo", str(repo_root), "--changed-since", "HEAD"]) == 0
    assert "nothing to run" in capsys.readouterr().out
    rb.write_frame(repo_root, "credit2", "data/recent.csv", rb.credit_frame(300, seed=0).iloc[:100])
    rb.write_usecase(repo_root, rb.credit_usecase("credit2", bootstrap=50))
    assert main(["run", "--repo", str(repo_root), "--changed-since", "HEAD", "-f", "json", "-j", "1"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {j["useCase"] for j in data["jobs"]} == {"credit2"}
    assert [j["job"] for j in data["jobs"] if not j["cached"]] == ["drift"]
    records = [p for p in (repo_root / "evidence/records").rglob("*.json")]
    rec = json.loads(max(records, key=lambda p: p.stat().st_mtime).read_text())
    assert rec["lineage"]["git_commit"] and rec["lineage"]["git_dirty"] is True
    assert main(["run", "--repo", str(repo_root), "--changed-since", "no-such-ref"]) == 2


def test_a_worker_that_dies_is_an_error_and_the_pool_is_replaced(tmp_path, monkeypatch):
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    import charter.engine.executor as ex
    from charter.jobs import drift

    root = rb.light_repo(tmp_path / "light")
    pools = []

    def fork_pool(n):  # fork: the monkeypatched runner below reaches the workers
        pool = ProcessPoolExecutor(max_workers=n, mp_context=multiprocessing.get_context("fork"))
        pools.append(pool)
        return pool

    monkeypatch.setattr(ex, "_default_executor", fork_pool)
    monkeypatch.setattr(drift, "run", lambda ctx: os._exit(9))
    report = run(rb.load(root), jobs=2)
    st = {(r.use_case, r.job): r for r in report.runs}
    for uc in ("light-a", "light-b"):
        # a job sharing the pool with the crash is retried once; it may be hit again by the retried crash
        c = st[(uc, "contract")]
        assert c.status == "pass" or "worker running the job died" in c.reason
        # drift waits for the contract: it died itself, or was skipped because its contract's worker died
        d = st[(uc, "drift")]
        assert d.status == ("error" if c.status == "pass" else "skipped")
        assert "worker running the job died" in d.reason
    assert len(pools) >= 2
    assert Ledger(root).verify(store=EvidenceStore(root)).ok


def test_a_runner_must_return_its_kinds_result_model(repo_root, monkeypatch):
    from charter.jobs import drift
    from charter.jobs.base import JobOutput
    from charter.kinds import runners

    monkeypatch.setattr(drift, "run", lambda ctx: JobOutput("pass", None, {"drift_share": 0.0}))  # type: ignore[arg-type]
    report = run(rb.load(repo_root), ["credit"], force=True, jobs=1)
    r = next(r for r in report.runs if r.job == "drift")
    assert r.status == "error" and "runner returned a dict, not its DriftResult" in r.reason
    # a record's results read back typed through the kind
    rec = EvidenceStore(repo_root).get("credit", "evaluate", next(p.evidence_id for p in report.planned
                                                                   if p.job_id == "evaluate"))
    res = runners.get("evaluate").result(rec)
    assert res is not None and res.metrics["roc_auc"].value == rec.results["metrics"]["roc_auc"]["value"]


def test_a_run_reads_each_chain_a_bounded_number_of_times(tmp_path, monkeypatch):
    """Recording a job reads its own chain again, not every chain: a run of n use cases is not O(n²) reads."""
    from collections import Counter

    import charter.engine.ledger as ledger_mod

    ids = tuple(f"light-{i}" for i in range(8))
    root = rb.light_repo(tmp_path / "r", ids=ids, n=60)
    run(rb.load(root), jobs=1)  # every chain exists now
    parsed: Counter[str] = Counter()
    real = ledger_mod.parse_chain

    def counting(use_case, raw, file):  # type: ignore[no-untyped-def]
        parsed[use_case] += 1
        return real(use_case, raw, file)

    monkeypatch.setattr(ledger_mod, "parse_chain", counting)
    report = run(rb.load(root), jobs=1, force=True)
    assert report.ok and len(report.executed) == 2 * len(ids)
    # read once to plan, and per job of its own: once to append under the lock, once more for the index
    assert set(parsed) == set(ids)
    assert max(parsed.values()) <= 1 + 2 * 2, parsed
    assert Ledger(root).verify(store=EvidenceStore(root)).ok
