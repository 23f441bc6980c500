"""Markdown and HTML payloads in every free-text field of the example repository, in Chromium.

The example repository (governance, use cases, evidence, mkdocs.yml, site/) is
copied, and every free-text string of every governance and use-case file gets a
payload appended: script and event-handler tags, Markdown links and images with
``javascript:`` and ``data:`` targets, a raw HTML block starting a line, Jinja
syntax and a forged workflow command after a newline. The copy must still
validate; ``charter build`` renders it (evidence pages too). In the browser, on
every page: nothing sets ``window.__pwned`` or opens a dialog on load, every link
is http(s), mailto or relative, no script carries a payload, clicking every link
whose text holds payload text runs nothing, and planted text shows as text.
"""

from __future__ import annotations

import re
import shutil
from html.parser import HTMLParser
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browsing import chromium, serving

pytestmark = [pytest.mark.browser, pytest.mark.slow]

EXAMPLE = Path(__file__).resolve().parents[2]
AS_OF = "2026-03-01"

PAYLOAD = (
    ' <script>window.__pwned=1</script> <img src=x onerror="window.__pwned=1">'
    " [click](javascript:window.__pwned=1) [x](data:text/html,<script>window.__pwned=1</script>)"
    ' <a href="javascript:window.__pwned=1">a</a> ![i](javascript:alert(1))'
    " <svg onload=window.__pwned=1> {{ 7*7 }} {% raw %} *em* `code` {: onclick=\"window.__pwned=1\"}"
    '\n<div onclick="window.__pwned=1"><a href="javascript:window.__pwned=1">block</a></div>'
    "\n::error::FORGED"
)
# A shorter payload for fields with a length limit or a single line (names, titles, tickets).
SHORT = ' <img src=x onerror="window.__pwned=1"> [c](javascript:window.__pwned=1) {{ 7*7 }}'

# Free text: rendered as prose, labels or table cells. Ids, references, enums,
# numbers, URLs, paths, hashes and signatures are left alone (the repository must validate).
LONG_KEYS = {
    "description", "summary", "rationale", "limitations", "intendedUse", "outOfScopeUse",
    "ethicalConsiderations", "humanOversight", "misuseAndEdgeCases", "contentWarnings",
    "responsibilities", "regulatoryJustification", "riskReduced", "reason", "note", "text",
    "simplerAlternative", "llmOverkill", "needForAi", "businessImpact", "measurement", "consumption",
    "commonMistakes", "retirementDecision", "ticket",
}
SHORT_KEYS = {"name", "title", "affectedGroups", "consumers", "kpi", "measuredBy"}
# Approvals are signed over a review digest (left alone: they may turn stale); estimators are
# allowlist names. Waivers get payloads: the copy's policy stops requiring their signatures.
SKIP_PARENTS = {"estimator", "estimators", "approvals", "signingKeys", "columns", "contract", "params", "textParams", "slices"}

SKIP_FIELDS = {("jobs", "text")}  # a job's text column


def _plant(node: Any, key: str | None = None, skip: bool = False) -> int:
    """Appends payloads to the free-text strings under ``node`` (ruamel round-trip data); returns how many."""
    from ruamel.yaml.scalarstring import LiteralScalarString

    count = 0
    items: list[tuple[Any, Any]]
    if isinstance(node, dict):
        items = list(node.items())
    elif isinstance(node, list):
        items = [(i, v) for i, v in enumerate(node)]
    else:
        return 0
    for k, v in items:
        field = k if isinstance(k, str) else key
        if isinstance(v, str):
            if skip or field not in LONG_KEYS | SHORT_KEYS or (key, field) in SKIP_FIELDS:
                continue
            if field in LONG_KEYS:
                node[k] = LiteralScalarString(str(v) + PAYLOAD)
            else:
                node[k] = str(v) + SHORT
            count += 1
        else:
            count += _plant(v, field, skip or field in SKIP_PARENTS)
    return count


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from ruamel.yaml import YAML

    root = tmp_path_factory.mktemp("payload-repo")
    for name in ("governance", "usecases", "evidence", "site"):
        shutil.copytree(EXAMPLE / name, root / name)
    shutil.copy(EXAMPLE / "mkdocs.yml", root / "mkdocs.yml")
    yaml = YAML()
    yaml.width = 4096
    planted = 0
    for path in sorted([*root.glob("governance/*.yaml"), *root.glob("usecases/*/usecase.yaml")]):
        doc = yaml.load(path)
        for rule in doc.get("waivers") or []:
            if "signed" in rule:
                rule["signed"] = False
            rule.pop("signature", None)
        planted += _plant(doc)
        with path.open("w") as f:
            yaml.dump(doc, f)
    assert planted > 200, planted
    return root


