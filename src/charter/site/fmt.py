"""Number and date formatting for pages: deterministic, locale-free."""

from __future__ import annotations

import math
from typing import Any


def num(value: Any, digits: int = 3) -> str:
    """A metric value: 3 decimals by default, integers without decimals, '—' when undefined."""
    if value is None or isinstance(value, bool):
        return "—"
    try:
        v = float(value)
    except (TypeError, ValueError):
        return "—"
    if not math.isfinite(v):
        return "—"
    if v == int(v) and abs(v) < 1e15 and digits >= 0 and isinstance(value, int):
        return f"{int(v):,}"
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    return f"{v:.{digits}f}"


def count(value: Any) -> str:
    if value is None:
        return "—"
    return f"{int(value):,}"


def money(value: Any, currency: str | None = None) -> str:
    """Yearly value like 'EUR 1.2M'."""
    if value is None:
        return "—"
    v = float(value)
    for div, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(v) >= div:
            text = f"{v / div:.1f}".rstrip("0").rstrip(".") + suffix
            break
    else:
        text = f"{v:.0f}"
    return f"{currency} {text}" if currency else text


def pct(value: Any, digits: int = 0) -> str:
    if value is None:
        return "—"
    return f"{float(value) * 100:.{digits}f} %"


def interval(low: Any, high: Any, digits: int = 3) -> str:
    if low is None or high is None:
        return "—"
    return f"[{num(low, digits)}, {num(high, digits)}]"


def short(h: Any, n: int = 12) -> str:
    """A hash shortened for display (the full value goes in a title attribute)."""
    if not h:
        return "—"
    return str(h)[:n]


def seconds(value: Any) -> str:
    if value is None:
        return "—"
    v = float(value)
    if v < 1:
        return f"{v * 1000:.0f} ms"
    if v < 120:
        return f"{v:.1f} s"
    return f"{v / 60:.1f} min"


def pvalue(value: Any) -> str:
    if value is None:
        return "—"
    v = float(value)
    return "< 0.001" if v < 0.001 else f"{v:.3f}"


def when(iso: Any) -> str:
    """An ISO timestamp to the second, in UTC as recorded: '2026-11-23 17:23:52 UTC'."""
    if not iso:
        return "—"
    text = str(iso)
    date, _, rest = text.partition("T")
    clock = rest[:8]
    zone = " UTC" if rest.endswith(("+00:00", "Z")) else (" " + rest[-6:] if len(rest) > 8 else "")
    return f"{date} {clock}{zone}".strip()


def quantity(value: Any) -> str:
    """A business quantity (KPI baseline, latency, a count): integers plainly, else 4 significant digits."""
    if value is None or isinstance(value, bool):
        return "—"
    v = float(value)
    if not math.isfinite(v):
        return "—"
    if v == int(v) and abs(v) < 1e15:
        return f"{int(v):,}"
    return f"{v:,.4g}" if abs(v) >= 1 else f"{v:.4g}"
