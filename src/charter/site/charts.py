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


def _svg(width: float, height: float, label: str, body: list[str], cls: str = "ch-chart",
         desc: str | None = None) -> Markup:
    described = f"<desc>{html(desc)}</desc>" if desc else ""
    return Markup(
        f'<svg class="{cls}" viewBox="0 0 {_f(width)} {_f(height)}" width="{_f(width)}" height="{_f(height)}" '
        f'role="img" aria-label="{html(label)}" data-search-exclude="1" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{html(label)}</title>{described}{''.join(body)}</svg>"
    )


def _clip_label(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- text measurement ---------------------------------------------------------------------------
# Pages carry no script and the build has no font metrics: label areas are sized from a
# deliberately generous per-character estimate of sans-serif text, so a label never
# overflows its chart (it may leave some room to spare).

_WIDE = frozenset("MWmw@%")


def text_width(text: str, font_px: float = 11.0) -> float:
    """Estimated rendered width of ``text`` in pixels at ``font_px`` (sans-serif, errs on the wide side)."""
    em = 0.0
    for ch in text:
        if ch in _WIDE:
            em += 0.92
        elif ch.isascii():
            # no narrow glyph is counted narrow: the page's font is not known at build time
            em += 0.72 if ch.isupper() else 0.58
        else:  # accented letters, symbols (⚠ ≥ ×), CJK: up to a full em
            em += 0.75 if ch.isalpha() and ord(ch) < 0x2E80 else 1.05
    return em * font_px


def fit_text(text: str, max_px: float, font_px: float = 11.0) -> str:
    """``text`` shortened with an ellipsis until its estimated width is at most ``max_px``."""
    if text_width(text, font_px) <= max_px:
        return text
    lo, hi = 0, len(text)
    while lo < hi:  # the longest prefix that fits beside the ellipsis
        mid = (lo + hi + 1) // 2
        if text_width(text[:mid] + "…", font_px) <= max_px:
            lo = mid
        else:
            hi = mid - 1
    return text[:lo].rstrip() + "…"


def _label(x: float, y: float, text: str, max_px: float, font_px: float = 11.0, cls: str = "") -> str:
    """A <text> that fits in ``max_px``; a shortened one carries the full text as its tooltip."""
    shown = fit_text(text, max_px, font_px)
    tip = f"<title>{html(text)}</title>" if shown != text else ""
    klass = f' class="{cls}"' if cls else ""
    return f'<text{klass} x="{_f(x)}" y="{_f(y)}">{tip}{html(shown)}</text>'


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
        shown = fit_text(b.label, label_width - 2)
        tip = f"<title>{html(b.label)}</title>" if shown != b.label else ""
        labels.append(f'<text x="{label_width}" y="{ty}">{tip}{html(shown)}</text>')
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
               metric: str, width: int = 560, label_width: int | None = None, row: int = 18,
               max_label_width: int | None = None) -> Markup:
    """One metric per group (n in the label); groups too small to judge drawn faded and marked ⚠.

    groups: (label, n, small) in display order; values: the metric per group. The label
    area is as wide as the longest label (up to ``max_label_width``, default 55 % of the
    width); a longer group name is shortened with an ellipsis and keeps its full text
    as a tooltip.
    """
    if not groups:
        return Markup("")
    top = 4
    suffixes = [f" (n={n:,}){' ⚠' if small else ''}" for _, n, small in groups]
    cap = max_label_width if max_label_width is not None else int(width * 0.55)
    if label_width is None:
        needed = max(text_width(g + suf) for (g, _, _), suf in zip(groups, suffixes))
        label_width = int(min(max(needed + 6, 60), cap))
    plot_x, plot_w = label_width + 6, width - label_width - 6 - 44
    height = top + row * len(groups) + 16
    vals = [v for v in values if v is not None and math.isfinite(v) and v > 0]
    hi = max(vals) / 0.9 if vals else 1.0  # the longest bar spans 90 % of the plot; values are printed
    labels, texts = [], []
    shapes: dict[str, list[str]] = {}
    for i, ((g, n, small), suffix) in enumerate(zip(groups, suffixes)):
        y = top + i * row
        ty = _f(y + row * 0.68)
        name = fit_text(g, label_width - 2 - text_width(suffix))
        tip = f"<title>{html(g + suffix)}</title>" if name != g else ""
        labels.append(f'<text x="{label_width}" y="{ty}">{tip}{html(name)}{html(suffix)}</text>')
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
    note = f"{metric} by group (bars relative to the highest value)"
    nx = plot_x if plot_x + text_width(note, 10) <= width else 2
    body.append(_label(nx, height - 3, note, width - nx - 2, 10, "ch-tick"))
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


