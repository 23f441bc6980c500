"""Warnings: reported with their location, never failing validation unless --strict."""

from __future__ import annotations

from pathlib import Path

from charter.validation import validate


def test_ai_objective_without_a_product_key_result_is_flagged(repo: Path) -> None:
    okrs = repo / "governance/okrs.yaml"
    okrs.write_text(okrs.read_text().replace("bucket: north-star", "bucket: system-health"))
    result = validate(repo, use_cache=False)
    assert result.ok
    [w] = result.diagnostics
    assert (w.code, w.severity, w.file, w.line, w.path) == (
        "CH036", "warning", "governance/okrs.yaml", 4, "objectives[id='keep-customers']")
    assert "north-star or product-health" in w.message


def test_expired_waiver_is_a_warning(repo: Path) -> None:
    uc = repo / "usecases/churn/usecase.yaml"
    uc.write_text(uc.read_text() + "waivers:\n  - {requirement: primary-metric, owner: ben, reason: Known gap,"
                  " ticket: RISK-1, expires: 2020-01-01}\n")
    result = validate(repo, use_cache=False)
    assert result.ok
    [w] = result.diagnostics
    assert (w.code, w.severity, w.line) == ("CH041", "warning", 64)
    assert "expired on 2020-01-01" in w.message
