"""The MkDocs plugin Charter adds to every build: offline settings and a fast path for generated pages.

What it enforces (``on_config``): no Google fonts (``theme.font: false``), file URLs
(``use_directory_urls: false``: the generated HTML links to ``…/index.html``, so the
site opens from disk), search from disk (what Material's offline plugin does, without
its download: ``search/search_index.js``, the one copy of the index, and a local worker
shim), Charter's stylesheet, and a navigation that never lists the per-use-case pages
(``not_in_nav``): a navigation listing every page on every page grows the site with the
square of the portfolio.

The fast path is for the generated listings, whose Markdown is a single raw HTML
block that Python-Markdown would pass through unchanged: one page per use case
(its AI system card and audit report) and the paged use-case index. At 1,000 use
cases these are nearly all of the site, so per page the plugin

1. takes the source from memory (``on_page_read_source``) and skips the Markdown
   parser (``on_pre_page`` gives the page a render step whose content is the body);
2. for pages outside the navigation, renders the theme's chrome
   (``charter-shell.html``: ``main.html`` without the navigation sidebars and the
   footer) once per distinct chrome — keyed by URL depth, table of contents and
   metadata — with markers in place of the title, the URL and the content, and
   assembles each page from that shell (``on_post_page``) instead of rendering
   Material's templates for every page. A shell whose markers do not all survive,
   or that still contains anything of the page it was made from, is not used:
   those pages are rendered normally. What every page would repeat goes to Charter's
   assets once: the theme's icons (rules appended to ``charter.css``) and its inline
   set-up script (appended to ``charter.js``);
3. gives the search index one short entry per use case (title, summary, key facts)
   instead of the whole page, and keeps its body out of the search plugin's way;
4. writes the pages and the exports from a writer thread while the main thread
   renders (creating thousands of files is mostly waiting on the file system).

After the build it drops what an offline reader never loads (source maps, search
stemmers of other languages). Plain ``mkdocs build`` of the generated folder gives
the same pages, slower (a test compares them).
"""

from __future__ import annotations

import hashlib
import html as _html
import json
import re
import types
import urllib.parse
from collections import Counter
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, event_priority
from mkdocs.structure.pages import Page

if TYPE_CHECKING:
    from mkdocs.utils.templates import TemplateContext

FAST_TEMPLATE = "charter-fast.html"
SHELL_TEMPLATE = "charter-shell.html"
THEME_DIR = Path(__file__).resolve().parent.parent / "templates" / "theme"
STYLESHEET = "assets/charter/charter.css"
SCRIPT = "assets/charter/charter.js"
"""Charter's script, in every page's head before the theme's: lets the search run from disk (the
theme's search worker in a frame when the page is file://) and filters and sorts the use-case list."""
SEARCH_PREFIX = "var __index = "
"""What the search index script starts with (charter.js skips exactly these bytes over http)."""
NOT_IN_NAV = ["/usecases/*/", "/usecases/page-*.md"]
DEFAULT_NAV: list[Any] = [
    {"Portfolio": ["index.md", {"All use cases": "usecases/index.md"}]},
    {"Maturity": "maturity.md"},
    {"OKRs": "okrs.md"},
    {"Reference": [{"Spec reference": "reference/spec.md"}, {"Submit a use case": "reference/submit.md"}]},
]

_TITLE = "zzCHARTERxTITLEx7f3azz"
_CONTENT = "zzCHARTERxCONTENTx7f3azz"
_URL = "zzCHARTERxURLx7f3azz"
_CORE = re.compile(r"zzCHARTERx[A-Z]+x7f3azz")


@dataclass
class FastPage:
    body: str
    """The page's HTML (the Markdown file's body, without front matter)."""
    search: dict[str, str] | None = None
    search_sections: list[dict[str, str]] = field(default_factory=list)
    """More entries for the index, one per section of the page (``anchor``, ``title``, ``text``)."""
    title: str | None = None
    """The page title (its front matter's ``title``); the plugin supplies it instead of parsing the file again."""
    meta: dict[str, Any] = field(default_factory=dict)
    """The rest of the front matter."""