# --- evaluation charts: ROC, precision-recall, calibration, residuals, confusion matrix -----------


@dataclass(frozen=True)
class Series:
    """One line (or set of markers) of an x–y chart, with its legend entry."""

    label: str
    xs: Sequence[float]
    ys: Sequence[float]
    cls: str = "ch-line"
    """'ch-line' (the model), 'ch-ref' (a dashed reference: chance, perfect calibration), 'ch-op' (a marker)."""
    line: bool = True
    markers: bool = False
    tips: Sequence[str] = ()
    """Tooltip per marker."""


def nice_ticks(lo: float, hi: float, count: int = 5) -> tuple[list[float], int]:
    """Round tick values (steps of 1, 2, 2.5 or 5 × 10^k) within [lo, hi], and the decimals they need."""
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return [lo], 2
    raw = (hi - lo) / max(count - 1, 1)
    mag = 10 ** math.floor(math.log10(raw))
    mant = min((1, 2, 2.5, 5, 10), key=lambda m: abs(math.log(m * mag / raw)))
    step = mant * mag
    first = math.ceil(lo / step - 1e-9)
    values = []
    k = first
    while k * step <= hi + step * 1e-9:
        values.append(round(k * step, 12) + 0.0)
        k += 1
    digits = max(0, -math.floor(math.log10(step) + 1e-12)) + (1 if mant == 2.5 else 0)
    return values, digits


class _Frame:
    """A plot area with ticked axes, axis titles, a visible title and a legend row per entry."""

    left, top, bottom = 50, 26, 40

    def __init__(self, width: int, plot_h: int, x_domain: tuple[float, float], y_domain: tuple[float, float]):
        self.width, self.plot_h = width, plot_h
        self.x0, self.x1 = x_domain
        self.y0, self.y1 = y_domain
        if self.x1 <= self.x0:
            self.x1 = self.x0 + 1
        if self.y1 <= self.y0:
            self.y1 = self.y0 + 1
        # room on the right for half of the last x tick (centred on the plot's edge)
        xs, digits = nice_ticks(self.x0, self.x1)
        self.right = max(14.0, text_width(num(xs[-1], digits), 10) / 2 + 3)
        ys, ydigits = nice_ticks(self.y0, self.y1)
        widest = max(text_width(num(v, ydigits), 10) for v in ys)
        self.left = int(max(50.0, widest + 24))  # y ticks, then the rotated axis title
        self.pw = width - self.left - self.right

    def sx(self, v: float) -> float:
        return self.left + (min(max(v, self.x0), self.x1) - self.x0) / (self.x1 - self.x0) * self.pw

    def sy(self, v: float) -> float:
        return self.top + self.plot_h - (min(max(v, self.y0), self.y1) - self.y0) / (self.y1 - self.y0) * self.plot_h

    def axes(self, title: str, x_label: str, y_label: str, ticks: int = 5) -> list[str]:
        left, top, pw, ph, w = self.left, self.top, self.pw, self.plot_h, self.width
        body = [_label(4, 15, title, w - 8, 12, "ch-ttl"),
                f'<rect class="ch-plot" x="{left}" y="{top}" width="{_f(pw)}" height="{ph}"/>']
        grid, xt, yt = [], [], []
        xs, x_digits = nice_ticks(self.x0, self.x1, ticks)
        ys, y_digits = nice_ticks(self.y0, self.y1, ticks)
        for fx in xs:
            grid.append(f"M{_f(self.sx(fx))} {top}V{top + ph}")
            xt.append(f'<text x="{_f(self.sx(fx))}" y="{top + ph + 13}">{html(num(fx, x_digits))}</text>')
        for fy in ys:
            grid.append(f"M{left} {_f(self.sy(fy))}H{_f(left + pw)}")
            yt.append(f'<text x="{left - 5}" y="{_f(self.sy(fy) + 3.5)}">{html(num(fy, y_digits))}</text>')
        body.append(f'<path class="ch-grid" d="{"".join(grid)}"/>')
        body.append(f'<g class="ch-tick" text-anchor="middle">{"".join(xt)}</g>')
        body.append(f'<g class="ch-tick" text-anchor="end">{"".join(yt)}</g>')
        xl = fit_text(x_label, pw)
        body.append(f'<text class="ch-lbl" x="{_f(left + pw / 2)}" y="{top + ph + 30}" text-anchor="middle">'
                    f"{html(xl)}</text>")
        yl = fit_text(y_label, ph)
        body.append(f'<text class="ch-lbl" transform="rotate(-90)" x="{_f(-(top + ph / 2))}" y="12" '
                    f'text-anchor="middle">{html(yl)}</text>')
        return body

    @property
    def legend_top(self) -> int:
        return self.top + self.plot_h + self.bottom

    def legend(self, entries: Sequence[Series], top: float | None = None) -> tuple[list[str], float]:
        """Legend rows (swatch + text) from ``top``; returns the markup and the height used."""
        y0 = self.legend_top if top is None else top
        out = []
        for i, e in enumerate(entries):
            y = y0 + 4 + i * 16
            if e.cls == "ch-box":
                out.append(f'<rect class="ch-box" x="{self.left + 5}" y="{_f(y)}" width="10" height="8"/>')
            elif e.cls == "ch-op" or (e.markers and not e.line):
                out.append(f'<circle class="{e.cls}" cx="{self.left + 10}" cy="{_f(y + 4)}" r="4"/>')
            else:
                out.append(f'<path class="{e.cls}" d="M{self.left} {_f(y + 4)}h20"/>')
            out.append(_label(self.left + 26, y + 8, e.label, self.width - self.left - 28, 11, "ch-lbl"))
        return [f'<g class="ch-legend">{"".join(out)}</g>'], 4 + 16 * len(entries)

    def series(self, s: Series) -> list[str]:
        pts = [(self.sx(x), self.sy(y)) for x, y in zip(s.xs, s.ys) if x is not None and y is not None
               and math.isfinite(x) and math.isfinite(y)]
        out = []
        if s.line and len(pts) > 1:
            d = "M" + "L".join(f"{_f(x)} {_f(y)}" for x, y in pts)
            out.append(f'<path class="{s.cls}" d="{d}"/>')
        if s.markers:
            for i, (x, y) in enumerate(pts):
                tip = f"<title>{html(s.tips[i])}</title>" if i < len(s.tips) and s.tips[i] else ""
                out.append(f'<circle class="{s.cls} ch-pt" cx="{_f(x)}" cy="{_f(y)}" r="3.5">{tip}</circle>')
        return out


