"""`charter run --executor dask`: the same evidence as the local pool, failures per job, no traceback."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

pytest.importorskip("distributed")

import repo_builder as rb  # noqa: E402
from evidence_compare import assert_same_evidence, evidence_tree, gate_json  # noqa: E402
from hostile_jobs import hostile_repo  # noqa: E402

from charter.cli.main import main  # noqa: E402
from charter.engine.dask_executor import DaskExecutor, ExecutorUnavailable, open_dask  # noqa: E402
from charter.engine.executor import run  # noqa: E402
from charter.engine.ledger import Ledger  # noqa: E402
from charter.engine.store import EvidenceStore  # noqa: E402


def _statuses(report):  # type: ignore[no-untyped-def]
    return {(r.use_case, r.job): r for r in report.runs}


def test_records_ledger_and_gates_equal_the_local_pools(cluster, tmp_path):
    local = rb.credit_repo(tmp_path / "local", n=300, bootstrap=40)
    dask = rb.credit_repo(tmp_path / "dask", n=300, bootstrap=40)
    a = run(rb.load(local), jobs=2)
    b = run(rb.load(dask), jobs=2, backend="dask", scheduler=cluster)
    assert a.ok and b.ok, [(r.job, r.reason) for r in a.runs + b.runs]
    assert_same_evidence(local, dask)
    assert gate_json(local) == gate_json(dask)
    assert Ledger(dask).verify(store=EvidenceStore(dask)).ok
    # artifacts came back into the store: the second run finds everything current
    again = run(rb.load(dask), jobs=2, backend="dask", scheduler=cluster)
    assert all(r.cached for r in again.runs)


def test_the_comparison_sees_a_difference(tmp_path):
    """The equality above is not vacuous: one changed result field is a difference."""
    one = rb.light_repo(tmp_path / "one", ids=("light-a",))
    two = rb.light_repo(tmp_path / "two", ids=("light-a",))
    run(rb.load(one), jobs=1)
    run(rb.load(two), jobs=1)
    assert_same_evidence(one, two)
    path = next((two / "evidence" / "records").rglob("*.json"))
    data = json.loads(path.read_text())
    data["results"]["rows"] = -1 if data["results"].get("rows") != -1 else -2
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    with pytest.raises(AssertionError):
        assert_same_evidence(one, two)


def test_equal_tasks_are_not_deduplicated(cluster):
    from distributed import Client

    ex = DaskExecutor(Client(cluster, set_as_default=False))
    try:
        first, second = ex.submit(os.getpid), ex.submit(os.getpid)
        assert first.remote.key != second.remote.key
        assert first.result(60) and second.result(60)
    finally:
        ex.shutdown()


def test_the_scheduler_reads_no_job(cluster, tmp_path):
    """A job travels to its worker as bytes: the scheduler (in this process here) unpickles none of it, so it
    imports none of the jobs' packages and builds no job's objects only to pickle them again."""
    from distributed import Client

    seen = tmp_path / "unpickled-in"
    seen.mkdir()

    class Marker:  # unpickling it leaves a file named by the process that did
        def __reduce__(self):  # type: ignore[no-untyped-def]
            return (exec, (f"import os; open({str(seen)!r} + '/' + str(os.getpid()), 'w').close()",))

    ex = DaskExecutor(Client(cluster, set_as_default=False))
    try:
        worker = ex.submit(eval, "__import__('os').getpid()", {"marker": Marker()}).result(60)
    finally:
        ex.shutdown()
    assert sorted(p.name for p in seen.iterdir()) == [str(worker)]
    assert worker != os.getpid()


def _kill_worker_running_a_job(address: str, stop: threading.Event, killed: list[int]) -> None:
    from distributed import Client

    with Client(address, set_as_default=False) as client:
        while not stop.is_set():
            busy = [w for w, keys in client.processing().items() if keys]
            if busy:
                time.sleep(1.0)  # well inside the job
                pids = client.run(os.getpid, workers=busy[:1])
                for pid in pids.values():
                    os.kill(pid, signal.SIGKILL)
                    killed.append(pid)
                return
            time.sleep(0.1)


def test_a_worker_killed_mid_job_is_that_jobs_error(cluster, tmp_path):
    root = hostile_repo(tmp_path / "r", jobs_policy={"regexBudgetSeconds": 600})
    stop, killed = threading.Event(), []
    killer = threading.Thread(target=_kill_worker_running_a_job, args=(cluster, stop, killed), daemon=True)
    killer.start()
    try:
        report = run(rb.load(root), jobs=2, backend="dask", scheduler=cluster)
    finally:
        stop.set()
        killer.join(30)
    assert killed
    job = _statuses(report)[("slow", "contract")]
    assert job.status == "error"
    assert "worker running the job died" in job.reason and "lost" in job.reason
    assert "Traceback" not in job.reason
    assert Ledger(root).verify(store=EvidenceStore(root)).ok


def test_a_job_over_its_budget_is_stopped_on_the_cluster(cluster, tmp_path):
    root = hostile_repo(tmp_path / "r", jobs_policy={"regexBudgetSeconds": 600}, timeout_seconds=3)
    t0 = time.monotonic()
    report = run(rb.load(root), jobs=2, backend="dask", scheduler=cluster)
    job = _statuses(report)[("slow", "contract")]
    assert job.status == "error" and "stopped after its 3 s budget" in job.reason
    assert time.monotonic() - t0 < 60


def test_an_unreachable_scheduler_is_a_clear_error(tmp_path, capsys):
    root = rb.light_repo(tmp_path / "r", ids=("light-a",))
    with pytest.raises(ExecutorUnavailable, match="cannot reach the dask scheduler at 'tcp://127.0.0.1:9'"):
        open_dask("tcp://127.0.0.1:9", timeout=2)
    code = main(["run", "--repo", str(root), "--executor", "dask", "--scheduler", "tcp://127.0.0.1:9"])
    err = capsys.readouterr().err
    assert code == 2
    assert "cannot reach the dask scheduler" in err and "Traceback" not in err
    assert not list((root / "evidence").rglob("*.json"))  # nothing ran, nothing recorded


def test_the_policy_chooses_the_executor_and_the_option_wins(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("CHARTER_SCHEDULER", "tcp://127.0.0.1:9")
    policy = {**rb.POLICY, "jobs": {"executor": "dask"}}
    root = rb.build_repo(tmp_path / "r", policy=policy)
    spec = rb.credit_usecase("light-a")
    spec["jobs"] = [j for j in spec["jobs"] if j["runner"] == "data-contract"]
    rb.add_credit(root, n=200, uc_id="light-a", spec=spec)
    assert main(["run", "--repo", str(root)]) == 2  # the policy's executor, the environment's scheduler
    assert "cannot reach the dask scheduler at 'tcp://127.0.0.1:9'" in capsys.readouterr().err
    assert main(["run", "--repo", str(root), "--executor", "local", "-j", "1"]) == 0
    assert main(["run", "--repo", str(root), "--executor", "local", "--scheduler", "tcp://x:1"]) == 2
    assert "--scheduler needs --executor dask" in capsys.readouterr().err


def test_the_cli_runs_on_a_local_cluster_it_starts(tmp_path, capsys):
    root = rb.light_repo(tmp_path / "r", ids=("light-a",))
    assert main(["run", "--repo", str(root), "--executor", "dask", "-j", "2", "-f", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["counts"]["pass"] == 2 and data["counts"]["ran"] == 2
    assert len(evidence_tree(root)["records"]) == 2


def test_ctrl_c_cancels_the_submitted_work(tmp_path):
    import psutil

    root = hostile_repo(tmp_path / "r", jobs_policy={"regexBudgetSeconds": 600}, light=("light-a",))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path), "CI": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "charter", "run", "--force", "--executor", "dask", "-j", "2",
                             "--repo", str(root)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stderr), daemon=True)  # type: ignore[arg-type]
    reader.start()
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and proc.poll() is None:
            if sum(1 for line in lines if "light-a/" in line and ": pass" in line) >= 2:
                break
            time.sleep(0.2)
        else:
            raise AssertionError("".join(lines) or "the quick jobs did not finish")
        time.sleep(0.5)
        children = psutil.Process(proc.pid).children(recursive=True)
        assert children, "the local cluster's workers"
        proc.send_signal(signal.SIGINT)
        assert proc.wait(60) == 130
        reader.join(10)
        err = "".join(lines)
        assert "Traceback" not in err, err
        gone, alive = psutil.wait_procs(children, timeout=30)
        assert not alive, alive
    finally:
        if proc.poll() is None:
            proc.kill()
    store = EvidenceStore(root)
    assert {(s.record.use_case, s.record.job) for s in store.iter_stored()} == {
        ("light-a", "contract"), ("light-a", "drift")}  # the slow job was in flight: not recorded
    assert Ledger(root).verify(store=store).ok


def test_ray_runs_the_same_jobs(tmp_path):
    pytest.importorskip("ray")
    local = rb.light_repo(tmp_path / "local", ids=("light-a",))
    ray = rb.light_repo(tmp_path / "ray", ids=("light-a",))
    assert run(rb.load(local), jobs=1).ok
    assert run(rb.load(ray), jobs=2, backend="ray").ok
    assert_same_evidence(local, ray)


def test_a_scheduler_lost_mid_run_fails_the_jobs_in_flight(tmp_path):
    import dask
    from distributed import Client, LocalCluster

    root = hostile_repo(tmp_path / "r", jobs_policy={"regexBudgetSeconds": 600})
    with dask.config.set({"distributed.worker.profile.enabled": False}):
        cluster = LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None,
                               silence_logs=50)
    client = Client(cluster, set_as_default=False)
    ex = DaskExecutor(client, cluster)
    ex.lost_after = 2.0

    def stop_scheduler() -> None:
        while not any(client.processing().values()):
            time.sleep(0.1)
        time.sleep(0.5)
        cluster.close()

    stopper = threading.Thread(target=stop_scheduler, daemon=True)
    stopper.start()
    t0 = time.monotonic()
    try:
        report = run(rb.load(root), jobs=1, executor=ex)
    finally:
        ex.shutdown(wait=False, cancel_futures=True)
    job = _statuses(report)[("slow", "contract")]
    assert job.status == "error" and "scheduler" in job.reason, job.reason
    assert time.monotonic() - t0 < 120


def test_the_repository_cannot_choose_the_scheduler(tmp_path):
    """A pull request editing the policy must not send its jobs to a machine of its choosing."""
    from charter.spec.governance import JobsPolicy

    with pytest.raises(ValueError, match="scheduler"):
        JobsPolicy.model_validate({"executor": "dask", "scheduler": "tcp://attacker:8786"})


def test_the_local_cluster_keeps_glibc_s_own_allocation_thresholds(monkeypatch):
    """dask's nanny sets MALLOC_TRIM_THRESHOLD_, which made the workers' numpy work up to twice as costly.

    It also leaves its variables in this process's environment, where a second cluster would
    inherit them: the test starts two.
    """
    import os

    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.setenv("MALLOC_TRIM_THRESHOLD_", "65536")  # as an earlier cluster in this process leaves it
    before = {k: v for k, v in os.environ.items() if k != "MALLOC_TRIM_THRESHOLD_"}
    for _ in range(2):
        ex = open_dask(None, 1)
        try:
            (trim,) = ex.client.run(os.getenv, "MALLOC_TRIM_THRESHOLD_").values()
            (threads,) = ex.client.run(os.getenv, "OMP_NUM_THREADS").values()
        finally:
            ex.shutdown()
        assert trim is None
        assert threads == str(os.cpu_count() or 1)  # one worker: every core's share
        assert dict(os.environ) == before


def test_the_local_cluster_keeps_its_cores_for_the_jobs():
    """The cluster Charter starts wakes its servers once a second, not 50 times, and steals no work."""
    import dask

    ex = open_dask(None, 1)
    try:
        ticks = set(ex.client.run(dask.config.get, "distributed.admin.tick.interval").values())
        stealing = ex.client.run_on_scheduler(lambda dask_scheduler: "stealing" in dask_scheduler.extensions)
    finally:
        ex.shutdown()
    assert ticks == {"1s"}
    assert stealing is False
