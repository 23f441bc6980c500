"""Inline SVG charts: no script, no external asset, colours from the site's CSS.

Every chart is a pure function of the numbers it is given and returns markup;
labels (slice values, group names, titles) are untrusted and escaped. Shapes
carry CSS classes (``ch-*``) instead of colours so the palette (light and dark)
lives in ``charter.css``. Coordinates are rounded to one decimal to keep pages
small and byte-stable.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup

from .fmt import num
from .safe import html


def _f(x: float) -> str:
    s = f"{x:.1f}"
    return s.removesuffix(".0")


def _svg(width: float, height: float, label: str, body: list[str], cls: str = "ch-chart") -> Markup:
    return Markup(
        f'<svg class="{cls}" viewBox="0 0 {_f(width)} {_f(height)}" width="{_f(width)}" height="{_f(height)}" '
        f'role="img" aria-label="{html(label)}" data-search-exclude="1" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{html(label)}</title>{''.join(body)}</svg>"
    )


def _clip_label(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True)
class Bar:
    label: str
    value: float | None
    low: float | None = None
    high: float | None = None
    cls: str = ""
    """Extra CSS class: 'ch-bad' (fails its bound), 'ch-small' (a group too small to judge)..."""
    note: str = ""


def _domain(bars: Sequence[Bar], domain: tuple[float, float] | None, extra: Sequence[float] = ()) -> tuple[float, float]:
    if domain is not None:
        return domain
    vals = [v for b in bars for v in (b.value, b.low, b.high) if v is not None and math.isfinite(v)]
    vals += [v for v in extra if v is not None]
    lo = min([0.0] + vals)
    hi = max([0.0] + vals)
    if hi == lo:
        hi = lo + 1
    return lo, hi + (hi - lo) * 0.05


def interval_bars(bars: Sequence[Bar], *, label: str, domain: tuple[float, float] | None = None,
                  threshold: float | None = None, threshold_label: str = "threshold",
                  width: int = 560, label_width: int = 150, row: int = 20) -> Markup:
    """Horizontal bars with bootstrap-interval whiskers and an optional threshold line."""
    if not bars:
        return Markup("")
    lo, hi = _domain(bars, domain, [threshold] if threshold is not None else [])
    plot_x, plot_w = label_width + 6, width - label_width - 6 - 56
    top = 14
    height = top + row * len(bars) + 18

    def x(v: float) -> float:
        return plot_x + (min(max(v, lo), hi) - lo) / (hi - lo) * plot_w

    zero = x(0.0 if lo <= 0 <= hi else lo)
    labels, values, whiskers = [], [], []
    shapes: dict[str, list[str]] = {}
    for i, b in enumerate(bars):
        y = top + i * row
        ty = _f(y + row * 0.65)
        labels.append(f'<text x="{label_width}" y="{ty}">{html(_clip_label(b.label, 24))}</text>')
        if b.value is None or not math.isfinite(b.value):
            values.append(f'<text x="{_f(plot_x + 4)}" y="{ty}">undefined</text>')
            continue
        x0, x1 = sorted((zero, x(b.value)))
        shapes.setdefault(f"ch-bar {b.cls}".strip(), []).append(
            f"M{_f(x0)} {_f(y + 3)}h{_f(max(x1 - x0, 1))}v{row - 6}h{_f(-max(x1 - x0, 1))}z")
        if b.low is not None and b.high is not None:
            a, c, m = x(b.low), x(b.high), y + row / 2
            whiskers.append(f"M{_f(a)} {_f(m)}H{_f(c)}M{_f(a)} {_f(m - 4)}v8M{_f(c)} {_f(m - 4)}v8")
        values.append(f'<text x="{_f(plot_x + plot_w + 4)}" y="{ty}">{html(num(b.value))}{html(b.note)}</text>')
    body = [f'<g class="ch-lbl" text-anchor="end">{"".join(labels)}</g>']
    body += [f'<path class="{cls}" d="{"".join(d)}"/>' for cls, d in shapes.items()]
    if whiskers:
        body.append(f'<path class="ch-whisker" d="{"".join(whiskers)}"/>')
    body.append(f'<g class="ch-val">{"".join(values)}</g>')
    axis_y = top + row * len(bars) + 2
    ticks = "".join(f'<text x="{_f(x(v))}" y="{axis_y + 12}">{html(num(v, 2))}</text>' for v in (lo, (lo + hi) / 2, hi))
    body.append(f'<path class="ch-axis" d="M{_f(plot_x)} {axis_y}H{_f(plot_x + plot_w)}"/>'
                f'<g class="ch-tick" text-anchor="middle">{ticks}')
    if threshold is not None:
        tx = x(threshold)
        body.append(f'<text x="{_f(tx)}" y="{top - 5}">{html(threshold_label)} {html(num(threshold))}</text></g>'
                    f'<path class="ch-threshold" d="M{_f(tx)} {top - 4}V{axis_y}"/>')
    else:
        body.append("</g>")
    return _svg(width, height, label, body)


def group_bars(groups: Sequence[tuple[str, int, bool]], values: Sequence[float | None], *, label: str,
               metric: str, width: int = 560, label_width: int = 170, row: int = 18) -> Markup:
    """One metric per group (n in the label); groups too small to judge drawn faded and marked ⚠.

    groups: (label, n, small) in display order; values: the metric per group.
    """
    if not groups:
        return Markup("")
    top = 4
    plot_x, plot_w = label_width + 6, width - label_width - 6 - 44
    height = top + row * len(groups) + 16
    vals = [v for v in values if v is not None and math.isfinite(v) and v > 0]
    hi = max(vals) / 0.9 if vals else 1.0  # the longest bar spans 90 % of the plot; values are printed
    labels, texts = [], []
    shapes: dict[str, list[str]] = {}
    for i, (g, n, small) in enumerate(groups):
        y = top + i * row
        ty = _f(y + row * 0.68)
        labels.append(f'<text x="{label_width}" y="{ty}">{html(_clip_label(g, 22))} (n={n:,}){" ⚠" if small else ""}</text>')
        v = values[i] if i < len(values) else None
        if v is None or not math.isfinite(v):
            texts.append(f'<text x="{plot_x + 3}" y="{ty}">undefined</text>')
            continue
        w = max(max(v, 0) / hi * plot_w, 0.5)
        shapes.setdefault("ch-s0 ch-small" if small else "ch-s0", []).append(
            f"M{plot_x} {_f(y + 3)}h{_f(w)}v{row - 6}h{_f(-w)}z")
        texts.append(f'<text x="{_f(plot_x + w + 3)}" y="{ty}">{html(num(v, 2))}</text>')
    body = [f'<g class="ch-lbl" text-anchor="end">{"".join(labels)}</g>']
    body += [f'<path class="{cls}" d="{"".join(d)}"/>' for cls, d in shapes.items()]
    body.append(f'<g class="ch-val">{"".join(texts)}</g>')
    body.append(f'<text class="ch-tick" x="{plot_x}" y="{height - 3}">{html(metric)} by group '
                f'(bars relative to the highest value)</text>')
    return _svg(width, height, label, body)


def heatmap(rows: Sequence[str], cols: Sequence[str], cells: Sequence[Sequence[float | None]], *, label: str,
            max_value: float, links: Sequence[str | None] | None = None, cell_w: int = 64, cell_h: int = 22,
            label_width: int = 170, digits: int = 1) -> Markup:
    """A grid of values coloured in five steps of value / max_value (maturity levels, or counts with digits=0)."""
    if not rows or not cols:
        return Markup("")
    top = 34
    width = label_width + 8 + cell_w * len(cols)
    height = top + cell_h * len(rows) + 4
    body: list[str] = []
    for j, c in enumerate(cols):
        cx = label_width + 8 + j * cell_w + cell_w / 2
        words = c.split(" ", 1)
        if len(words[0]) * 6 > cell_w - 4:  # a single long word: shorten it, the full name is in the tooltip
            words[0] = words[0][: max(3, (cell_w - 4) // 6 - 1)] + "."
        body.append(f'<text class="ch-tick" x="{_f(cx)}" y="12" text-anchor="middle"><title>{html(c)}</title>'
                    f"{html(words[0])}</text>")
        if len(words) > 1:
            body.append(f'<text class="ch-tick" x="{_f(cx)}" y="24" text-anchor="middle">{html(words[1])}</text>')
    for i, r in enumerate(rows):
        y = top + i * cell_h
        text = f'<text class="ch-lbl" x="{_f(label_width)}" y="{_f(y + cell_h * 0.65)}" text-anchor="end">' \
               f"{html(_clip_label(r, 26))}</text>"
        href = links[i] if links else None
        body.append(f'<a href="{html(href)}">{text}</a>' if href else text)
        for j, v in enumerate(cells[i]):
            x = label_width + 8 + j * cell_w
            step = heat_step(v, max_value)
            body.append(f'<rect class="ch-h{step}" x="{_f(x + 1)}" y="{_f(y + 1)}" width="{cell_w - 2}" '
                        f'height="{cell_h - 2}"/>')
            body.append(f'<text class="ch-hv ch-hv{step}" x="{_f(x + cell_w / 2)}" y="{_f(y + cell_h * 0.68)}" '
                        f'text-anchor="middle">{"—" if v is None else html(f"{v:.{digits}f}")}</text>')
    return _svg(width, height, label, body)


def heat_step(value: float | None, max_value: float) -> str:
    """CSS step 0–4 for a heat map cell ('na' when undefined)."""
    if value is None:
        return "na"
    if max_value <= 0:
        return "0"
    return str(max(0, min(4, round(value / max_value * 4))))


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    label: str
    href: str | None = None
    cls: str = ""
    key: str = ""
    """Stable key (the use case id) used for deterministic jitter."""


def _jitter(key: str, spread: float) -> tuple[float, float]:
    d = hashlib.sha256(key.encode()).digest()
    return ((d[0] / 255 - 0.5) * spread, (d[1] / 255 - 0.5) * spread)


SCATTER_STYLE = (
    "text{font:11px sans-serif;fill:#333}.ch-tick,.ch-quad{fill:#777;font-size:10px}.ch-quad{font-style:italic}"
    ".ch-plot{fill:none;stroke:#bbb}.ch-grid{stroke:#ddd;stroke-dasharray:3 3}"
    ".ch-dot{fill:#3f51b5;fill-opacity:.7;stroke:#fff;stroke-width:.8}.ch-dot:hover{fill-opacity:1;stroke:#000}"
    ".ch-stage-proposed{fill:#90a4ae}.ch-stage-experimentation{fill:#f57c00}.ch-stage-pilot{fill:#00897b}"
    ".ch-stage-production{fill:#3f51b5}.ch-stage-retired{fill:#cfd8dc}"
)


def scatter(points: Sequence[Point], *, label: str, x_label: str, y_label: str, domain: tuple[float, float] = (1, 5),
            width: int = 560, height: int = 380, quadrants: Sequence[str] = (), standalone: bool = False) -> Markup:
    """Value (y) against feasibility (x) on 1–5 scales, with quadrant lines at the midpoint.

    ``standalone``: an SVG document of its own (embedded style, links that open in
    the whole window), for a portfolio too large to inline in its page.
    """
    left, right, top, bottom = 46, 12, 12, 40
    pw, ph = width - left - right, height - top - bottom
    lo, hi = domain

    def sx(v: float) -> float:
        return left + (min(max(v, lo), hi) - lo) / (hi - lo) * pw

    def sy(v: float) -> float:
        return top + ph - (min(max(v, lo), hi) - lo) / (hi - lo) * ph

    mid = (lo + hi) / 2
    body = [f'<rect class="ch-plot" x="{left}" y="{top}" width="{pw}" height="{ph}"/>',
            f'<path class="ch-grid" d="M{_f(sx(mid))} {top}V{top + ph}M{left} {_f(sy(mid))}H{left + pw}"/>']
    for v in range(int(lo), int(hi) + 1):
        body.append(f'<text class="ch-tick" x="{_f(sx(v))}" y="{top + ph + 13}" text-anchor="middle">{v}</text>')
        body.append(f'<text class="ch-tick" x="{left - 6}" y="{_f(sy(v) + 4)}" text-anchor="end">{v}</text>')
    body.append(f'<text class="ch-lbl" x="{_f(left + pw / 2)}" y="{height - 6}" text-anchor="middle">'
                f"{html(x_label)}</text>")
    body.append(f'<text class="ch-lbl" transform="rotate(-90)" x="{_f(-(top + ph / 2))}" y="13" '
                f'text-anchor="middle">{html(y_label)}</text>')
    if len(quadrants) == 4:  # top-left, top-right, bottom-left, bottom-right
        pos = [(left + 6, top + 14, "start"), (left + pw - 6, top + 14, "end"),
               (left + 6, top + ph - 6, "start"), (left + pw - 6, top + ph - 6, "end")]
        for (qx, qy, anchor), text in zip(pos, quadrants):
            body.append(f'<text class="ch-quad" x="{qx}" y="{qy}" text-anchor="{anchor}">{html(text)}</text>')
    spread = 0.18 * (hi - lo) / 4
    for p in sorted(points, key=lambda p: p.key or p.label):
        jx, jy = _jitter(p.key or p.label, spread)
        cls = f"ch-dot {p.cls}".strip()
        dot = (f'<circle class="{cls}" cx="{_f(sx(p.x + jx))}" cy="{_f(sy(p.y + jy))}" r="5">'
               f"<title>{html(p.label)}</title></circle>")
        target = ' target="_top"' if standalone else ""
        body.append(f'<a href="{html(p.href)}"{target}>{dot}</a>' if p.href else dot)
    if standalone:
        body.insert(0, f"<style>{SCATTER_STYLE}</style>")
    return _svg(width, height, label, body)


def progress(value: float | None, *, healthy: float = 0.7, width: int = 120, label: str = "progress") -> Markup:
    """A small 0–1 progress bar; the bar is 'ok' at or above ``healthy``."""
    h = 12
    body = [f'<rect class="ch-track" x="0" y="0" width="{width}" height="{h}" rx="2"/>']
    if value is not None and math.isfinite(value):
        v = min(max(value, 0.0), 1.0)
        cls = "ch-ok" if v >= healthy else ("ch-warn" if v >= healthy / 2 else "ch-bad")
        body.append(f'<rect class="{cls}" x="0" y="0" width="{_f(v * width)}" height="{h}" rx="2"/>')
        body.append(f'<path class="ch-mark" d="M{_f(healthy * width)} 0V{h}"/>')
    return _svg(width, h, label, body, cls="ch-progress")