def xy_chart(series: Sequence[Series], *, title: str, desc: str, x_label: str, y_label: str,
             x_domain: tuple[float, float] = (0.0, 1.0), y_domain: tuple[float, float] = (0.0, 1.0),
             width: int = 380, plot_h: int = 240) -> Markup:
    """Lines and markers on ticked axes with a legend (ROC and precision-recall curves)."""
    if not series:
        return Markup("")
    fr = _Frame(width, plot_h, x_domain, y_domain)
    body = fr.axes(title, x_label, y_label)
    for s in series:
        body += fr.series(s)
    legend, used = fr.legend(series)
    body += legend
    return _svg(width, fr.legend_top + used, title, body, desc=desc)


def roc_chart(fpr: Sequence[float], tpr: Sequence[float], *, auc: float | None, title: str,
              operating: tuple[float, float, str] | None = None) -> Markup:
    """ROC curve with the chance diagonal and (optionally) the operating point of the cut-off."""
    series = [Series(f"Model (AUC {num(auc)})", fpr, tpr),
              Series("Chance (AUC 0.500)", [0.0, 1.0], [0.0, 1.0], cls="ch-ref")]
    if operating is not None:
        x, y, name = operating
        series.append(Series(f"{name} (FPR {num(x)}, TPR {num(y)})", [x], [y],
                             cls="ch-op", line=False, markers=True, tips=[name]))
    desc = (f"ROC curve over {len(fpr)} points from (0, 0) to (1, 1); area under the curve {num(auc)}."
            + (f" {operating[2]}: false positive rate {num(operating[0])}, true positive rate "
               f"{num(operating[1])}." if operating is not None else ""))
    return xy_chart(series, title=title, desc=desc, x_label="False positive rate (1 − specificity)",
                    y_label="True positive rate (recall)")


