"""The example's use-case pages show what an auditor looks for in an evaluation.

A binary classification (credit-default-risk, evaluated at the credit policy's 0.30
cut-off) states that cut-off and shows its ROC, precision-recall and calibration
charts with the Brier score and its confusion matrices; a regression
(claims-cost-estimation) shows its residual plot; a multiclass one its confusion
matrix. These read the example's committed evidence (evaluate result version 3).
"""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
AS_OF = dt.date(2026, 12, 1)


@pytest.fixture(scope="module")
def example() -> tuple[dict[str, Any], dict[str, str]]:
    from charter.loading.loader import load_repository
    from charter.site.context import build_context, gather
    from charter.site.pages import render_site

    repo = load_repository(ROOT)
    assert repo.ok
    ctx = build_context(gather(repo, as_of=AS_OF, verify_ledger=False))
    pages = {p.path: p.text for p in render_site(ctx).pages}
    return {u["id"]: u for u in ctx["usecases"]}, pages


def _page(example: Any, uc: str) -> str:
    return example[1][f"usecases/{uc}/index.md"]


def _evaluation(page: str) -> str:
    return page.split('<h2 id="evaluation">', 1)[1].split('<h2 id="fairness">', 1)[0]


def _svgs(section: str) -> dict[str, ET.Element]:
    out = {}
    for markup in re.findall(r"<svg .*?</svg>", section, flags=re.S):
        root = ET.fromstring(markup)
        out[root.get("aria-label")] = root
    return out


def test_classification_page_states_its_cut_off_and_shows_the_curves(example: Any) -> None:
    ucs, _ = example
    result = ucs["credit-default-risk"]["evaluation"][0]["result"]
    assert result["decision"]["threshold"] == 0.3
    section = _evaluation(_page(example, "credit-default-risk"))
    assert "Cut-off 0.30:" in section and "when its score is at least 0.30" in section
    svgs = _svgs(section)
    for title in ("ROC curve · evaluate", "Precision-recall curve · evaluate", "Calibration · evaluate"):
        assert title in svgs, f"{title} not on the page (charts: {sorted(svgs)})"
        assert svgs[title].find("{http://www.w3.org/2000/svg}desc") is not None
    roc = "".join(svgs["ROC curve · evaluate"].itertext())
    assert f"AUC {result['roc']['auc']:.3f}" in roc and "Cut-off 0.30" in roc
    brier = next(m for m in result["metrics"] if m["name"] == "brier")
    assert f"Brier score {brier['value']:.3f}" in section
    assert section.count('<table class="ch-confusion">') >= 1 + 3  # overall and one per region at least
    assert "Confusion matrices by region" in section


def test_regression_page_has_a_residual_plot(example: Any) -> None:
    section = _evaluation(_page(example, "claims-cost-estimation"))
    svgs = _svgs(section)
    assert "Residuals · evaluate" in svgs
    assert "ROC curve · evaluate" not in svgs and "Cut-off" not in section
    text = "".join(svgs["Residuals · evaluate"].itertext())
    assert "Residual (observed − predicted)" in text and "Predicted value" in text


def test_multiclass_page_has_its_confusion_matrix(example: Any) -> None:
    ucs, _ = example
    result = ucs["complaint-category-routing"]["evaluation"][0]["result"]
    section = _evaluation(_page(example, "complaint-category-routing"))
    assert '<table class="ch-confusion">' in section
    for label in result["labels"]:
        assert f'<th scope="row">{label}</th>' in section


def test_fairness_section_shows_each_groups_confusion_matrix(example: Any) -> None:
    """Per-group rates come with the counts behind them: the confusion matrix of every group."""
    import json

    from charter.engine.store import EvidenceStore

    page = _page(example, "credit-default-risk")
    fairness = page.split('<h2 id="fairness">', 1)[1].split('<h2 id="drift">', 1)[0]
    assert "Confusion matrices by sex" in fairness
    record = EvidenceStore(ROOT).latest("credit-default-risk", "fairness")
    assert record is not None
    groups = {g["label"]: g for g in record.results["results"][0]["groups"]}
    female = groups["female"]
    (tn, fp), (fn, tp) = female["confusion"]
    assert tn + fp + fn + tp == female["n"]
    assert abs(tp / (tp + fn) - female["metrics"]["tpr"]) < 1e-12
    assert abs(fp / (fp + tn) - female["metrics"]["fpr"]) < 1e-12
    assert (f"<tr><td>female</td><td>{tn:,}</td><td>{fp:,}</td><td>{fn:,}</td><td>{tp:,}</td>"
            f"<td>{female['n']:,}</td></tr>") in fairness
    assert json.dumps(female["confusion"])  # plain integers in the record


def test_slice_gate_verdicts_sit_in_the_slice_table(example: Any) -> None:
    """credit-auc-every-region judges each region: its verdicts are on the regions' rows, not the overall one."""
    section = _evaluation(_page(example, "credit-default-risk"))
    overall = section.split("<h3", 1)[0]
    assert "region=north" not in overall and "region=capital" not in overall
    region = section.split('<h3 id="slice-region">', 1)[1].split("</table>", 1)[0]
    north = next(row for row in region.split("<tr>") if row.startswith("<td>north</td>"))
    assert "gate production: roc_auc 0.7706" in north and "straddles" in north
    assert region.count("gate production:") >= 5  # every region judged, each on its own row
