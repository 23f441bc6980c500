"""The example's site in a real browser, opened from disk (file://) and over http.

Built once per session from the example repository. In both modes: every
navigation link, clicked, lands on a page (a file, never a folder's listing) whose
heading is the one its Markdown gives; the search finds a use case by a word that
only its fairness, drift or gate section holds; the use-case list filters and
sorts; and at 1400 px and 390 px no element overflows its container.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from browsing import chromium, serving

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CREDIT = "credit-default-risk"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as b:
        yield b


@pytest.fixture(scope="module")
def http_base(example_site) -> Iterator[str]:  # type: ignore[no-untyped-def]
    with serving(example_site.site_dir) as url:
        yield url


@pytest.fixture(params=["file", "http"])
def base(request: pytest.FixtureRequest, example_site) -> str:  # type: ignore[no-untyped-def]
    if request.param == "file":
        return str(example_site.site_dir.as_uri()) + "/"
    return str(request.getfixturevalue("http_base"))


@pytest.fixture
def tab(browser: Any) -> Iterator[Any]:
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))
    page.on("console", lambda m: errors.append(f"console.{m.type}: {m.text}") if m.type == "error" else None)
    page.charter_errors = errors
    try:
        yield page
    finally:
        page.close()


def _heading(docs_dir: Path, site_rel: str) -> str:
    """The page's title as its Markdown gives it: the first ``# …`` line or ``<h1>``."""
    text = (docs_dir / (site_rel.removesuffix(".html") + ".md")).read_text(encoding="utf-8")
    if text.startswith("---\n"):
        text = text.split("---\n", 2)[2]
    found = re.search(r"^# (.+?)\s*$", text, re.M) or re.search(r"<h1[^>]*>(.*?)</h1>", text, re.S)
    assert found, f"no heading in the Markdown of {site_rel}"
    return html.unescape(re.sub(r"<[^>]+>", "", found.group(1))).strip()


NAV_LINKS = "nav.md-tabs a.md-tabs__link, nav.md-nav--primary a.md-nav__link[href]"


def _nav_hrefs(tab: Any, visible_only: bool) -> list[str]:
    return tab.eval_on_selector_all(NAV_LINKS, """(els, visible) => els
        .filter(e => !visible || (e.offsetParent !== null && e.getClientRects().length > 0))
        .map(e => e.href.split('#')[0])""", visible_only)


def _check_landed(tab: Any, example_site: Any, base: str, response: Any) -> None:  # type: ignore[no-untyped-def]
    url = tab.url.split("#")[0]
    assert url.startswith(base) and url.endswith(".html"), f"a nav link led to {url}, not a page"
    if response is not None and url.startswith("http"):
        assert response.status == 200, (url, response.status)
    title = tab.title()
    body = tab.inner_text("body")
    assert not title.startswith("Index of") and "Directory listing for" not in body, f"{url} is a directory listing"
    rel = url[len(base):]
    h1 = tab.locator("article.md-content__inner h1").first.inner_text().replace("¶", "").strip()
    assert h1 == _heading(example_site.docs_dir, rel), (rel, h1)


def test_every_nav_link_opens_its_page(tab: Any, base: str, example_site) -> None:  # type: ignore[no-untyped-def]
    start = base + "index.html"
    seen_in_dom: set[str] = set()
    clicked: set[str] = set()
    todo, visited = [start], set()
    while todo:
        here = todo.pop()
        if here in visited:
            continue
        visited.add(here)
        tab.goto(here, wait_until="load")
        seen_in_dom.update(_nav_hrefs(tab, visible_only=False))
        for target in dict.fromkeys(_nav_hrefs(tab, visible_only=True)):
            if target in clicked:
                continue
            tab.goto(here, wait_until="load")
            link = next(h for h in tab.query_selector_all(NAV_LINKS)
                        if h.is_visible() and h.evaluate("e => e.href.split('#')[0]") == target)
            with tab.expect_navigation(wait_until="load") as nav:
                link.click()
            _check_landed(tab, example_site, base, nav.value)
            clicked.add(target)
            todo.append(target)
    # Links that no page shows at desktop width (the portfolio and the use-case list hide the
    # sidebar): clicked on a phone, in the navigation drawer, opening their section first.
    tab.set_viewport_size({"width": 390, "height": 800})
    for target in sorted(seen_in_dom - clicked):
        tab.goto(start, wait_until="load")
        tab.locator("label.md-header__button[for='__drawer']").click()
        toggles = tab.evaluate("""target => {
            const link = [...document.querySelectorAll('nav.md-nav--primary a.md-nav__link')]
                .find(e => e.href.split('#')[0] === target);
            const ids = [];
            for (let li = link && link.closest('li.md-nav__item--nested'); li; li = li.parentElement.closest('li.md-nav__item--nested'))
                ids.unshift(li.querySelector(':scope > input.md-nav__toggle').id);
            return ids;
        }""", target)
        for toggle in toggles:  # open the sections that are closed
            if not tab.locator(f"input#{toggle}").is_checked():
                tab.locator(f"nav.md-nav--primary label[for='{toggle}']").first.click()
                tab.wait_for_timeout(250)
        link = next(h for h in tab.query_selector_all("nav.md-nav--primary a.md-nav__link[href]")
                    if h.is_visible() and h.evaluate("e => e.href.split('#')[0]") == target)
        with tab.expect_navigation(wait_until="load") as nav:
            link.click()
        _check_landed(tab, example_site, base, nav.value)
        clicked.add(target)
    assert seen_in_dom, "no navigation links found"
    assert seen_in_dom <= clicked, f"nav links never reachable by a click: {sorted(seen_in_dom - clicked)}"
    assert len(clicked) >= 7
    assert tab.charter_errors == []