def pr_chart(recall: Sequence[float], precision: Sequence[float], *, average_precision: float | None,
             prevalence: float | None, title: str, operating: tuple[float, float, str] | None = None) -> Markup:
    """Precision-recall curve with the no-skill line at the prevalence and the cut-off's operating point."""
    series = [Series(f"Model (average precision {num(average_precision)})", recall, precision)]
    if prevalence is not None:
        series.append(Series(f"No skill (precision = prevalence {num(prevalence)})", [0.0, 1.0],
                             [prevalence, prevalence], cls="ch-ref"))
    if operating is not None:
        x, y, name = operating
        series.append(Series(f"{name} (recall {num(x)}, precision {num(y)})", [x], [y], cls="ch-op",
                             line=False, markers=True, tips=[name]))
    desc = (f"Precision against recall over {len(recall)} points; average precision {num(average_precision)}."
            + (f" {operating[2]}: recall {num(operating[0])}, precision {num(operating[1])}."
               if operating is not None else ""))
    return xy_chart(series, title=title, desc=desc, x_label="Recall (true positive rate)", y_label="Precision")


@dataclass(frozen=True)
class CalBin:
    low: float
    high: float
    n: int
    mean_predicted: float | None
    fraction_positive: float | None


def calibration_chart(bins: Sequence[CalBin], *, brier: float | None, title: str, width: int = 380,
                      plot_h: int = 240) -> Markup:
    """Reliability diagram: observed rate against mean prediction per bin, with the rows per bin beneath."""
    if not bins:
        return Markup("")
    fr = _Frame(width, plot_h, (0.0, 1.0), (0.0, 1.0))
    body = fr.axes(title, "Mean predicted probability", "Observed share of positives")
    filled = [b for b in bins if b.n and b.mean_predicted is not None and b.fraction_positive is not None]
    model = Series(f"Model: one dot per bin (Brier score {num(brier)})",
                   [b.mean_predicted for b in filled], [b.fraction_positive for b in filled],  # type: ignore[misc]
                   markers=True,
                   tips=[f"{num(b.low, 1)}–{num(b.high, 1)}: {b.n:,} rows, mean predicted {num(b.mean_predicted)}, "
                         f"observed {num(b.fraction_positive)}" for b in filled])
    ideal = Series("Perfectly calibrated", [0.0, 1.0], [0.0, 1.0], cls="ch-ref")
    body += fr.series(ideal) + fr.series(model)
    # rows per bin: a strip of bars under the legend, on the same x scale
    legend, used = fr.legend([model, ideal])
    body += legend
    strip_top = fr.legend_top + used + 16
    strip_h = 36
    most = max((b.n for b in bins), default=0) or 1
    bars, counts = [], []
    for b in bins:
        x0, x1 = fr.sx(b.low), fr.sx(b.high)
        h = b.n / most * strip_h
        bars.append(f"M{_f(x0 + 1)} {_f(strip_top + strip_h - h)}h{_f(x1 - x0 - 2)}v{_f(h)}h{_f(-(x1 - x0 - 2))}z")
        counts.append(f'<text x="{_f((x0 + x1) / 2)}" y="{_f(strip_top + strip_h + 11)}">{b.n:,}</text>')
    body.append(_label(fr.left, strip_top - 4, "Rows per bin", fr.pw, 10, "ch-tick"))
    body.append(f'<path class="ch-bar" d="{"".join(bars)}"/>')
    font = 10 if max(text_width(f"{b.n:,}", 10) for b in bins) <= fr.pw / len(bins) else 0
    if font:
        body.append(f'<g class="ch-tick" text-anchor="middle">{"".join(counts)}</g>')
    height = strip_top + strip_h + 16
    desc = (f"Reliability diagram over {len(bins)} bins of predicted probability ({sum(b.n for b in bins):,} rows): "
            + "; ".join(f"{num(b.low, 1)}–{num(b.high, 1)} n={b.n:,}" + (
                f" observed {num(b.fraction_positive)}" if b.fraction_positive is not None else "") for b in bins)
            + f". Brier score {num(brier)}.")
    return _svg(width, height, title, body, desc=desc)


@dataclass(frozen=True)
class ResidualBin:
    pred_mean: float
    n: int
    q10: float
    q25: float
    median: float
    q75: float
    q90: float


