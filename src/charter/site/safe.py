"""User text from YAML is untrusted: how it reaches a page as text, never as markup.

Three contexts, three functions:

* :func:`md` — inline Markdown (table cells, headings, text after a label). HTML
  is escaped and so is every character Python-Markdown (with the extensions the
  site enables: tables, toc, attr_list, admonition) could turn into a link, an
  image, raw HTML, an attribute list, emphasis or code. Newlines become spaces,
  so user text never starts a line and cannot open a block (heading, list, code).
* :func:`html` — inside raw HTML (the per-use-case pages, charts, blocks):
  plain HTML escaping. Python-Markdown does not parse the inside of raw HTML
  blocks, so no Markdown escaping is needed there.
* :func:`prose` — multi-paragraph text as a raw HTML block (``<div>`` of ``<p>``),
  which Markdown passes through untouched.

Links are built only by :func:`link`, which accepts ``http``, ``https`` and
``mailto`` URLs and renders anything else as plain text; its label is escaped for
both HTML and Markdown, so one helper is safe in either kind of template.

The Jinja environments route every ``{{ value }}`` through these by default
(see ``pages.py``): a template that forgets a filter still escapes.
"""

from __future__ import annotations

import re
from typing import Any

from markupsafe import Markup, escape

# Characters that carry meaning inline in Markdown (or in HTML) → numeric entities.
_MD_ESCAPES = {c: f"&#{ord(c)};" for c in "\\`*_{}[]|#~"}
_MD_ESCAPES.update({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"})
_MD_RE = re.compile("[" + re.escape("".join(_MD_ESCAPES)) + "]")
_WS_RE = re.compile(r"\s+")
# C0/C1 controls (except tab/newline, folded as whitespace) and lone surrogates never reach a page.
_CTRL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")

SAFE_SCHEMES = ("http://", "https://", "mailto:")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return _CTRL_RE.sub("", str(value))


def md(value: Any) -> Markup:
    """Untrusted text for an inline Markdown context (one line)."""
    if isinstance(value, Markup):
        return value
    text = _WS_RE.sub(" ", _text(value)).strip()
    return Markup(_MD_RE.sub(lambda m: _MD_ESCAPES[m.group()], text))


def html(value: Any) -> Markup:
    """Untrusted text for an HTML context (element content or a quoted attribute)."""
    if isinstance(value, Markup):
        return value
    return escape(_text(value))


def prose(value: Any, cls: str | None = None) -> Markup:
    """Untrusted multi-paragraph text as one raw HTML block: paragraphs on blank lines, no markup.

    One paragraph is a ``<p>``; more are wrapped in a ``<div>`` (one block that Markdown
    passes through as it is), as is text given a class ``cls``. A page has about ten of
    these texts, mostly one paragraph: no wrapper unless one is needed.
    """
    text = _text(value).strip()
    if not text:
        return Markup("")
    paras = [p for p in re.split(r"\n\s*\n", text) if p.strip()]
    body = "".join(f"<p>{escape(_WS_RE.sub(' ', p).strip())}</p>" for p in paras)
    if cls is None and len(paras) == 1:
        return Markup(body)
    return Markup(f'<div class="{escape(cls or "ch-prose")}">{body}</div>')


def safe_url(url: Any) -> str | None:
    """The URL if its scheme is http, https or mailto (case-insensitive), else None."""
    if not isinstance(url, str):
        return None
    candidate = _CTRL_RE.sub("", url).strip()
    if any(c.isspace() for c in candidate) or any(c in candidate for c in "<>\"'`"):
        return None
    lowered = candidate.lower()
    if not lowered.startswith(SAFE_SCHEMES):
        return None
    if lowered.startswith(("http://", "https://")) and len(candidate.split("//", 1)[1]) == 0:
        return None
    return candidate


def link(text: Any, url: Any) -> Markup:
    """An external link as inline HTML, or the text alone when the URL is not safe.

    The label is escaped for Markdown as well as HTML: Python-Markdown parses the text
    between inline tags, so an HTML-escaped ``x [L](javascript:…)`` would become a live
    link nested in this one on a Markdown page. The entities render the same in HTML."""
    target = safe_url(url)
    label = _label(text if text not in (None, "") else url)
    if target is None:
        return label
    return Markup(f'<a href="{escape(target)}" rel="noopener nofollow">{label}</a>')


def _label(value: Any) -> Markup:
    # md() without its pass-through of Markup: a label is always plain text
    return md(str(value) if isinstance(value, Markup) else value)


def md_finalize(value: Any) -> Any:
    """Jinja ``finalize`` for Markdown templates: every plain value is Markdown-escaped."""
    if value is None:
        return ""
    if isinstance(value, Markup):
        return value
    return md(value)


def html_finalize(value: Any) -> Any:
    """Jinja ``finalize`` for HTML templates (autoescape does the escaping)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return value
