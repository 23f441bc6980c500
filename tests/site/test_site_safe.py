"""Untrusted text reaches pages as text: escaping for Markdown, HTML and URLs."""

from __future__ import annotations

import html as htmllib
import re
from html.parser import HTMLParser

import markdown
import pytest

from charter.site.safe import html, link, md, prose, safe_url

EXTENSIONS = ["tables", "attr_list", "admonition", "toc"]  # the site's Markdown extensions

PAYLOADS = [
    "<script>window.__pwned=1</script>",
    '<img src=x onerror="window.__pwned=1">',
    "[click](javascript:alert(1))",
    "![img](javascript:alert(1))",
    "<javascript:alert(1)>",
    "[ref]: javascript:alert(1)",
    "text{: onclick=\"alert(1)\"}",
    "*emphasis* _under_ `code` **bold**",
    "a | b | c",
    "# not a heading ###",
    "&lt;script&gt; entity",
    "&#60;script&#62; numeric entity",
    "\\<script\\> backslashes",
    "<!-- comment --> <![CDATA[x]]>",
    "line one\nline two\n\n# heading after blank line\n    indented code",
    "<a href='javascript:alert(1)'>a</a>",
    "R&D < 5 > 3 \"quoted\" 'single'",
    "\x00null\x1bescape\u2028separator",
]


def rendered_text(markup: str) -> str:
    """The visible text of an HTML fragment (tags removed, entities decoded, whitespace folded)."""
    return " ".join(htmllib.unescape(re.sub(r"<[^>]+>", " ", markup)).split())


@pytest.mark.parametrize("payload", PAYLOADS)
def test_md_inline_renders_as_the_same_text_and_no_markup(payload: str) -> None:
    out = markdown.markdown(f"Label: {md(payload)}", extensions=EXTENSIONS)
    assert out.startswith("<p>") and out.endswith("</p>")
    inner = out[3:-4]
    assert "<" not in inner.replace("&lt;", ""), inner  # no element of any kind
    expected = " ".join(re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]", "", payload).split())
    assert rendered_text(inner) == "Label: " + expected


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.cells: list[str] = []
        self._in_cell = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))
        if tag in ("td", "th"):
            self._in_cell = True
            self.cells.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th"):
            self._in_cell = False

    def handle_data(self, data: str) -> None:
        if self._in_cell:
            self.cells[-1] += data


@pytest.mark.parametrize("payload", PAYLOADS)
def test_md_in_a_table_cell_stays_in_its_cell(payload: str) -> None:
    out = markdown.markdown(f"| a | b |\n|---|---|\n| {md(payload)} | end |\n", extensions=EXTENSIONS)
    parsed = _Tags()
    parsed.feed(out)
    assert {t for t, _ in parsed.tags} <= {"table", "thead", "tbody", "tr", "th", "td"}
    assert all(not attrs for _, attrs in parsed.tags)
    expected = " ".join(re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]", "", payload).split())
    assert parsed.cells == ["a", "b", expected, "end"]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_prose_is_a_raw_html_block_markdown_leaves_alone(payload: str) -> None:
    block = str(prose(payload))
    out = markdown.markdown(f"Before\n\n{block}\n\nAfter", extensions=EXTENSIONS)
    assert block in out
    assert "<script" not in block and "<img" not in block and "<a " not in block and "<h1" not in block


def test_html_escapes_quotes_for_attributes() -> None:
    assert str(html('" onmouseover="x')) == "&#34; onmouseover=&#34;x"
    assert str(html(None)) == ""


@pytest.mark.parametrize("url", [
    "javascript:alert(1)", "JavaScript:alert(1)", " javascript:alert(1)", "java\tscript:alert(1)",
    "data:text/html,<script>alert(1)</script>", "vbscript:x", "file:///etc/passwd", "//evil.example/x",
    "/relative", "ftp://x", "https://", "http://a b", 'https://x"onmouseover="y', "\x01javascript:x", None, 42,
])
def test_unsafe_urls_are_refused(url: object) -> None:
    assert safe_url(url) is None
    assert "href" not in str(link("label", url))


@pytest.mark.parametrize("url", ["https://eur-lex.europa.eu/eli/reg/2024/1689/oj", "http://intranet/x?a=1&b=2",
                                 "mailto:ana@example.org", "HTTPS://EXAMPLE.ORG"])
def test_safe_urls_become_links(url: str) -> None:
    out = str(link("<b>label</b>", url))
    assert out.startswith('<a href="') and 'rel="noopener nofollow"' in out
    assert "&lt;b&gt;label&lt;/b&gt;" in out
    assert "&amp;" in out if "&" in url else True


LINK_TITLES = [
    "x [L](javascript:window.__pwned=1)",
    "x [L][r]\n\n[r]: javascript:window.__pwned=1",
    "![i](javascript:window.__pwned=1) <javascript:window.__pwned=1>",
    "x <a href='javascript:window.__pwned=1'>a</a> `code` *em* {: onclick=\"window.__pwned=1\"}",
]


class _Anchors(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.attrs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.attrs += [name for name, _ in attrs]
        self.hrefs += [value or "" for name, value in attrs if name in ("href", "src")]


def _safe_href(href: str) -> bool:
    lowered = href.strip().lower()
    if lowered.startswith(("http://", "https://", "mailto:")):
        return True
    return ":" not in lowered.split("/", 1)[0].split("#", 1)[0].split("?", 1)[0]  # relative


@pytest.mark.parametrize("title", LINK_TITLES)
@pytest.mark.parametrize("context", ["- {}\n", "| a | b |\n|---|---|\n| {} | end |\n", "Links: {} · next\n"])
def test_link_title_payload_stays_text_in_markdown(title: str, context: str) -> None:
    out = markdown.markdown(context.format(link(title, "https://ok.example/doc")), extensions=EXTENSIONS)
    anchors = _Anchors()
    anchors.feed(out)
    assert anchors.hrefs == ["https://ok.example/doc"], out
    assert "onclick" not in anchors.attrs
    assert " ".join(title.split()) in rendered_text(out)


def test_policy_link_payloads_on_the_home_page(fixture_ctx) -> None:  # type: ignore[no-untyped-def]
    import copy

    from charter.site.pages import render_global, render_usecase

    ctx = copy.deepcopy(fixture_ctx)
    ctx["policy_links"] = [{"title": t, "url": u} for t in LINK_TITLES
                           for u in ("https://ok.example/", "javascript:window.__pwned=1", "/relative", "data:x")]
    home = next(p for p in render_global(ctx).pages if p.path == "index.md")
    out = markdown.markdown(home.text, extensions=EXTENSIONS)
    anchors = _Anchors()
    anchors.feed(out)
    assert all(_safe_href(h) for h in anchors.hrefs), [h for h in anchors.hrefs if not _safe_href(h)]
    assert anchors.hrefs.count("https://ok.example/") == len(LINK_TITLES)
    assert "onclick" not in anchors.attrs and "javascript:window.__pwned=1)" in rendered_text(out)
    uc = copy.deepcopy(ctx["usecases"][0])
    uc["links"] = ctx["policy_links"]
    page = render_usecase(uc, as_of=ctx["as_of"], ledger=ctx["ledger"])
    anchors = _Anchors()
    anchors.feed(markdown.markdown(page.text, extensions=EXTENSIONS))
    assert all(_safe_href(h) for h in anchors.hrefs) and "onclick" not in anchors.attrs