@dataclass
class _Shell:
    parts: list[str] | None
    """Alternating literal chunks and marker names; None = this chrome cannot be shared."""


@dataclass
class Stats:
    fast_pages: int = 0
    shells: int = 0
    fallbacks: int = 0
    search_entries: int = 0
    pruned_bytes: int = 0
    notes: list[str] = field(default_factory=list)


class CharterPlugin(BasePlugin):  # type: ignore[type-arg]
    """Not registered by entry point: Charter adds an instance to the config it builds with."""

    def __init__(self, fast: dict[str, FastPage] | None = None, extra_files: dict[str, bytes] | None = None,
                 use_fast_path: bool = True) -> None:
        super().__init__()
        self.fast = fast or {}
        self.extra_files = extra_files or {}
        self.use_fast_path = use_fast_path
        self.stats = Stats()
        self._shells: dict[Any, _Shell] = {}
        self._keys: dict[str, Any] = {}
        self._contexts: dict[str, TemplateContext] = {}
        self._env: Any = None
        self._writer: ThreadPoolExecutor | None = None
        self._writes: list[Future[None]] = []
        self._icons: dict[str, str] = {}
        self._setup: set[str] = set()

    # --- configuration --------------------------------------------------------------

    def on_build_error(self, *, error: Exception) -> None:
        if self._writer is not None:
            self._writer.shutdown(wait=True)
            self._writer = None

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        self.stats = Stats()
        self._shells.clear()
        self._icons.clear()
        self._setup.clear()
        theme = config.theme
        if theme.get("font") not in (False, None):
            self.stats.notes.append("theme.font was set: web fonts load from Google; set to false to work offline")
            theme["font"] = False
        if str(THEME_DIR) not in theme.dirs:
            # after a custom_dir, before the theme's own templates
            index = 1 if theme.custom_dir else 0
            theme.dirs.insert(index, str(THEME_DIR))
        if config.use_directory_urls:
            # A folder URL opened from disk shows the folder, not its index.html: every link names its file.
            self.stats.notes.append("use_directory_urls was true; Charter's pages link to files (set it to false)")
            config.use_directory_urls = False
        if not config.extra.get("homepage"):
            # The logo links to the home page; Material finds none when index.md sits in a nav section
            # and would link to the folder.
            config.extra["homepage"] = "index.html"
        # Material's offline plugin loads its worker shim from unpkg.com, which a reader offline cannot
        # reach; Charter ships its own (and writes search_index.js itself, after adding its entries).
        polyfills = [str(p) for p in config.extra.get("polyfills") or [] if "iframe-worker" not in str(p)]
        config.extra["polyfills"] = [p for p in polyfills if p != SCRIPT] + [SCRIPT]
        if STYLESHEET not in config.extra_css:
            config.extra_css.append(STYLESHEET)
        if config.nav is None:
            config.nav = DEFAULT_NAV
        if not config.not_in_nav:
            from mkdocs.config.config_options import PathSpec

            config.not_in_nav = PathSpec().run_validation("\n".join(NOT_IN_NAV))
        return config

    def on_env(self, env: Any, *, config: MkDocsConfig, files: Any) -> Any:
        from jinja2 import FileSystemBytecodeCache

        # The theme's templates are compiled on every build; keep the compiled code next to the build.
        cache = Path(config.docs_dir).parent / ".charter-cache" / "jinja"
        try:
            cache.mkdir(parents=True, exist_ok=True)
            env.bytecode_cache = FileSystemBytecodeCache(str(cache))
        except OSError:
            pass
        self._env = env
        return env

    # --- writing files off the main thread ------------------------------------------
    # Creating thousands of small files is mostly waiting on the file system; a
    # writer thread does it while the main thread renders. Started after MkDocs
    # has emptied the site folder (on_files), drained in on_post_build.

    def on_files(self, files: Any, *, config: MkDocsConfig) -> Any:
        self._writer = ThreadPoolExecutor(max_workers=2, thread_name_prefix="charter-write")
        self._writes = []
        site = Path(config.site_dir)
        for rel, blob in sorted(self.extra_files.items()):
            self._write(site / rel, blob)
        return files

    def _write(self, path: Path, data: bytes) -> None:
        if self._writer is None:
            _write_file(path, data)
        else:
            self._writes.append(self._writer.submit(_write_file, path, data))

    def _drain(self) -> None:
        if self._writer is None:
            return
        errors = [f.exception() for f in self._writes if f.exception() is not None]
        self._writer.shutdown(wait=True)
        self._writer, self._writes = None, []
        if errors:
            raise PluginError(f"charter: cannot write the site: {errors[0]}")

    # --- the fast path --------------------------------------------------------------

    def _fast(self, page: Page) -> FastPage | None:
        if not self.use_fast_path:
            return None
        return self.fast.get(page.file.src_uri)

    def on_page_read_source(self, *, page: Page, config: MkDocsConfig) -> str | None:
        """The page's text is in memory already (it was just written): no need to read and parse it back."""
        fp = self._fast(page)
        return None if fp is None else fp.body

    def on_pre_page(self, page: Page, *, config: MkDocsConfig, files: Any) -> Page:
        fp = self._fast(page)
        if fp is not None:
            # The body is raw HTML, which Markdown would pass through unchanged: skip the parser.
            page.render = types.MethodType(_render_raw_html(fp.body), page)  # type: ignore[method-assign]
        return page

    def on_page_markdown(self, markdown: str, *, page: Page, config: MkDocsConfig, files: Any) -> str:
        fp = self._fast(page)
        if fp is not None:
            self.stats.fast_pages += 1
            page.meta.update(fp.meta)
            if fp.title is not None:
                page.meta["title"] = fp.title
            if not _in_nav(page):  # pages in the navigation keep their own chrome (nav state differs)
                page.meta["template"] = FAST_TEMPLATE
                if fp.search is not None:
                    page.meta["search"] = {"exclude": True}  # indexed by a short entry instead (on_post_build)
        return markdown

    @event_priority(50)  # before the search plugin, which then sees an empty page (it has its own entry)
    def on_page_context(
        self, context: TemplateContext, *, page: Page, config: MkDocsConfig, nav: Any
    ) -> TemplateContext:
        fp = self._fast(page)
        if fp is None or _in_nav(page):
            return context
        page.edit_url = None  # generated: there is no source file to edit
        key = self._key(page)
        self._keys[page.file.src_uri] = key
        if key not in self._shells:
            self._shells[key] = self._make_shell(page, context)
        if self._shells[key].parts is None:
            self._contexts[page.file.src_uri] = context
        # The body is assembled into the shell in on_post_page; nothing else needs it in between.
        page.content = ""
        return context

    def _key(self, page: Page) -> Any:  # everything besides title and content that the chrome depends on
        def toc(items: Any) -> tuple[Any, ...]:
            return tuple((t.title, t.id, t.level, toc(t.children)) for t in items)

        meta = tuple(sorted((k, repr(v)) for k, v in page.meta.items() if k not in ("title", "template", "search")))
        return (page.url.count("/"), toc(page.toc), meta, "<h1" in (page.content or ""))

    def _make_shell(self, page: Page, context: TemplateContext) -> _Shell:
        saved = (page.content, page.meta.get("title"), page.canonical_url, page.abs_url)
        has_h1 = "<h1" in (page.content or "")
        content_marker = f"<h1>{_CONTENT}</h1>" if has_h1 else _CONTENT
        try:
            page.content = content_marker
            page.meta["title"] = _TITLE
            page.canonical_url = _URL if page.canonical_url else None
            page.abs_url = _URL if page.abs_url else None
            out = self._env.get_template(SHELL_TEMPLATE).render(context)
        finally:
            page.content, title, page.canonical_url, page.abs_url = saved
            page.meta["title"] = title
        parts: list[str] = []
        pattern = re.compile(f"({re.escape(content_marker)}|{_TITLE}|{_URL})")
        for i, chunk in enumerate(pattern.split(out)):
            if i % 2:
                parts.append({content_marker: "C", _TITLE: "T", _URL: "U"}[chunk])
            else:
                parts.append(_compact(chunk))
        parts[0::2] = _shared_setup(_icons_to_stylesheet(parts[0::2], self._icons), self._setup)
        literal = "".join(parts[0::2])
        own = [s for s in (page.file.src_uri, page.url) if s and s.strip("/")]
        if parts[1::2].count("C") != 1 or _CORE.search(literal) or any(s in literal for s in own):
            self.stats.notes.append(f"the theme's page for {page.file.src_uri} cannot be shared; rendered per page")
            return _Shell(None)
        self.stats.shells += 1
        return _Shell(parts)

    @event_priority(-100)  # last: the page is written by the writer thread, MkDocs gets "" and skips it
    def on_post_page(self, output: str, *, page: Page, config: MkDocsConfig) -> str:
        if self._fast(page) is None or _in_nav(page):
            return output
        shell = self._shells.get(self._keys.get(page.file.src_uri))
        # what the search plugin strips from every page it sees (this one it never sees whole)
        body = self.fast[page.file.src_uri].body.replace(' data-search-exclude="1"', "")
        if shell is None or shell.parts is None:
            self.stats.fallbacks += 1
            context = self._contexts.pop(page.file.src_uri)
            page.content = body
            full = self._env.get_template(SHELL_TEMPLATE).render(context)
        else:
            title = _html.escape(str(page.meta.get("title") or page.title or ""), quote=True)
            url = _html.escape(page.canonical_url or page.abs_url or "", quote=True)
            fill = {"T": title, "C": body, "U": url}
            full = "".join(fill[p] if i % 2 else p for i, p in enumerate(shell.parts))
        self._write(Path(page.file.abs_dest_path), full.encode("utf-8", errors="xmlcharrefreplace"))
        return ""

    # --- search and exports ------------------------------------------------------

    @event_priority(-100)  # after the search plugin has written its index
    def on_post_build(self, *, config: MkDocsConfig) -> None:
        self._drain()
        site = Path(config.site_dir)
        index = site / "search" / "search_index.json"
        if index.is_file() and self.use_fast_path:
            data = json.loads(index.read_text(encoding="utf-8"))
            docs = data.setdefault("docs", [])
            common = _common_words(self.fast.values())
            for src in sorted(self.fast):
                fp = self.fast[src]
                if fp.search is None:
                    continue
                location = _location(src)
                docs.append({"location": location, "title": fp.search["title"], "text": fp.search["text"]})
                self.stats.search_entries += 1
                for section in fp.search_sections:
                    drop = common.get(section["anchor"], set())
                    text = " ".join(w for w in section["text"].split() if w.lower() not in drop)
                    if not text:
                        continue
                    docs.append({"location": f"{location}#{section['anchor']}", "title": section["title"],
                                 "text": text})
                    self.stats.search_entries += 1
            index.write_text(json.dumps(data, separators=(",", ":"), ensure_ascii=False), encoding="utf-8")
        if index.is_file():
            # Opened from disk the theme cannot fetch the index; it loads it as a script instead. The
            # script is the only copy: over http Charter's script answers the theme's request for the
            # JSON with the script's JSON part (a second copy was 0.44 MB at 1,000 use cases).
            blob = index.read_text(encoding="utf-8")
            (site / "search" / "search_index.js").write_text(SEARCH_PREFIX + blob, encoding="utf-8")
            index.unlink()
        if self._setup:
            script = site / SCRIPT
            (setup,) = self._setup
            _write_file(script, (_unappended(script, SETUP_HEADER) + SETUP_HEADER + setup + "\n").encode())
        if self._icons:
            css = site / STYLESHEET
            rules = "".join(_icon_rule(name, svg) for name, svg in sorted(self._icons.items()))
            _write_file(css, (_unappended(css, ICONS_HEADER) + ICONS_HEADER + rules).encode())
        self.stats.pruned_bytes = prune_assets(site, _search_languages(config))