@pytest.fixture(scope="module")
def server(planted: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from charter.cli.main import main

    assert main(["validate", "--no-cache", str(planted)]) == 0
    out = tmp_path_factory.mktemp("payload-build")
    assert main(["build", "--repo", str(planted), "--out", str(out), "--as-of", AS_OF]) == 0
    with serving(out / "site") as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as b:
        yield b


def _pages(planted: Path) -> list[str]:
    ucs = sorted(p.parent.name for p in planted.glob("usecases/*/usecase.yaml"))
    return ["", "usecases/index.html", "maturity.html", "okrs.html", "reference/spec.html", "reference/submit.html",
            "about.html", *(f"usecases/{uc}/index.html" for uc in ucs)]


_SAFE_HREF = re.compile(r"^(https?:|mailto:|#|/|\.|[^:/?#]*([/?#]|$))", re.I)
PAYLOAD_TEXT = ("__pwned", "javascript:", "data:text/html")


def _pwned(page: Any) -> bool:
    return bool(page.evaluate("typeof window.__pwned !== 'undefined'"))


def test_no_payload_runs_or_links_anywhere(browser: Any, server: str, planted: Path) -> None:
    page = browser.new_page()
    dialogs: list[str] = []

    def dialog(d: Any) -> None:
        dialogs.append(d.message)
        d.dismiss()

    page.on("dialog", dialog)
    loading = {"page": True}

    def route(r: Any) -> None:
        if r.request.is_navigation_request() and not loading["page"]:
            r.fulfill(status=204)  # a click's navigation: 204 keeps the page (and its window) where it is
        elif not r.request.url.startswith(server):
            r.abort()  # nothing leaves the local server
        else:
            r.continue_()

    page.route("**/*", route)
    problems: list[str] = []
    clicked = 0
    for path in _pages(planted):
        loading["page"] = True
        resp = page.goto(server + path, wait_until="load")
        loading["page"] = False
        assert resp is not None and resp.ok, path
        if _pwned(page):
            problems.append(f"{path}: payload ran on load")
        hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
        problems += [f"{path}: link {h!r}" for h in hrefs if not _SAFE_HREF.match(h.strip())]
        srcs = page.eval_on_selector_all("[src]", "els => els.map(e => e.getAttribute('src'))")
        problems += [f"{path}: src {s!r}" for s in srcs if s.strip() == "x" or not _SAFE_HREF.match(s.strip())]
        scripts = page.eval_on_selector_all("script", "els => els.map(e => e.textContent)")
        problems += [f"{path}: script {s[:80]!r}" for s in scripts if "__pwned" in s]
        handlers = page.eval_on_selector_all(
            "*", "els => els.flatMap(e => [...e.attributes].filter(a => a.name.startsWith('on'))"
                 ".map(a => e.tagName + ' ' + a.name))")
        problems += [f"{path}: handler {h}" for h in handlers]
        # Every visible link whose text holds payload text, clicked like a person would (one per
        # target: with no event handlers on the page, what a click does depends only on the href).
        links = page.locator("a").filter(has_text=re.compile("__pwned|javascript:|data:text/html"))
        seen: set[str | None] = set()
        for i in range(links.count()):
            link = links.nth(i)
            href = link.get_attribute("href")
            if href not in seen and link.is_visible():
                seen.add(href)
                link.click(no_wait_after=True, timeout=2000, force=True)
                clicked += 1
                if _pwned(page):
                    problems.append(f"{path}: payload ran on click of {link.get_attribute('href')!r}")
        assert page.url.split("#")[0] == server + path  # still here: the clicks ran in this page
    assert clicked > 30, clicked
    assert dialogs == []
    assert problems == [], "\n".join(problems[:50])
    page.close()


def test_planted_text_is_visible_as_text(browser: Any, server: str) -> None:
    page = browser.new_page()
    page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(server) else route.abort())
    page.goto(server + "usecases/credit-default-risk/index.html", wait_until="load")
    body = " ".join(page.inner_text("article").split())
    assert " ".join(page.inner_text("article h1").split()) == "Consumer loan default risk " + " ".join(SHORT.split())
    assert "<script>window.__pwned=1</script>" in body
    assert "[click](javascript:window.__pwned=1)" in body
    assert "{% raw %}" in body and "::error::FORGED" in body
    page.goto(server, wait_until="load")
    home = " ".join(page.inner_text("article").split())
    assert "[c](javascript:window.__pwned=1)" in home
    page.goto(server + "okrs.html", wait_until="load")
    okrs = " ".join(page.inner_text("article").split())
    assert "<svg onload=window.__pwned=1>" in okrs
    assert page.evaluate("typeof window.__pwned") == "undefined"
    page.close()


class _Links(HTMLParser):
    """Every href/src and event-handler attribute of an HTML page, and the text of its scripts."""

    def __init__(self) -> None:
        super().__init__()
        self.bad: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._in_script = tag == "script"
        for name, value in attrs:
            v = (value or "").strip()
            if name.startswith("on"):
                self.bad.append(f"<{tag} {name}>")
            elif name in ("href", "src", "data", "action", "formaction") and not _SAFE_HREF.match(v):
                self.bad.append(f"<{tag} {name}={v!r}>")

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and "__pwned" in data:
            self.bad.append(f"<script>{data[:60]!r}")


def test_pages_through_the_markdown_parser_stay_inert(planted: Path, tmp_path: Path) -> None:
    """Without the fast path every page, the per-use-case ones too, goes through Python-Markdown."""
    from charter.site.build import build_site

    import datetime as dt

    report = build_site(planted, out=tmp_path / "slow", as_of=dt.date.fromisoformat(AS_OF), use_fast_path=False)
    assert report.ok, report.errors
    pages = sorted(Path(report.site_dir).rglob("*.html"))
    assert len(pages) > 15
    bad: list[str] = []
    for page in pages:
        parser = _Links()
        parser.feed(page.read_text())
        bad += [f"{page.relative_to(report.site_dir)}: {b}" for b in parser.bad]
    assert bad == [], "\n".join(bad[:50])
