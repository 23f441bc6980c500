"""The built site in a real browser: Debian's chromium, driven by Playwright, headless.

The fixture repository has a use case whose title, summary, card, tags, data
description, slice values and group labels carry ``<script>`` and ``<img onerror>``
payloads and ``javascript:`` links. In the browser: every page loads without
console errors, nothing sets ``window.__pwned``, the payloads are visible as
text, the built-in search finds use cases by title (and shows payloads as
text), and no request goes anywhere but the local server.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browsing import chromium, serving

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PAGES = ["", "usecases/index.html", "usecases/xss-probe/index.html", "usecases/churn/index.html",
         "usecases/idea/index.html", "maturity.html", "okrs.html", "reference/spec.html", "reference/submit.html"]


@pytest.fixture(scope="module")
def server(built_site) -> Iterator[str]:  # type: ignore[no-untyped-def]
    with serving(built_site.site_dir) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as b:
        yield b


class Watched:
    """A page with its console errors, uncaught exceptions and every request recorded."""

    def __init__(self, browser: Any) -> None:
        self.page = browser.new_page()
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.page.on("console", lambda m: self.errors.append(f"console.{m.type}: {m.text}")
                     if m.type in ("error", "assert") else None)
        self.page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}"))
        self.page.on("request", lambda r: self.requests.append(r.url))

    def close(self) -> None:
        self.page.close()


@pytest.fixture
def tab(browser: Any) -> Iterator[Watched]:
    w = Watched(browser)
    try:
        yield w
    finally:
        w.close()


@pytest.mark.parametrize("path", PAGES)
def test_page_loads_cleanly_offline_and_runs_no_payload(tab: Watched, server: str, path: str) -> None:
    tab.page.goto(server + path, wait_until="load")
    tab.page.wait_for_timeout(300)
    assert tab.errors == []
    assert tab.page.evaluate("typeof window.__pwned") == "undefined"
    outside = [u for u in tab.requests if not u.startswith(server)]
    assert outside == [], f"requests left the local server: {outside}"
    hrefs = tab.page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
    assert not [h for h in hrefs if h.strip().lower().startswith(("javascript:", "data:", "vbscript:"))]
    assert tab.page.locator("img[onerror], [onload], [onclick], [onmouseover]").count() == 0


def test_payloads_are_visible_as_text(tab: Watched, server: str) -> None:
    tab.page.goto(server + "usecases/xss-probe/index.html", wait_until="load")
    title = tab.page.inner_text("article h1")
    assert title == '<script>window.__pwned=1</script> Probe <img src=x onerror="window.__pwned=1">'
    summary = tab.page.inner_text("article .ch-lead")
    assert "[click me](javascript:window.__pwned=1)" in summary
    body = tab.page.inner_text("article")
    assert "<svg onload=window.__pwned=1>" in body  # a slice value from the evidence
    assert tab.page.locator("article script").count() == 0
    assert tab.page.evaluate("typeof window.__pwned") == "undefined"


def _search(tab: Watched, server: str, query: str) -> list[dict[str, str]]:
    tab.page.goto(server, wait_until="load")
    box = tab.page.locator("input.md-search__input")
    box.click()
    # the search worker loads the index first; type like a person once it is ready
    tab.page.wait_for_function(
        "!document.querySelector('.md-search-result__meta').innerText.includes('Initializing')", timeout=15000)
    tab.page.keyboard.type(query, delay=20)
    tab.page.wait_for_selector(".md-search-result__item", timeout=15000)
    tab.page.wait_for_timeout(300)
    return tab.page.eval_on_selector_all(
        ".md-search-result__item a", "els => els.map(e => ({href: e.getAttribute('href'), text: e.innerText}))")


def test_search_finds_a_use_case_by_title(tab: Watched, server: str) -> None:
    results = _search(tab, server, "Customer churn")
    assert any("usecases/churn/index.html" in r["href"] for r in results), results
    assert tab.errors == []
    assert not [u for u in tab.requests if not u.startswith(server)]


def test_search_shows_payloads_as_text(tab: Watched, server: str) -> None:
    results = _search(tab, server, "Probe")
    probe = [r for r in results if "usecases/xss-probe/index.html" in r["href"]]
    assert probe, results
    assert "<script>window.__pwned=1</script>" in probe[0]["text"]
    assert tab.page.evaluate("typeof window.__pwned") == "undefined"
    assert tab.errors == []


def test_evidence_links_land_on_their_lineage_row(tab: Watched, server: str) -> None:
    tab.page.goto(server + "usecases/churn/index.html", wait_until="load")
    link = tab.page.locator("h2#evaluation ~ p.ch-src a[href^='#ev-']").first
    target = link.get_attribute("href")
    short = link.inner_text()
    link.click()
    row = tab.page.locator(target)
    assert row.count() == 1 and row.is_visible()
    assert row.evaluate("e => e.tagName") == "TR"
    assert "evaluate" in row.inner_text() and short in row.inner_text()


def test_site_root_is_what_was_built(built_site) -> None:  # type: ignore[no-untyped-def]
    assert Path(built_site.site_dir, "index.html").is_file()


# Link titles carrying Markdown and HTML payloads: before titles were escaped for
# Markdown too, ``x [L](javascript:…)`` became a live link on the home page.
LINK_PAYLOADS = [
    "x [L](javascript:window.__pwned=1)",
    "![i](javascript:window.__pwned=1) <javascript:window.__pwned=1>",
    "<img src=x onerror=\"window.__pwned=1\"> *em* `code` {: onclick=\"window.__pwned=1\"}",
]


@pytest.fixture(scope="module")
def link_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    import yaml

    import site_fixture
    from charter.loading.loader import load_repository
    from charter.site.build import build_site

    root = site_fixture.write_repo(tmp_path_factory.mktemp("link-repo"))
    links = [{"title": t, "url": "https://ok.example/doc"} for t in LINK_PAYLOADS]
    for rel in ("governance/policy.yaml", "usecases/churn/usecase.yaml"):
        doc = yaml.safe_load((root / rel).read_text())
        doc["links"] = links
        (root / rel).write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True))
    repo = load_repository(root)
    assert repo.ok, [str(d) for d in repo.errors]
    report = build_site(root, out=tmp_path_factory.mktemp("link-build"), repo=repo, gather=site_fixture.site_inputs)
    assert report.ok, report.errors
    with serving(report.site_dir) as url:
        yield url


@pytest.mark.parametrize("path", ["", "usecases/churn/index.html"])
def test_link_title_payloads_stay_text_on_load_and_click(tab: Watched, link_site: str, path: str) -> None:
    tab.page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(link_site)
                   else route.abort())
    tab.page.goto(link_site + path, wait_until="load")
    hrefs = tab.page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
    assert [h for h in hrefs if h == "https://ok.example/doc"] and not [
        h for h in hrefs if ":" in h.split("/", 1)[0] and not h.lower().startswith(("http:", "https:", "mailto:"))]
    body = tab.page.inner_text("article")
    for payload in LINK_PAYLOADS:
        assert " ".join(payload.split()) in " ".join(body.split())
    for link in tab.page.locator("a[href='https://ok.example/doc']").all():
        link.click(modifiers=["Alt"], no_wait_after=True)  # Alt: download-or-nothing, the page stays
    tab.page.wait_for_timeout(300)
    assert tab.page.evaluate("typeof window.__pwned") == "undefined"
    assert tab.page.locator("img[onerror], [onload], [onclick], [onmouseover]").count() == 0
    assert tab.errors == []


@pytest.mark.parametrize("path", ["", "usecases/churn/index.html"])
def test_the_themes_set_up_runs_on_every_page(tab: Watched, server: str, path: str) -> None:
    """The generated pages leave out the theme's inline set-up script (charter.js runs the same code, with the
    site's root from its own URL): its storage helpers are there and scoped to the site's root either way."""
    tab.page.goto(server + path, wait_until="load")
    assert tab.page.evaluate("window.__md_scope.href") == server
    assert tab.page.evaluate("__md_set('x', 1), __md_get('x')") == 1
    html = (tab.page.content())
    assert ("__md_scope=new URL" in html) == (path == "")  # inline on the theme's own pages only
    assert tab.errors == []
