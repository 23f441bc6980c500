"""Diagnostics as text (with code frames), JSON, or GitHub workflow annotations."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence

from ..diagnostics import CODES, Diagnostic
from .escape import frame_text, safe_text
from .github import gh_data, gh_prop

_RED, _YELLOW, _BOLD, _DIM, _RESET = "\033[31m", "\033[33m", "\033[1m", "\033[2m", "\033[0m"


MAX_PER_FILE_AND_CODE = 50
"""Text output shows this many diagnostics of one code in one file, then a count of the rest."""
MAX_FRAME_WIDTH = 160
"""Characters of a source line a code frame shows (a window around the column)."""
MAX_MESSAGE = 1000
"""Characters of a message or hint shown in text output (a key can be megabytes long)."""


def _window(line: str, column: int | None, span: int) -> tuple[str, int | None, int]:
    """A bounded slice of line around column: (text, column in the slice, caret width)."""
    if len(line) <= MAX_FRAME_WIDTH:
        return line, column, span
    col = column or 1
    start = max(0, min(col - 1 - MAX_FRAME_WIDTH // 3, len(line) - MAX_FRAME_WIDTH))
    text = line[start:start + MAX_FRAME_WIDTH]
    prefix, suffix = ("…" if start > 0 else ""), ("…" if start + MAX_FRAME_WIDTH < len(line) else "")
    new_col = (col - start + len(prefix)) if column else None
    return prefix + text + suffix, new_col, min(span, MAX_FRAME_WIDTH - (col - 1 - start))


def code_frame(text: str | list[str], line: int, column: int | None, end_column: int | None,
               context: int = 2) -> list[str]:
    """The lines up to ``line`` with a caret under the span; ``text`` may be given
    already split (format_text splits each file once)."""
    lines = text.splitlines() if isinstance(text, str) else text
    if not 1 <= line <= len(lines):
        return []
    first, last = max(1, line - context), line
    width = len(str(last))
    out = []
    for n in range(first, last):
        shown, _, _ = _window(lines[n - 1], None, 0)
        out.append(f"  {n:>{width}} | {frame_text(shown)}")
    target = lines[line - 1]
    span = 0
    if column:
        span = max(1, (end_column or column + 1) - column)
        span = min(span, max(1, len(target) - column + 1))
    shown, col, span = _window(target, column, span)
    out.append(f"  {line:>{width}} | {frame_text(shown)}")
    if col:
        out.append(f"  {'':>{width}} | {' ' * (col - 1)}{'^' * max(1, span)}")
    return out


def _clip(text: str) -> str:
    return text if len(text) <= MAX_MESSAGE else text[:MAX_MESSAGE] + f"… ({len(text) - MAX_MESSAGE:,} more characters)"


def format_text(diags: Sequence[Diagnostic], sources: Mapping[str, str], *, color: bool = False) -> str:
    """Linear in the number of diagnostics: each source is split once, and after
    MAX_PER_FILE_AND_CODE diagnostics of one code in one file the rest are counted."""
    split: dict[str, list[str]] = {}
    hidden: dict[str, list[tuple[str, int]]] = {}  # file → (code, diagnostics not shown)
    for (file, code), total in sorted(Counter((d.file, d.code) for d in diags).items()):
        if total > MAX_PER_FILE_AND_CODE:
            hidden.setdefault(file, []).append((code, total - MAX_PER_FILE_AND_CODE))
    last_of_file = {d.file: i for i, d in enumerate(diags)}
    shown: Counter[tuple[str, str]] = Counter()
    chunks = []
    for i, d in enumerate(diags):
        key = (d.file, d.code)
        shown[key] += 1
        if shown[key] <= MAX_PER_FILE_AND_CODE:
            chunks.append(_one(d, sources, split, color))
        if last_of_file[d.file] == i:  # the counts close the file's report
            chunks += [f"{safe_text(d.file)}: … and {more:,} more {code} in this file"
                       for code, more in hidden.get(d.file, [])]
    return "\n".join(chunks)


def _one(d: Diagnostic, sources: Mapping[str, str], split: dict[str, list[str]], color: bool) -> str:
    file = safe_text(d.file)
    loc = file + (f":{d.line}" if d.line else "") + (f":{d.column}" if d.line and d.column else "")
    sev: str = d.severity
    if color:
        sev = f"{_RED if sev == 'error' else _YELLOW}{_BOLD}{sev}{_RESET}"
        loc = f"{_BOLD}{loc}{_RESET}"
    head = f"{loc}: {sev}[{d.code}] " + (f"{_clip(safe_text(d.path))}: " if d.path else "") + _clip(safe_text(d.message))
    lines = [head]
    if d.line and d.file in sources:
        if d.file not in split:
            split[d.file] = sources[d.file].splitlines()
        lines += code_frame(split[d.file], d.line, d.column, d.end_column)
    if d.hint:
        lines.append(f"  hint: {_clip(safe_text(d.hint))}")
    return "\n".join(lines)


def summary_line(diags: Sequence[Diagnostic], files: int) -> str:
    errors = sum(1 for d in diags if d.severity == "error")
    warnings = len(diags) - errors
    if not diags:
        return f"{files} files valid"
    return f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)} in {files} files"


def format_json(diags: Sequence[Diagnostic], files: int) -> str:
    errors = sum(1 for d in diags if d.severity == "error")
    return json.dumps({
        "schemaVersion": 1,
        "valid": errors == 0,
        "files": files,
        "errors": errors,
        "warnings": len(diags) - errors,
        "diagnostics": [d.to_dict() for d in diags],
    }, indent=2)


def format_github(diags: Sequence[Diagnostic]) -> str:
    out = []
    for d in diags:
        props = [f"file={gh_prop(d.file)}"]
        if d.line:
            props.append(f"line={d.line}")
        if d.column:
            props.append(f"col={d.column}")
        if d.end_column:
            props.append(f"endColumn={d.end_column}")
        title = f"{d.code} {CODES.get(d.code, '')}".strip()
        props.append(f"title={gh_prop(title)}")
        msg = ((f"{safe_text(d.path)}: " if d.path else "") + safe_text(d.message)
               + (f"\nhint: {safe_text(d.hint)}" if d.hint else ""))
        out.append(f"::{d.severity} {','.join(props)}::{gh_data(msg)}")
    return "\n".join(out)