def _section_words(page_html: str, start: str, end: str) -> set[str]:
    i = page_html.index(start)
    section = page_html[i:page_html.index(end, i)]
    text = html.unescape(re.sub(r"<[^>]+>", " ", section))
    # words as the search splits them (on white space and hyphens), letters only
    tokens = (w.strip("()[]{},.;:!?'\"") for w in re.split(r"[\s\-]+", text))
    return {w for w in tokens if len(w) >= 6 and w.isalpha() and w.isascii()}


SECTIONS = {"fairness": ('<h2 id="fairness"', '<h2 id="drift"'),
            "drift": ('<h2 id="drift"', '<h2 id="limitations"'),
            "gates": ('<h3 id="gates"', '<h3 id="approvals"')}


def _distinctive_word(site: Path, uc: str, section: str) -> str:
    """A word of the use case's section that no other use case's page holds, nor its own short entry
    (so among the use cases only that section can match)."""
    own = (site / "usecases" / uc / "index.html").read_text(encoding="utf-8")
    start, end = SECTIONS[section]
    words = _section_words(own, start, end)
    rest = own[:own.index('<h2 id="use"')]  # the title, summary and facts: in the use case's short entry
    others = " ".join(p.read_text(encoding="utf-8") for p in (site / "usecases").glob("*/index.html")
                      if p != site / "usecases" / uc / "index.html")
    words = {w for w in words if not re.search(rf"\b{w}\b", others + rest, re.I)}
    assert words, f"no word of {uc}'s {section} section is unique to it"
    return sorted(words)[0]


def _search(tab: Any, start: str, query: str) -> list[str]:
    tab.goto(start, wait_until="load")
    box = tab.locator("input.md-search__input")
    box.click()
    tab.wait_for_function(
        "!document.querySelector('.md-search-result__meta').innerText.includes('Initializing')", timeout=15000)
    tab.keyboard.type(query, delay=15)
    tab.wait_for_selector(".md-search-result__item a", timeout=15000)
    tab.wait_for_timeout(200)
    return tab.eval_on_selector_all(".md-search-result__item a", "els => els.map(e => e.href)")


@pytest.mark.parametrize("section", sorted(SECTIONS))
def test_search_finds_a_use_case_by_a_word_of_its_section(tab: Any, base: str, example_site,  # type: ignore[no-untyped-def]
                                                          section: str) -> None:
    word = _distinctive_word(example_site.site_dir, CREDIT, section)
    hrefs = _search(tab, base + "index.html", word)
    # a section's entry (search.highlight puts ?h=… before the anchor)
    assert any(re.search(rf"usecases/{CREDIT}/index\.html(\?[^#]*)?#\w", h) for h in hrefs), (word, hrefs)
    assert tab.charter_errors == []


# --- the use-case list: filters and sorting in the browser ------------------------------

def _rows(tab: Any) -> list[dict[str, str]]:
    return tab.eval_on_selector_all("#ch-uc-table tbody tr", """rows => rows.filter(r => !r.hidden).map(r => ({
        title: r.cells[0].querySelector('a').textContent,
        stage: r.dataset.stage, tier: r.dataset.tier, gate: r.dataset.gate, unit: r.dataset.unit,
        value: r.dataset.kValue}))""")


