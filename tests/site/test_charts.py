"""Inline SVG charts: valid XML, labelled, accessible, escaped, and no label outside its chart.

Text extents are checked with an estimate of our own (not the one charts.py sizes its
label areas with): a sans-serif letter is about 0.55 em wide, a symbol (⚠, …, ×) up
to a full em. A label whose estimated extent leaves the viewBox would be clipped in
the browser.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any

import pytest

from charter.site import charts
from charter.site.pages import render_site

SVG = "{http://www.w3.org/2000/svg}"


def _parse(markup: Any) -> ET.Element:
    root = ET.fromstring(str(markup))
    assert root.tag == f"{SVG}svg" and root.get("role") == "img" and root.get("aria-label")
    assert root.find(f"{SVG}title") is not None and root.find(f"{SVG}title").text == root.get("aria-label")
    return root


def _estimate(text: str, font: float) -> float:
    return sum(0.55 if c.isascii() else 1.0 for c in text) * font


def _own_text(el: ET.Element) -> str:
    """The text a <text> element shows (its <title> tooltip left out)."""
    parts = [el.text or ""]
    for child in el:
        if child.tag != f"{SVG}title":
            parts.append("".join(child.itertext()))
        parts.append(child.tail or "")
    return "".join(parts)


def _font(classes: list[str]) -> float:
    if "ch-ttl" in classes:
        return 12.0
    if {"ch-tick", "ch-hv", "ch-quad"} & set(classes):
        return 10.0
    return 11.0


def _extents(root: ET.Element) -> list[tuple[str, float, float]]:
    """(text, left, right) of every horizontal <text>, with text-anchor and class inherited from its groups."""
    out = []

    def walk(el: ET.Element, anchor: str, classes: list[str]) -> None:
        anchor = el.get("text-anchor", anchor)
        classes = classes + (el.get("class") or "").split()
        if el.tag == f"{SVG}text" and "rotate" not in (el.get("transform") or ""):
            text = _own_text(el)
            width = _estimate(text, _font(classes))
            x = float(el.get("x", "0"))
            left = {"start": x, "middle": x - width / 2, "end": x - width}[anchor]
            out.append((text, left, left + width))
        for child in el:
            if child.tag != f"{SVG}title":
                walk(child, anchor, classes)

    walk(root, "start", [])
    return out


def _assert_fits(root: ET.Element) -> None:
    _, _, width, _ = (float(v) for v in root.get("viewBox", "").split())
    outside = [(t, round(a, 1), round(b, 1)) for t, a, b in _extents(root) if a < -0.5 or b > width + 0.5]
    assert not outside, f"labels outside the 0–{width} viewBox: {outside}"


def _texts(root: ET.Element) -> str:
    return " ".join(_own_text(t) for t in root.iter(f"{SVG}text"))


# --- the intersection chart's labels (issue 14) ------------------------------------------------------


INTERSECTION = [("Black or African American × female", 1234, False), ("Native American × 60+", 11, True),
                ("White × male", 20_511, False), ("Asian × 36-60", 845, False)]


def test_intersection_bar_labels_fit_the_chart() -> None:
    root = _parse(charts.group_bars(INTERSECTION, [0.31, 0.5, 0.22, 0.27], label="Selection rate by race × sex",
                                    metric="Selection rate"))
    _assert_fits(root)
    shown = _texts(root)
    assert "Black or African American × female (n=1,234)" in shown  # fits once sized from the longest label
    assert "Native American × 60+ (n=11) ⚠" in shown


def test_a_label_too_long_for_any_chart_is_shortened_with_its_full_text_as_tooltip() -> None:
    name = "Group " + "with a very long descriptive name " * 4
    root = _parse(charts.group_bars([(name, 50, False), ("b", 60, False)], [0.4, 0.2], label="x", metric="Rate"))
    _assert_fits(root)
    labels = [t for t in root.iter(f"{SVG}text") if "…" in _own_text(t)]
    assert len(labels) == 1
    tip = labels[0].find(f"{SVG}title")
    assert tip is not None and tip.text == name + " (n=50)"


def test_interval_bar_labels_fit() -> None:
    bars = [charts.Bar("Equal opportunity ratio of the positive class", 0.9, 0.8, 0.95), charts.Bar("AUC", 0.7)]
    root = _parse(charts.interval_bars(bars, label="Metrics", domain=(0.0, 1.0), threshold=0.75))
    _assert_fits(root)


# --- evaluation charts -----------------------------------------------------------------------------


def test_roc_chart() -> None:
    fpr, tpr = [0.0, 0.1, 0.4, 1.0], [0.0, 0.5, 0.85, 1.0]
    root = _parse(charts.roc_chart(fpr, tpr, auc=0.812, title="ROC curve · evaluate",
                                   operating=(0.1, 0.5, "Cut-off 0.30")))
    _assert_fits(root)
    text = _texts(root)
    for want in ("ROC curve · evaluate", "False positive rate", "True positive rate", "Model (AUC 0.812)",
                 "Chance (AUC 0.500)", "Cut-off 0.30 (FPR 0.100, TPR 0.500)", "0.00", "1.00"):
        assert want in text, want
    desc = root.find(f"{SVG}desc")
    assert desc is not None and "area under the curve 0.812" in desc.text
    line = root.find(f".//{SVG}path[@class='ch-line']")
    assert line is not None and line.get("d").count("L") == len(fpr) - 1
    assert root.find(f".//{SVG}circle[@class='ch-op ch-pt']") is not None


def test_precision_recall_chart() -> None:
    root = _parse(charts.pr_chart([0.0, 0.5, 1.0], [1.0, 0.7, 0.4], average_precision=0.71, prevalence=0.4,
                                  title="Precision-recall curve", operating=(0.5, 0.7, "Cut-off 0.30")))
    _assert_fits(root)
    text = _texts(root)
    for want in ("Recall", "Precision", "Model (average precision 0.710)", "No skill (precision = prevalence 0.400)",
                 "Cut-off 0.30 (recall 0.500, precision 0.700)"):
        assert want in text, want


def test_calibration_chart_shows_bins_counts_and_brier() -> None:
    bins = [charts.CalBin(i / 10, (i + 1) / 10, n, (i + 0.5) / 10 if n else None, (i + 0.4) / 10 if n else None)
            for i, n in enumerate([120, 80, 60, 40, 30, 20, 12, 8, 4, 0])]
    root = _parse(charts.calibration_chart(bins, brier=0.1523, title="Calibration"))
    _assert_fits(root)
    text = _texts(root)
    assert "Brier score 0.152" in text and "Perfectly calibrated" in text and "Rows per bin" in text
    assert "Mean predicted probability" in text and "Observed share of positives" in text
    assert all(f"{b.n:,}" in text.split() for b in bins)
    dots = root.findall(f".//{SVG}circle[@class='ch-line ch-pt']")
    assert len(dots) == 9  # the empty bin has no dot
    assert "120 rows" in dots[0].find(f"{SVG}title").text
    assert "Brier score 0.152" in root.find(f"{SVG}desc").text


@pytest.mark.parametrize("scale", [0.001, 1.0, 1000.0])
def test_residual_chart(scale: float) -> None:
    bins = [charts.ResidualBin(scale * (100 + 10 * i), 50, scale * (-8 - i), -3 * scale, scale * (0.5 * i - 2),
                               3 * scale, scale * (8 + i)) for i in range(20)]
    root = _parse(charts.residual_chart(bins, title="Residuals · evaluate"))
    _assert_fits(root)
    text = _texts(root)
    for want in ("Predicted value", "Residual (observed − predicted)", "Median residual", "25–75 %", "10–90 %",
                 "Zero residual"):
        assert want in text, want
    assert len(root.findall(f".//{SVG}circle[@class='ch-line ch-pt']")) == 20
    assert root.find(f".//{SVG}path[@class='ch-box']").get("d").count("z") == 20
    ticks = [float(t.text.replace(",", "")) for g in root.iter(f"{SVG}g") if g.get("class") == "ch-tick"
             for t in g.iter(f"{SVG}text")]
    assert len(ticks) >= 6 and all(len(t.text) <= 7 for g in root.iter(f"{SVG}g") if g.get("class") == "ch-tick"
                                   for t in g.iter(f"{SVG}text"))


def test_nice_ticks() -> None:
    assert charts.nice_ticks(0, 1) == ([0.0, 0.25, 0.5, 0.75, 1.0], 2)
    assert charts.nice_ticks(-14_000, 12_000) == ([-10_000.0, -5_000.0, 0.0, 5_000.0, 10_000.0], 0)
    assert charts.nice_ticks(5, 5.3) == ([5.0, 5.1, 5.2, 5.3], 1)


def test_confusion_table_counts_and_shares() -> None:
    wrap = ET.fromstring(str(charts.confusion_table(["no", "<b>yes</b>"], [[180, 40], [61, 119]], caption="All rows",
                                                    positive="<b>yes</b>")))
    assert wrap.tag == "div" and wrap.get("class") == "ch-confusion-wrap"  # scrolls rather than overflows
    table = wrap.find("table")
    assert table is not None
    assert table.tag == "table" and table.find("caption") is not None
    cells = [["".join(td.itertext()) for td in tr.findall("td")] for tr in table.find("tbody")]
    assert cells[0][:2] == ["18081.8 %", "4018.2 %"] and cells[0][2] == "220"
    assert cells[1][1].startswith("119") and "66.1 %" in cells[1][1]
    assert [th.text for th in table.find("tbody").iter("th")] == ["no", "<b>yes</b>"]  # text, not markup
    assert table.find(".//b") is None


@pytest.mark.parametrize("make", [
    lambda t: charts.roc_chart([0, 1], [0, 1], auc=0.5, title=t, operating=(0.2, 0.3, t)),
    lambda t: charts.pr_chart([0, 1], [1, 0.5], average_precision=0.5, prevalence=0.5, title=t),
    lambda t: charts.calibration_chart([charts.CalBin(0, 1, 3, 0.5, 0.4)], brier=0.2, title=t),
    lambda t: charts.residual_chart([charts.ResidualBin(1, 3, -1, 0, 0, 0, 1)], title=t),
    lambda t: charts.group_bars([(t, 3, True)], [0.5], label=t, metric=t),
])
def test_untrusted_text_is_escaped(make: Any) -> None:
    hostile = '<script>alert(1)</script><svg onload="x">'
    markup = str(make(hostile))
    root = ET.fromstring(markup)
    assert not [el for el in root.iter() if el.tag.endswith(("script", "}svg")) and el is not root]
    assert "onload" not in "".join(k for el in root.iter() for k in el.attrib)
    assert "<script>" not in markup


# --- the portfolio's prioritisation chart (issue 14) ---------------------------------------------------


def test_prioritisation_legend_has_every_stage_and_unscored_use_cases_are_listed(  # type: ignore[no-untyped-def]
        fixture_ctx) -> None:
    home = next(p for p in render_site(fixture_ctx).pages if p.path == "index.md").text
    section = home.split("## Prioritisation", 1)[1].split("\n## ", 1)[0]
    legend = section.split("<figcaption>", 1)[1]
    for stage in fixture_ctx["stages"]:
        assert f'ch-stage-{stage["id"]}">●</span> {stage["name"]}' in legend, stage["id"]
    plotted = set(re.findall(r'<a href="usecases/([^/"]+)/index.html"><circle', section))
    assert plotted == {u["id"] for u in fixture_ctx["usecases"] if u.get("scores")}
    unscored = [u for u in fixture_ctx["usecases"] if not u.get("scores")]
    assert unscored, "the fixture has a use case without prioritisation scores"
    for u in unscored:
        assert f'<a href="usecases/{u["id"]}/index.html">' in section.split("</figure>", 1)[1]
        assert "not plotted because its spec has no prioritisation scores" in section
