"""The site over real evidence: records and ledger written through the engine, decisions by the gates."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import site_fixture

from charter.cli.main import main
from charter.engine.ledger import Ledger
from charter.engine.plan import plan_usecase
from charter.engine.store import EvidenceStore
from charter.evidence.records import EvidenceRecord
from charter.loading.loader import load_repository
from charter.site.build import build_site

AS_OF = dt.date(2026, 3, 1)
RESULTS = {
    "data-contract": site_fixture._contract,
    "sklearn-train": lambda: site_fixture._train("x"),
    "evaluate": lambda: site_fixture._evaluate("age_band", ["old", "young"]),
    "fairness": site_fixture._fairness,
    "drift": site_fixture._drift,
}


def write_evidence(root: Path, use_cases: tuple[str, ...] = ("churn",)) -> None:
    """A record for every planned job of these use cases, through the store, each with its ledger entry."""
    repo = load_repository(root)
    store, ledger = EvidenceStore(root), Ledger(root)
    for uc_id in use_cases:
        for p in plan_usecase(repo, repo.usecases[uc_id]):
            rec = EvidenceRecord(
                id=p.evidence_id, use_case=uc_id, job=p.job_id, runner=p.runner, status="pass", inputs=p.inputs,
                lineage={"git_commit": "c0ffee" + "0" * 34, "git_dirty": False, "charter_version": "0.1.0",
                         "python": "3.11.7", "platform": "Linux"},
                started_at="2026-02-20T10:00:00+00:00", finished_at="2026-02-20T10:00:02+00:00", duration_s=2.0,
                results=RESULTS[p.runner]())
            stored = store.put(rec)
            ledger.append_run(use_case=uc_id, job=p.job_id, runner=p.runner, evidence_id=p.evidence_id,
                              status="pass", reason=None, record_sha256=stored.sha256, duration_s=2.0)


@pytest.fixture
def repo_with_evidence(tmp_path: Path) -> Path:
    root = site_fixture.write_repo(tmp_path / "repo")
    write_evidence(root)
    return root


def test_fresh_evidence_real_decisions_and_a_verified_ledger(repo_with_evidence: Path, tmp_path: Path) -> None:
    report = build_site(repo_with_evidence, out=tmp_path / "out", as_of=AS_OF)
    assert report.ok, report.errors
    page = (report.docs_dir / "usecases/churn/index.md").read_text()
    assert "✔ fresh" in page and "stale" not in page.split('<h2 id="audit"')[0]
    assert "Current stage Pilot" in page and "Promotion to Production" in page
    assert "✔ verified" in page and "5 evidence records match the run entries" in page
    data = json.loads((report.site_dir / "exports/churn.json").read_text())["useCase"]
    assert [d["stage"] for d in data["decisions"]] == ["pilot", "production"]
    assert {e["freshness"] for e in data["evidence"]} == {"fresh"}
    assert all(len(e["recordSha256"]) == 64 for e in data["evidence"])
    idea = (report.docs_dir / "usecases/idea/index.md").read_text()
    assert "No jobs are declared." in idea


def test_an_edited_record_is_called_out(repo_with_evidence: Path, tmp_path: Path) -> None:
    record = next((repo_with_evidence / "evidence/records/churn/drift").glob("*.json"))
    record.write_text(record.read_text().replace('"drift_share": 0.5', '"drift_share": 0.1'))
    report = build_site(repo_with_evidence, out=tmp_path / "out", as_of=AS_OF)
    page = (report.docs_dir / "usecases/churn/index.md").read_text()
    assert "problems found" in page
    assert "the record&#39;s content differs from what the run wrote" in page
    home = (report.docs_dir / "index.md").read_text()
    assert "problems found" in home and "evidence/records/churn/drift/" in home


def test_changed_spec_makes_evidence_stale(repo_with_evidence: Path, tmp_path: Path) -> None:
    spec = repo_with_evidence / "usecases/churn/usecase.yaml"
    spec.write_text(spec.read_text().replace("C: 1.0", "C: 0.5"))
    report = build_site(repo_with_evidence, out=tmp_path / "out", as_of=AS_OF)
    page = (report.docs_dir / "usecases/churn/index.md").read_text()
    assert "⚠ stale" in page and "Evidence needs attention" in page and "charter run churn" in page


def test_cli_build(repo_with_evidence: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["build", "--repo", str(repo_with_evidence), "--out", str(tmp_path / "out"), "--as-of", "2026-03-01",
                 "--jobs", "1"])
    out = capsys.readouterr()
    assert code == 0, out.err
    assert "built 3 use case(s)" in out.out and "site:" in out.out
    assert (tmp_path / "out/site/usecases/churn/index.html").is_file()


def test_cli_build_refuses_invalid_specs(repo_with_evidence: Path, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    spec = repo_with_evidence / "usecases/idea/usecase.yaml"
    spec.write_text(spec.read_text().replace("stage: proposed", "stage: nowhere"))
    code = main(["build", "--repo", str(repo_with_evidence), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2
    assert "the specs are invalid" in err and "usecases/idea/usecase.yaml" in err
    assert not (tmp_path / "out/site").exists()


@pytest.mark.parametrize("argv, message", [
    (["--jobs", "0"], "--jobs must be at least 1"),
    (["--as-of", "yesterday"], "expected a date as YYYY-MM-DD"),
])
def test_cli_build_misuse(repo_with_evidence: Path, argv: list[str], message: str,
                          capsys: pytest.CaptureFixture[str]) -> None:
    try:
        code = main(["build", "--repo", str(repo_with_evidence), *argv])
    except SystemExit as exc:  # argparse rejects bad values itself
        code = exc.code
    assert code == 2
    assert message in capsys.readouterr().err


def test_cli_serve_previews_on_localhost(repo_with_evidence: Path, tmp_path: Path) -> None:
    import signal
    import socket
    import subprocess
    import sys
    import time
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "charter", "serve", "--repo", str(repo_with_evidence), "--out",
                             str(tmp_path / "out"), "--port", str(port), "--jobs", "1"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 90
        body = None
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/usecases/churn/", timeout=2) as r:
                    body = r.read().decode()
                break
            except OSError:
                time.sleep(0.5)
        assert body is not None, proc.stdout.read() if proc.poll() is not None else "server did not answer"
        assert "Customer churn" in body
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            out, _ = proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, _ = proc.communicate()
    assert f"http://127.0.0.1:{port}/" in out
