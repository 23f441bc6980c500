"""Every job has a wall-clock budget; a job over it is stopped (its worker killed) and recorded as an
error naming the budget. Contract patterns share one matching budget per job."""

from __future__ import annotations

import operator
import os
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd
import psutil
import pytest
import repo_builder as rb
from hostile_jobs import EVIL_PATTERN, evil_values, hostile_repo

from charter.engine.executor import JobTimeout, WorkerDied, WorkerPool, run
from charter.engine.ledger import Ledger
from charter.engine.plan import plan_repository
from charter.engine.store import EvidenceStore
from charter.jobs.data_contract import RegexBudget, build_schema
from charter.loading.loader import load_repository
from charter.spec.usecase import DataContract


def _diagnostics(root: Path) -> list[tuple[str, str, str]]:
    repo = load_repository(root)
    return [(d.code, d.file, d.message) for d in repo.errors]


def _run(root: Path, **kw):  # type: ignore[no-untyped-def]
    report = run(rb.load(root), force=True, **kw)
    return {(r.use_case, r.job): r for r in report.runs}


def test_a_job_over_its_policy_budget_is_stopped_and_recorded_as_an_error(tmp_path: Path) -> None:
    root = hostile_repo(tmp_path / "r", jobs_policy={"timeoutSeconds": 2, "regexBudgetSeconds": 600},
                        light=("light-a",))
    t0 = time.monotonic()
    runs = _run(root, jobs=2)
    slow = runs[("slow", "contract")]
    assert slow.status == "error"
    assert slow.reason == "stopped after its 2 s budget (policy jobs.timeoutSeconds)"
    assert time.monotonic() - t0 < 30  # the matching alone takes minutes
    assert runs[("light-a", "drift")].status == "pass"  # the other jobs ran on
    stored = EvidenceStore(root).get("slow", "contract", slow.evidence_id)
    assert stored is not None and stored.status == "error" and stored.reason == slow.reason
    assert Ledger(root).verify(store=EvidenceStore(root)).ok
    # the worker was killed, not abandoned: nothing below this process spends CPU on it any more
    busy = [p for p in psutil.Process().children(recursive=True) if p.cpu_percent(0.5) > 20]
    assert busy == []


def test_a_job_may_set_its_own_budget(tmp_path: Path) -> None:
    root = hostile_repo(tmp_path / "r", jobs_policy={"regexBudgetSeconds": 600}, timeout_seconds=2)
    slow = _run(root, jobs=2)[("slow", "contract")]
    assert slow.status == "error" and slow.reason == "stopped after its 2 s budget (job timeoutSeconds)"


def test_in_process_runs_have_a_budget_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from charter.jobs import drift

    root = rb.light_repo(tmp_path / "light", ids=("light-a",))
    spec_path = root / "usecases/light-a/usecase.yaml"
    spec_path.write_text(spec_path.read_text().replace('"runner": "drift"', '"runner": "drift", "timeoutSeconds": 1'))

    def hangs(ctx):  # type: ignore[no-untyped-def]
        time.sleep(60)

    monkeypatch.setattr(drift, "run", hangs)
    t0 = time.monotonic()
    runs = _run(root, jobs=1)
    assert time.monotonic() - t0 < 20
    assert runs[("light-a", "drift")].reason == "stopped after its 1 s budget (job timeoutSeconds)"
    assert runs[("light-a", "contract")].status == "pass"


def test_an_executor_that_cannot_stop_a_job_abandons_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from charter.jobs import drift

    root = rb.light_repo(tmp_path / "light", ids=("light-a",))
    spec_path = root / "usecases/light-a/usecase.yaml"
    spec_path.write_text(spec_path.read_text().replace('"runner": "drift"', '"runner": "drift", "timeoutSeconds": 1'))
    monkeypatch.setattr(drift, "run", lambda ctx: time.sleep(4))
    with ThreadPoolExecutor(max_workers=2) as ex:
        runs = _run(root, executor=ex)
    r = runs[("light-a", "drift")]
    assert r.status == "error"
    assert r.reason == "abandoned (the executor cannot stop it) after its 1 s budget (job timeoutSeconds)"