def residual_chart(bins: Sequence[ResidualBin], *, title: str, width: int = 520, plot_h: int = 240) -> Markup:
    """Residual plot: per bin of the prediction, the median residual, its 25–75 % and 10–90 % ranges."""
    if not bins:
        return Markup("")
    xs = [b.pred_mean for b in bins]
    lo_y = min(min(b.q10 for b in bins), 0.0)
    hi_y = max(max(b.q90 for b in bins), 0.0)
    pad_y = (hi_y - lo_y) * 0.05 or 1.0
    pad_x = (max(xs) - min(xs)) * 0.04 or 1.0
    fr = _Frame(width, plot_h, (min(xs) - pad_x, max(xs) + pad_x), (lo_y - pad_y, hi_y + pad_y))
    body = fr.axes(title, "Predicted value (mean of each bin)", "Residual (observed − predicted)")
    zero = fr.sy(0.0)
    body.append(f'<path class="ch-ref" d="M{fr.left} {_f(zero)}H{_f(fr.left + fr.pw)}"/>')
    centres = [fr.sx(b.pred_mean) for b in bins]
    whiskers, boxes = [], []
    for i, b in enumerate(bins):
        x = centres[i]
        # boxes as wide as the space to the nearest neighbouring bin allows (bins crowd where predictions do)
        room = min([abs(x - centres[j]) for j in (i - 1, i + 1) if 0 <= j < len(centres)] or [16.0])
        half = max(min(room * 0.42, 8.0), 1.0)
        whiskers.append(f"M{_f(x)} {_f(fr.sy(b.q10))}V{_f(fr.sy(b.q90))}")
        top, bottom = fr.sy(b.q75), fr.sy(b.q25)
        boxes.append(f"M{_f(x - half)} {_f(top)}h{_f(2 * half)}v{_f(max(bottom - top, 0.5))}h{_f(-2 * half)}z")
    body.append(f'<path class="ch-whisker" d="{"".join(whiskers)}"/>')
    body.append(f'<path class="ch-box" d="{"".join(boxes)}"/>')
    medians = Series("Median residual of the bin (hover for its rows)", xs, [b.median for b in bins], line=False,
                     markers=True, tips=[f"predicted ≈ {num(b.pred_mean)}: {b.n:,} rows, median residual "
                                         f"{num(b.median)}, 10–90 %: {num(b.q10)} to {num(b.q90)}" for b in bins])
    body += fr.series(medians)
    legend = [medians, Series("Middle half of the rows (25–75 %)", [], [], cls="ch-box"),
              Series("10–90 % of the rows", [], [], cls="ch-whisker"),
              Series("Zero residual", [], [], cls="ch-ref")]
    lg, used = fr.legend(legend)
    body += lg
    desc = (f"Residuals against the prediction in {len(bins)} bins of equal size; median residuals from "
            f"{num(min(b.median for b in bins))} to {num(max(b.median for b in bins))}.")
    return _svg(width, fr.legend_top + used, title, body, desc=desc)


def confusion_table(labels: Sequence[str], matrix: Sequence[Sequence[int]], *, caption: str,
                    positive: str | None = None) -> Markup:
    """A confusion matrix as an HTML table: counts with the share of each true class, cells shaded by share."""
    if not labels or not matrix:
        return Markup("")
    head = "".join(f'<th scope="col">{html(c)}</th>' for c in labels)
    rows = []
    for label, counts in zip(labels, matrix):
        total = sum(counts)
        cells = []
        for j, c in enumerate(counts):
            share = c / total if total else None
            step = heat_step(share, 1.0)
            pct = f"{share * 100:.1f} %" if share is not None else "—"
            diag = " ch-diag" if labels[j] == label else ""
            cells.append(f'<td class="ch-h{step}{diag}">{c:,}<br/><small>{pct}</small></td>')
        rows.append(f'<tr><th scope="row">{html(label)}</th>{"".join(cells)}<td>{total:,}</td></tr>')
    note = f" Positive label: {html(positive)}." if positive is not None else ""
    return Markup(
        f'<div class="ch-confusion-wrap"><table class="ch-confusion"><caption>{html(caption)}{note} Rows: true '
        f'label · columns: predicted label · the percentage is the share of the row.</caption><thead><tr>'
        f'<th scope="col">true ↓ · predicted →</th>{head}<th scope="col">rows</th></tr></thead>'
        f'<tbody>{"".join(rows)}</tbody></table></div>')
