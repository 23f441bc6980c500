"""`charter show` prints the facts the system card shows for generative evidence."""

from __future__ import annotations

import json
from pathlib import Path

from charter.kinds import runners

ROOT = Path(__file__).resolve().parents[2]
UC = ROOT / "evidence/records/mortgage-document-assistant"


def _results(job: str) -> dict:
    return json.loads(sorted((UC / job).glob("*.json"))[-1].read_text())["results"]


def test_show_prints_system_version_groups_pii_cost_and_review() -> None:
    res = _results("evaluate-v2")
    text = "\n".join(runners.format_results("generative-eval", res))
    s = res["system"]
    assert f"prompt template sha256 {s['promptTemplateSha256']}" in text
    assert ", ".join(f"{k}={v}" for k, v in sorted(s["decoding"].items())) in text
    assert f"retrieval snapshot {s['retrievalSnapshot']}" in text
    for key in res["groups"]:
        assert f"groups by {key}:" in text
    assert "PII findings: " in text and f"input {res['tokens']['input']}" in text
    assert f"mean rating {res['review']['rating']['value']:.4f}" in text
    assert f"method refusal: {res['methods']['refusal']}" in text


def test_show_prints_which_metrics_improved_or_regressed() -> None:
    res = _results("compare-v1-v2")
    text = "\n".join(runners.format_results("generative-compare", res))
    assert f"regressed significantly: {', '.join(res['regressed'])}" in text
    assert f"improved significantly: {', '.join(res['improved'])}" in text
    assert f"champion: prompt template sha256 {res['champion']['promptTemplateSha256']}" in text
