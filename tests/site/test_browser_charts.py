"""Chart labels measured with the browser's own font metrics: none leaves its chart.

The unit tests check text extents with an estimate; here chromium lays the fixture
site's pages out and every <text> of every chart must lie inside its SVG's viewBox.
"""

from __future__ import annotations

from typing import Any

import pytest
from test_browser import Watched, browser, server, tab  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

MEASURE = """() => {
  const out = [];
  for (const svg of document.querySelectorAll('svg.ch-chart')) {
    const vb = svg.viewBox.baseVal;
    for (const t of svg.querySelectorAll('text')) {
      if (t.closest('[transform]')) continue;  // rotated axis titles: their box is not in user units
      const b = t.getBBox();
      if (b.x < vb.x - 1 || b.y < vb.y - 1 || b.x + b.width > vb.x + vb.width + 1 ||
          b.y + b.height > vb.y + vb.height + 1)
        out.push([svg.getAttribute('aria-label'), t.textContent, b.x, b.x + b.width, vb.width]);
    }
  }
  return [document.querySelectorAll('svg.ch-chart').length, out];
}"""


@pytest.mark.parametrize("path,least", [("usecases/churn/", 5), ("usecases/xss-probe/", 4), ("", 1)])
def test_no_chart_label_leaves_its_chart(tab: Watched, server: str, path: str, least: int) -> None:  # noqa: F811
    tab.page.set_viewport_size({"width": 1400, "height": 900})
    tab.page.goto(server + path, wait_until="load")
    charts, outside = tab.page.evaluate(MEASURE)
    assert charts >= least
    assert outside == [], f"labels outside their chart: {outside}"


def test_evaluation_charts_are_accessible(tab: Watched, server: str) -> None:  # noqa: F811
    tab.page.goto(server + "usecases/churn/", wait_until="load")
    found: list[Any] = tab.page.eval_on_selector_all(
        "#evaluation ~ .ch-figs svg, .ch-figs svg",
        "els => els.map(e => [e.getAttribute('role'), e.getAttribute('aria-label'), "
        "e.querySelector('title') && e.querySelector('title').textContent, !!e.querySelector('desc')])")
    labels = {f[1] for f in found}
    assert {"ROC curve · evaluate", "Precision-recall curve · evaluate", "Calibration · evaluate"} <= labels
    assert all(role == "img" and title == label and desc for role, label, title, desc in found)
