"""Every link the built site holds works when the site is opened from disk.

Opened with file://, a link to a folder (``usecases/churn/``) shows the folder's
listing, not its ``index.html``: every internal link must name a file that exists,
and a link into a page must name an anchor that page has. Checked on the fixture
site, and on one with a page size of two use cases (so the use-case index is paged
and the prioritisation chart is a separate SVG file with its own links).
"""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

import site_fixture


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        for key in ("id", "name"):
            if a.get(key):
                self.ids.add(str(a[key]))
        for key in ("href", "src", "data"):
            value = a.get(key)
            if value and tag in ("a", "link", "script", "img", "object", "iframe"):
                self.links.append(value)


def broken_links(site: Path) -> list[tuple[str, str, str]]:
    parsed: dict[Path, _Links] = {}

    def read(path: Path) -> _Links:
        if path not in parsed:
            parsed[path] = _Links()
            parsed[path].feed(path.read_text(encoding="utf-8"))
        return parsed[path]

    bad = []
    # 404.html is for a web server, which serves it at any depth: its links are absolute.
    pages = [p for p in site.rglob("*") if p.suffix in (".html", ".svg") and p.name != "404.html"]
    assert pages
    for page in sorted(pages):
        for href in read(page).links:
            url = urlsplit(href)
            if url.scheme or url.netloc or href.startswith("//"):
                continue
            where = page.relative_to(site).as_posix()
            target = page if not url.path else (page.parent / unquote(url.path)).resolve()
            if site.resolve() not in target.parents:
                bad.append((where, href, "outside the site"))
            elif target.is_dir():
                bad.append((where, href, "a folder"))
            elif not target.is_file():
                bad.append((where, href, "missing"))
            elif url.fragment and target.suffix == ".html" and url.fragment not in read(target).ids:
                bad.append((where, href, "no such anchor"))
    return bad


def test_every_internal_link_names_a_file(built_site) -> None:  # type: ignore[no-untyped-def]
    assert broken_links(built_site.site_dir) == []


def test_every_link_of_a_paged_portfolio_names_a_file(fixture_root, fixture_repo, tmp_path,  # type: ignore[no-untyped-def]
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from charter.site import context
    from charter.site.build import build_site

    monkeypatch.setattr(context, "PAGE_SIZE", 2)
    report = build_site(fixture_root, out=tmp_path, repo=fixture_repo, gather=site_fixture.site_inputs)
    assert report.ok, report.errors
    site = report.site_dir
    assert (site / "usecases/page-2.html").is_file()
    assert (site / "assets/charter/prioritisation.svg").is_file()
    assert 'href="page-2.html"' in (site / "usecases/index.html").read_text()
    assert broken_links(site) == []
