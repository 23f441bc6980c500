"""`charter gate` as CI runs it: exit codes, formats, --output, --record, --stage."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest
from support import GovRepo, drift_results

from charter.cli.main import main

ON = ["--on", "2026-03-01"]


def gate(g: GovRepo, *args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(["gate", "--repo", str(g.root), *ON, *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_all_pass_exits_0(ready: GovRepo, capsys) -> None:
    code, out, _ = gate(ready, capsys=capsys)
    assert code == 0, out
    assert out.strip().endswith("1 of 1 use case passed their gate (7 pass, 0 waived, 0 fail, 0 error)\n"
                                "portfolio: 0 out of compliance at its stage, 0 prohibited, 0 blocked from promotion, "
                                "0 ready to promote, 1 compliant at its stage")
    assert "  state: compliant at its stage: passes Production; no further stage" in out


def test_waived_does_not_fail_the_gate(ready: GovRepo, capsys) -> None:
    ready.record("drift", results=drift_results(share=0.6))
    uc = ready.usecases["churn"]
    uc["waivers"] = [{"requirement": "production-drift", "owner": "cleo", "reason": "Migration.", "ticket": "GOV-1",
                      "expires": "2099-01-01"}]
    ready.write_usecase(uc)
    ready.reapprove()  # the approvers reviewed the new drift results
    code, out, _ = gate(ready, capsys=capsys)
    assert code == 0 and "1 waived" in out


def test_a_failure_exits_1_and_no_fail_exits_0(ready: GovRepo, capsys) -> None:
    ready.record("drift", results=drift_results(share=0.6))
    assert gate(ready, capsys=capsys)[0] == 1
    assert gate(ready, "--no-fail", capsys=capsys)[0] == 0


def test_missing_evidence_exits_1(gov: GovRepo, capsys) -> None:
    code, out, _ = gate(gov, capsys=capsys)
    assert code == 1 and "fix: charter run churn" in out


def test_invalid_specs_exit_2_and_point_at_validate(ready: GovRepo, capsys) -> None:
    path = ready.root / "usecases/churn/usecase.yaml"
    path.write_text(path.read_text().replace("threshold: 0.7", "threshold: high"))
    code, out, err = gate(ready, capsys=capsys)
    assert code == 2 and out == ""
    assert "the specs are invalid (1 error, 0 warnings in 5 files)" in err
    assert "error[CH012] evaluation.threshold: expected a number, got 'high'" in err
    assert "charter validate" in err


def test_invalid_specs_in_github_format_are_annotated(ready: GovRepo, capsys) -> None:
    path = ready.root / "usecases/churn/usecase.yaml"
    path.write_text(path.read_text().replace("threshold: 0.7", "threshold: high"))
    code, out, _ = gate(ready, "--format", "github", capsys=capsys)
    assert code == 2 and out.startswith("::error file=usecases/churn/usecase.yaml,line=")


def test_unknown_use_case_and_stage_are_usage_errors(ready: GovRepo, capsys) -> None:
    code, _, err = gate(ready, "chrun", capsys=capsys)
    assert code == 2 and "unknown use case 'chrun' (did you mean 'churn'?)" in err
    code, _, err = gate(ready, "--stage", "prodution", capsys=capsys)
    assert code == 2 and "unknown stage 'prodution' (did you mean 'production'?)" in err
    code, _, err = gate(ready, "--on", "tomorrow", capsys=capsys)
    assert code == 2 and "--on: expected a date" in err


def test_stage_next_asks_about_the_promotion(ready: GovRepo, capsys) -> None:
    uc = ready.usecases["churn"]
    uc["stage"] = "pilot"
    ready.write_usecase(uc)
    code, out, _ = gate(ready, "--stage", "next", "--format", "json", capsys=capsys)
    [d] = json.loads(out)["decisions"]
    assert (d["stage"], d["declared_stage"]) == ("production", "pilot")
    assert code == 0


def test_output_file_and_junit(ready: GovRepo, capsys, tmp_path: Path) -> None:
    target = tmp_path / "reports" / "gate.xml"
    target.parent.mkdir()
    code, out, err = gate(ready, "--format", "junit", "--output", str(target), capsys=capsys)
    assert code == 0 and out == ""
    assert target.read_text().startswith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites')
    assert "passed their gate" in err


def test_record_appends_decisions_to_the_ledger(ready: GovRepo, capsys) -> None:
    from charter.engine.ledger import Ledger

    code, _, _ = gate(ready, "--record", capsys=capsys)
    assert code == 0
    entries = [e for e in Ledger(ready.root).entries() if e["type"] == "decision"]
    assert len(entries) == 1
    assert entries[0]["payload"]["use_case"] == "churn" and entries[0]["payload"]["passed"] is True
    assert Ledger(ready.root).verify().ok


def test_the_console_script_runs_without_traceback(ready: GovRepo) -> None:
    ready.record("drift", results=drift_results(share=0.6))
    out = subprocess.run([sys.executable, "-m", "charter", "gate", *ON, "--format", "markdown"], cwd=ready.root,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 1, out.stderr
    assert out.stdout.startswith("## ❌ Charter gate") and "Traceback" not in out.stderr


def test_github_paths_are_relative_to_the_git_checkout(gov: GovRepo, tmp_path: Path, capsys) -> None:
    import shutil

    top = tmp_path / "mono"
    shutil.copytree(gov.root, top / "gov")
    subprocess.run(["git", "init", "-q"], cwd=top, check=True)
    code = main(["gate", "--repo", str(top / "gov"), *ON, "--format", "github"])
    out = capsys.readouterr().out
    assert code == 1
    assert out.startswith("::error file=gov/usecases/churn/usecase.yaml,line=")


def test_a_prohibited_use_case_never_reads_passed(ready: GovRepo, capsys) -> None:
    uc = ready.usecases["churn"]
    uc["riskTier"], uc["stage"] = "prohibited", "proposed"
    ready.write_usecase(uc)
    code, out, _ = gate(ready, capsys=capsys)
    assert code == 0, out  # its allowed stage: recorded, not a failure of the portfolio
    assert "churn → proposed (risk tier prohibited): PROHIBITED (no requirements)" in out
    assert "PASSED" not in out
    assert "0 of 1 use case passed their gate, 1 prohibited" in out  # never counted as passed
    assert "  state: prohibited: risk tier Prohibited allows no stage beyond Proposed; not eligible for promotion" in out
    assert out.rstrip().endswith("portfolio: 0 out of compliance at its stage, 1 prohibited, 0 blocked from promotion, "
                                 "0 ready to promote, 0 compliant at its stage")
    code, out, _ = gate(ready, "--stage", "next", capsys=capsys)  # fails closed beyond what the tier allows
    assert code == 1 and "FAILED" in out and "max-stage" in out


def test_gate_json_carries_the_portfolio_states(ready: GovRepo, capsys) -> None:
    ready.record("drift", results=drift_results(share=0.6))
    code, out, _ = gate(ready, "--format", "json", capsys=capsys)
    payload = json.loads(out)
    assert code == 1
    assert payload["portfolio"]["states"] == {"out-of-compliance": 1, "prohibited": 0, "blocked-from-promotion": 0,
                                              "ready-to-promote": 0, "compliant": 0}
    assert payload["portfolio"]["useCases"]["churn"]["state"] == "out-of-compliance"


def test_the_summary_counts_agree_with_the_assessment(ready: GovRepo, capsys) -> None:
    from charter.assessment import assess, states_line

    uc = ready.usecases["churn"]
    uc["stage"] = "pilot"
    ready.write_usecase(uc)
    repo = ready.load()
    a = assess(repo, ready.store, "churn", dt.date.fromisoformat(ON[1]))
    code, out, _ = gate(ready, capsys=capsys)
    assert code == 0
    assert f"portfolio: {states_line([a.state])}" in out and f"  state: {a.state_label}: {a.state_text}" in out


def test_markdown_marks_a_prohibited_use_case(ready: GovRepo, capsys) -> None:
    uc = ready.usecases["churn"]
    uc["riskTier"], uc["stage"] = "prohibited", "proposed"
    ready.write_usecase(uc)
    code, out, _ = gate(ready, "--format", "markdown", capsys=capsys)
    assert code == 0
    assert "| ⛔ | **churn** | proposed |" in out and "prohibited: not eligible for promotion" in out
    assert "✅ <b>churn</b>" not in out
