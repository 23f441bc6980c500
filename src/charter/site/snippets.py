"""Small HTML snippets the page templates call many times per page (badges, estimates, hashes).

They are plain functions rather than Jinja macros: a system card calls them
dozens of times and 2 × N pages are rendered per build. Every argument that can
hold user or evidence text is escaped here.
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup

from .fmt import interval, num, short
from .safe import html

STATUS_ICON = {"pass": "✔", "fail": "✖", "error": "⚠", "inconclusive": "?", "waived": "◐", "warn": "⚠", "blocked": "✖", "hold": "■",
               "prohibited": "⛔"}


def badge(status: str, text: Any = None) -> Markup:
    """A status pill: ``<span class="ch-st ch-pass">✔ pass</span>``."""
    icon = STATUS_ICON.get(status)
    label = html(status if text is None else text)
    return Markup(f'<span class="ch-st ch-{html(status)}">{icon + " " if icon else ""}{label}</span>')


def est(e: Any, digits: int = 3) -> Markup:
    """A value with its interval: ``0.812 <span class="ch-ci">[0.774, 0.849]</span>``."""
    if not e:
        return Markup("—")
    value, low, high = e.get("value"), e.get("low"), e.get("high")
    out = num(value, digits)
    if low is not None and high is not None:
        out += f" <small>{interval(low, high, digits)}</small>"
    elif value is None and e.get("reason"):
        out += f" <small>({html(e['reason'])})</small>"
    return Markup(out)


def hashref(h: Any, n: int = 12) -> Markup:
    """A hash shortened to n characters, the full value in the title."""
    if not h:
        return Markup("—")
    full = html(h)
    if n >= len(str(h)):
        return Markup(f"<code>{full}</code>")
    return Markup(f'<code title="{full}">{html(short(h, n))}</code>')


def evref(evidence_id: Any, audit_url: str = "") -> Markup:
    """An evidence id (shortened) linking to its lineage row, where the full id and hashes are."""
    if not evidence_id:
        return Markup("—")
    s = html(short(evidence_id, 12))
    return Markup(f'<a href="{audit_url}#ev-{s}"><code>{s}</code></a>')


def freshness(j: dict[str, Any]) -> Markup:
    f = j.get("freshness")
    if f == "fresh":
        return badge("pass", "fresh")
    if f == "stale":
        return badge("warn", "stale")
    return badge("error", "tampered" if f == "tampered" else "missing")


def jobhead(j: dict[str, Any], audit_url: str) -> Markup:
    """The line above a job's results: job, evidence, freshness, status, date; a warning when stale or errored."""
    parts = [f"Job <code>{html(j['job'])}</code> · evidence {evref(j.get('id'), audit_url)} · {freshness(j)}"]
    if j.get("status") and j["status"] != "pass":
        parts.append(f" · {badge(j['status'])}")
    if j.get("finished_at"):
        parts.append(f" · {html(j['finished_at'][:10])}")
    out = f'<p class="ch-src">{"".join(parts)}</p>'
    if j.get("freshness") == "stale":
        out += ('<p class="ch-warnbox">Stale: this record predates the current spec, data or code; its numbers are '
                "shown for reference and are not what the gates judge.</p>")
    elif j.get("freshness") == "missing":
        out += f'<p class="ch-missing">No evidence yet: run <code>charter run {html(j.get("use_case", ""))}</code>.</p>'
    if j.get("status") == "error":
        out += f'<p class="ch-warnbox">The job errored: {html(j.get("reason") or "no reason recorded")}</p>'
    return Markup(out)


def people(ps: list[dict[str, Any]]) -> Markup:
    from .safe import link

    return Markup(", ".join(str(link(p["name"], p["email"]) if p.get("email") else html(p["name"])) for p in ps))


def bound(lo: Any, hi: Any) -> str:
    parts = []
    if lo is not None:
        parts.append(f"≥ {num(lo)}")
    if hi is not None:
        parts.append(f"≤ {num(hi)}")
    return " and ".join(parts) or "—"


def verdicts(judged: Any) -> Markup:
    """The decisions' verdicts on one value, each with the rule that decided it; "not gated" when no
    decision judged it (the site never judges a value itself)."""
    if not judged:
        return Markup('<span class="ch-st ch-na" title="no gate requirement judges this value">not gated</span>')
    out = []
    for v in judged:
        out.append(f'{badge(v["status"], v["label"])} <small>gate {html(v["stage"])}: {html(v["text"])}</small>')
    return Markup("<br>".join(out))


def missing(text: str) -> Markup:
    return Markup(f'<p class="ch-missing">{html(text)}</p>')


HELPERS = {"missing": missing, "badge": badge, "est": est, "hashref": hashref, "evref": evref, "freshness": freshness,
           "jobhead": jobhead, "people": people, "bound": bound, "verdicts": verdicts}