def test_use_case_list_filters_and_sorts(tab: Any, base: str) -> None:
    tab.goto(base + "usecases/index.html", wait_until="load")
    form = tab.locator("form.ch-filter")
    assert form.is_visible()
    everything = _rows(tab)
    assert len(everything) == 10
    for key in ("stage", "tier", "gate", "unit"):
        select = tab.locator(f"select[data-ch-filter='{key}']")
        values = [v for v in select.locator("option").evaluate_all("os => os.map(o => o.value)") if v]
        assert values, key
        for value in values:
            select.select_option(value)
            shown = _rows(tab)
            assert shown and all(r[key] == value for r in shown), (key, value, shown)
            assert len(shown) == sum(r[key] == value for r in everything)
            assert tab.inner_text("[data-ch-count]") == f"{len(shown)} of 10 shown"
        select.select_option("")
    assert len(_rows(tab)) == 10
    # two filters at once
    tab.select_option("select[data-ch-filter='stage']", "production")
    tab.select_option("select[data-ch-filter='tier']", "high")
    assert all(r["stage"] == "production" and r["tier"] == "high" for r in _rows(tab))
    tab.select_option("select[data-ch-filter='stage']", "")
    tab.select_option("select[data-ch-filter='tier']", "")

    header = tab.locator("th[data-ch-sort='value'] button")
    header.click()
    values = [float(r["value"]) for r in _rows(tab) if r["value"]]
    assert values == sorted(values) and len(values) >= 2
    assert tab.get_attribute("th[data-ch-sort='value']", "aria-sort") == "ascending"
    header.click()
    values = [float(r["value"]) for r in _rows(tab) if r["value"]]
    assert values == sorted(values, reverse=True)
    assert tab.get_attribute("th[data-ch-sort='value']", "aria-sort") == "descending"
    tab.locator("th[data-ch-sort='title'] button").click()
    titles = [r["title"] for r in _rows(tab)]
    assert titles == sorted(titles, key=str.lower) and len(set(titles)) == 10
    assert tab.charter_errors == []
    assert tab.locator("[onclick], [onchange]").count() == 0


# --- layout: nothing overflows its container -------------------------------------------

LAYOUT_PAGES = ["index.html", "usecases/index.html", f"usecases/{CREDIT}/index.html", "okrs.html", "maturity.html",
                "reference/submit.html"]

# Overflow, measured in the page. The content box is Material's .md-content (tables'
# scroll wrappers deliberately bleed into its padding). An element outside any scroll
# container must stay inside it, and the page itself must never scroll sideways.
# Scroll containers (Material's table wrappers, code blocks, Charter's .ch-scroll and
# figures) may scroll only on a phone and only where their content is genuinely wide:
# a table whose narrowest layout (every cell wrapped as far as it can: width
# min-content) still overflows, or a code block (code lines do not wrap). At 1400 px
# nothing scrolls: every table and code block fits its column.
MEASURE = """(allowWide) => {
  const problems = [];
  const box = document.querySelector('.md-content');
  const limit = box.getBoundingClientRect();
  const doc = document.scrollingElement;
  if (doc.scrollWidth > window.innerWidth + 1) problems.push(`the page scrolls sideways: ${doc.scrollWidth} > ${window.innerWidth}`);
  const scrolls = e => ['auto', 'scroll', 'hidden'].includes(getComputedStyle(e).overflowX);
  const label = e => e.tagName.toLowerCase() + (e.className && typeof e.className === 'string' ? '.' + e.className.split(' ').join('.') : '')
    + ' "' + e.textContent.trim().slice(0, 50) + '"';
  for (const el of box.querySelectorAll('*')) {
    let p = el.parentElement, inside = false;
    while (p && p !== box) { if (scrolls(p)) { inside = true; break; } p = p.parentElement; }
    if (!inside) {
      const r = el.getBoundingClientRect();
      if (r.width > 0 && (r.right > limit.right + 1 || r.left < limit.left - 1)) problems.push(`${label(el)} leaves the content box`);
    }
    if (!scrolls(el) || el.scrollWidth <= el.clientWidth + 1) continue;
    const table = el.tagName === 'TABLE' ? el : el.querySelector('table');
    if (table) {
      if (!allowWide) { problems.push(`${label(table)} scrolls: ${el.scrollWidth} > ${el.clientWidth}`); continue; }
      const old = table.style.width;
      table.style.width = 'min-content';
      const narrowest = el.scrollWidth;
      table.style.width = old;
      if (narrowest <= el.clientWidth + 1) problems.push(`${label(table)} scrolls though it fits: ${narrowest} <= ${el.clientWidth}`);
    } else if (el.tagName === 'CODE' || el.tagName === 'PRE') {
      if (!allowWide) problems.push(`${label(el)} is cut off: ${el.scrollWidth} > ${el.clientWidth}`);
    } else if (!el.matches('.ch-fig, .ch-scroll')) {
      problems.push(`${label(el)} scrolls: ${el.scrollWidth} > ${el.clientWidth}`);
    } else {
      const inner = el.firstElementChild;
      if (inner && inner.tagName === 'TABLE') continue;
      if (inner && inner.getBoundingClientRect().width <= el.clientWidth + 1) problems.push(`${label(el)} scrolls`);
    }
  }
  return problems;
}"""


@pytest.mark.parametrize("width", [1400, 390])
def test_nothing_overflows_its_container(browser: Any, example_site, width: int) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page(viewport={"width": width, "height": 900})
    try:
        found = {}
        for rel in LAYOUT_PAGES:
            page.goto((example_site.site_dir / rel).as_uri(), wait_until="load")
            problems = page.evaluate(MEASURE, width < 600)
            if problems:
                found[rel] = problems[:8]
        assert found == {}
    finally:
        page.close()