def test_the_pool_kills_one_worker_and_the_others_run_on() -> None:
    def workers() -> set[int]:
        return {p.pid for p in psutil.Process().children(recursive=True) if p.status() != psutil.STATUS_ZOMBIE}

    with WorkerPool(2, method="forkserver") as pool:
        t0 = time.monotonic()
        slow = pool.submit_with_budget(1, time.sleep, 60)
        quick = pool.submit(operator.add, 1, 2)
        before = workers()  # a worker starts with its first job
        assert quick.result(timeout=30) == 3
        with pytest.raises(JobTimeout):
            slow.result(timeout=30)
        assert time.monotonic() - t0 < 30
        assert len(before - workers()) == 1  # the sleeping worker was killed; the idle one is kept
        crash = pool.submit(os._exit, 7)
        with pytest.raises(WorkerDied, match="exit code 7"):
            crash.result(timeout=30)
        assert pool.submit(operator.mul, 6, 7).result(timeout=30) == 42  # a new worker replaces the dead


def test_timeout_seconds_over_the_policy_maximum_is_a_validation_error(tmp_path: Path) -> None:
    root = hostile_repo(tmp_path / "r", jobs_policy={"timeoutSeconds": 60, "maxTimeoutSeconds": 600},
                        timeout_seconds=601, rows=60)
    errors = _diagnostics(root)
    assert [(c, f) for c, f, _ in errors] == [("CH013", "usecases/slow/usecase.yaml")], errors
    assert "601 s budget" in errors[0][2] and "at most 600 s" in errors[0][2]
    repo = load_repository(root)
    d = repo.errors[0]
    assert d.line is not None and "timeoutSeconds" in (repo.files[d.file].text.splitlines()[d.line - 1])


def test_a_default_budget_over_the_maximum_is_an_incoherent_policy(tmp_path: Path) -> None:
    root = hostile_repo(tmp_path / "r", jobs_policy={"timeoutSeconds": 700, "maxTimeoutSeconds": 600}, rows=60)
    assert [(c, f) for c, f, _ in _diagnostics(root)] == [("CH031", "governance/policy.yaml")]


def test_a_budget_does_not_change_the_evidence_id(tmp_path: Path) -> None:
    plain = hostile_repo(tmp_path / "a", rows=60)
    budgeted = hostile_repo(tmp_path / "b", timeout_seconds=5, rows=60)
    ids = [[p.evidence_id for p in plan_repository(rb.load(r), None)] for r in (plain, budgeted)]
    assert ids[0] == ids[1]


def test_contract_patterns_share_one_budget_per_job() -> None:
    contract = DataContract.model_validate({"columns": {"code": {"type": "string", "pattern": EVIL_PATTERN}}})
    budget = RegexBudget(0.5)
    schema = build_schema(contract, budget)
    t0 = time.perf_counter()
    with pytest.raises(Exception):  # noqa: B017 - pandera's SchemaErrors: every value failed
        schema.validate(pd.DataFrame({"code": evil_values(4000)}), lazy=True)
    assert time.perf_counter() - t0 < 5  # 4,000 values × 50 ms was 200 s
    assert budget.exhausted_on == "code"


def test_a_spent_regex_budget_is_a_contract_error_naming_the_column(tmp_path: Path) -> None:
    root = hostile_repo(tmp_path / "r", jobs_policy={"regexBudgetSeconds": 0.5}, rows=4000)
    t0 = time.monotonic()
    r = _run(root, jobs=1)[("slow", "contract")]
    assert time.monotonic() - t0 < 20
    assert r.status == "error"
    assert "column 'customer_id'" in r.reason and "0.5 s regex budget (policy jobs.regexBudgetSeconds)" in r.reason
