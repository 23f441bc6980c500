"""User text in terminal and CI output: one line, no control characters.

Spec values reach messages verbatim (ids, tickets, titles, unknown keys). Printed
raw, a newline lets a spec forge a line of its own, such as a GitHub workflow
command (``ticket: "T-1\\n::error::FORGED"``), and an ESC sequence rewrites the
terminal. Every reporter passes user text, or each finished line of a report,
through :func:`safe_text`.
"""

from __future__ import annotations

import re

# C0 and C1 controls, DEL, the Unicode line and paragraph separators (which some
# consoles and log viewers break on) and the bidirectional overrides that can make
# printed text read differently from what it is.
_CONTROLS = "\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069"
_CONTROL = re.compile(f"[{_CONTROLS}]")
# With colour on, a finished line holds Charter's own SGR sequences (ESC [ … m):
# those alone are kept. They can only set colours, never move the cursor or print.
_CONTROL_KEEP_SGR = re.compile(f"\x1b\\[[0-9;]*m|[{_CONTROLS}]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    ch = match.group()
    if len(ch) > 1:
        return ch  # an SGR sequence (only matched when kept)
    if ch in _NAMED:
        return _NAMED[ch]
    code = ord(ch)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def safe_text(value: object, *, keep_sgr: bool = False) -> str:
    """``value`` as one printable line: control characters become visible escapes
    (``\\n``, ``\\x1b``, ``\\u2028``). ``keep_sgr`` keeps colour sequences."""
    text = value if isinstance(value, str) else str(value)
    return (_CONTROL_KEEP_SGR if keep_sgr else _CONTROL).sub(_escape, text)


_FRAME_CONTROL = re.compile(_CONTROL.pattern.replace("\x00-\x1f", "\x00-\x08\x0a-\x1f"))  # tabs stay


def has_control(text: str) -> bool:
    return _CONTROL.search(text) is not None


def frame_text(line: str) -> str:
    """A source line for a code frame: each control character but the tab becomes one
    U+FFFD, so the caret under it still points at the right column."""
    return _FRAME_CONTROL.sub("\ufffd", line)