COMMON_WORDS_FLOOR = 50
"""Below this many pages with a section, the index keeps every word of the section."""


def _common_words(pages: Any) -> dict[str, set[str]]:
    """Per section, the words so common among the use cases that they cannot tell one from another.

    A word in the fairness section of more than a fifth of a large portfolio's use
    cases (and of more than COMMON_WORDS_FLOOR of them) finds hundreds of entries:
    it is left out of those entries, which keeps the index that every reader
    downloads in proportion to what distinguishes the use cases.
    """
    counts: dict[str, Counter[str]] = {}
    for fp in pages:
        for section in fp.search_sections:
            counts.setdefault(section["anchor"], Counter()).update({w.lower() for w in section["text"].split()})
    sizes = Counter(section["anchor"] for fp in pages for section in fp.search_sections)
    return {anchor: {w for w, n in c.items() if n > max(COMMON_WORDS_FLOOR, sizes[anchor] // 5)}
            for anchor, c in counts.items()}


def _search_languages(config: MkDocsConfig) -> set[str]:
    langs: set[str] = set()
    for name, plugin in config.plugins.items():
        if name.endswith("search"):
            lang = getattr(plugin, "config", {}).get("lang") if hasattr(plugin, "config") else None
            if isinstance(lang, str):
                langs.add(lang)
            elif isinstance(lang, list):
                langs.update(str(x) for x in lang)
    theme_lang = config.theme.get("language")
    if not langs and isinstance(theme_lang, str):
        langs.add(theme_lang.split("-")[0])
    return langs or {"en"}


def prune_assets(site: Path, languages: set[str]) -> int:
    """Remove what an offline reader never loads: source maps and other languages' search stemmers.

    Material copies the stemmers of every language it supports (and the Thai and
    Japanese segmenters); the search worker loads only the configured ones.
    Returns the bytes removed.
    """
    removed = 0
    assets = site / "assets"
    if not assets.is_dir():
        return 0
    victims = list(assets.rglob("*.map"))
    lunr = assets / "javascripts" / "lunr"
    if lunr.is_dir():
        for f in (lunr / "min").glob("lunr.*.min.js"):
            lang = f.name.split(".")[1]
            if lang not in ("stemmer", "multi") and lang not in languages:
                victims.append(f)
        if "th" not in languages:
            victims.append(lunr / "wordcut.js")
        if "ja" not in languages:
            victims.append(lunr / "tinyseg.js")
    for f in victims:
        try:
            removed += f.stat().st_size
            f.unlink()
        except OSError:
            pass
    return removed


_ICON = re.compile(r'<svg xmlns="http://www\.w3\.org/2000/svg" viewBox="([0-9. -]+)">((?:<path d="[^"<>]*"/>)+)</svg>')
ICONS_HEADER = ("\n/* The theme's icons on the generated pages (added by the build; the other pages keep them "
                "inline). */\n")


def _icons_to_stylesheet(chunks: list[str], icons: dict[str, str]) -> list[str]:
    """The chrome with each of the theme's inline icons as an empty ``<svg>`` drawn by Charter's stylesheet.

    Every generated page repeats the theme's icons (logo, menu, search twice, back,
    clear: 1.25 KB, 1.2 MB at 1,000 use cases). The ``<svg>`` element and its viewBox
    stay, so the theme's rules (size, placement, which icon shows when) still apply;
    the shape becomes a mask of the element's text colour, from a rule in
    ``charter.css`` (a data: URL, which works from disk). Only plain path icons are
    moved; the chrome of a page without Charter's stylesheet is left alone.
    ``icons`` collects the rules' class names and the icons they draw.
    """
    if not any(f'{STYLESHEET}"' in c for c in chunks):
        return chunks

    def swap(m: re.Match[str]) -> str:
        name = "ch-i" + hashlib.sha256(m.group(0).encode()).hexdigest()[:6]
        icons[name] = m.group(0)
        return f'<svg class="{name}" viewBox="{m.group(1)}"></svg>'

    return [_ICON.sub(swap, c) for c in chunks]


_SETUP = re.compile(r'<script>__md_scope=new URL\("(?:\.\./)*\.\.?",location\),(__md_[^\n]*?)</script>')
_GENERATOR = re.compile(r'<meta name="generator" content="[^"<>]*">')
SETUP_HEADER = ("\n/* 3. the theme's page set-up (its inline script, added by the build for the generated pages, which "
                "leave it out; the other pages run their own copy after this one). */\n")


def _shared_setup(chunks: list[str], setups: set[str]) -> list[str]:
    """The chrome without the theme's inline set-up script and its generator tag (0.37 KB a page).

    The script defines the theme's storage helpers relative to the site's root; the
    build appends it to ``charter.js`` (every page's first script, in ``assets/charter/``,
    so the root is two folders above it). Left alone unless the chrome loads Charter's
    script before it and all shells have the same script (``setups`` collects it).
    """
    text = "".join(chunks)
    found = _SETUP.findall(text)
    if len(found) != 1 or f'{SCRIPT}"></script>' not in text.split("<script>__md_scope=", 1)[0]:
        return chunks
    setup = '__md_scope=new URL("../..",document.currentScript.src),' + found[0]
    if setups and setup not in setups:
        return chunks
    setups.add(setup)
    return [_GENERATOR.sub("", _SETUP.sub("", c)) for c in chunks]


def _unappended(path: Path, header: str) -> str:
    """The file's text without what an earlier build appended after ``header`` (a site folder built into
    again keeps an asset MkDocs did not copy anew)."""
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    return text.split(header, 1)[0]


def _icon_rule(name: str, svg: str) -> str:
    url = "url(\"data:image/svg+xml," + urllib.parse.quote(svg, safe=" =:/.,-") + "\")"
    # forced colours (high contrast) keep the text colour the mask is filled with
    return (f"svg.{name}{{background-color:currentcolor;forced-color-adjust:none;"
            f"-webkit-mask:{url} center/contain no-repeat;mask:{url} center/contain no-repeat}}\n")


def _write_file(path: Path, data: bytes) -> None:
    try:
        path.write_bytes(data)
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def _in_nav(page: Page) -> bool:
    return page.parent is not None or page.previous_page is not None or page.next_page is not None


def _location(src_uri: str) -> str:
    """The URL of a docs page (``usecases/x/index.md`` → ``usecases/x/index.html``)."""
    return src_uri.removesuffix(".md") + ".html"


def _render_raw_html(body: str) -> Any:
    """A replacement for Page.render: the content is the body itself (what Markdown makes of a raw HTML block)."""

    def render(self: Page, config: MkDocsConfig, files: Any) -> None:
        from mkdocs.structure.toc import get_toc

        self.content = body
        self.toc = get_toc([])
        self._title_from_render = None
        self.present_anchor_ids = None  # links into generated pages are not anchor-checked
        self.links_to_anchors = {}

    return render


_LEADING_WS = re.compile(r"\n[ \t]+")
_BLANKS = re.compile(r"\n{2,}")


def _compact(chunk: str) -> str:
    """Drop the theme's indentation, blank lines and the line breaks beside block-level tags.

    Whitespace next to a block's start or end tag is never rendered (it begins or ends
    a line), so removing it changes nothing on screen; whitespace between inline
    elements stays. The chrome has no <pre> (a chunk with one is left alone).
    """
    from .pages import join_block_lines

    if "<pre" in chunk or "<textarea" in chunk:
        return chunk
    return join_block_lines(_BLANKS.sub("\n", _LEADING_WS.sub("\n", chunk)))
