"""Diagnostics as text (with code frames), JSON, or GitHub workflow annotations."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from ..diagnostics import CODES, Diagnostic
from .github import gh_data, gh_prop

_RED, _YELLOW, _BOLD, _DIM, _RESET = "\033[31m", "\033[33m", "\033[1m", "\033[2m", "\033[0m"


def code_frame(text: str, line: int, column: int | None, end_column: int | None, context: int = 2) -> list[str]:
    lines = text.splitlines()
    if not 1 <= line <= len(lines):
        return []
    first, last = max(1, line - context), line
    width = len(str(last))
    out = [f"  {n:>{width}} | {lines[n - 1]}" for n in range(first, last + 1)]
    if column:
        span = max(1, (end_column or column + 1) - column)
        span = min(span, max(1, len(lines[line - 1]) - column + 1))
        out.append(f"  {'':>{width}} | {' ' * (column - 1)}{'^' * span}")
    return out


def format_text(diags: Sequence[Diagnostic], sources: Mapping[str, str], *, color: bool = False) -> str:
    chunks = []
    for d in diags:
        loc = d.file + (f":{d.line}" if d.line else "") + (f":{d.column}" if d.line and d.column else "")
        sev: str = d.severity
        if color:
            sev = f"{_RED if sev == 'error' else _YELLOW}{_BOLD}{sev}{_RESET}"
            loc = f"{_BOLD}{loc}{_RESET}"
        head = f"{loc}: {sev}[{d.code}] " + (f"{d.path}: " if d.path else "") + d.message
        lines = [head]
        if d.line and d.file in sources:
            lines += code_frame(sources[d.file], d.line, d.column, d.end_column)
        if d.hint:
            lines.append(f"  hint: {d.hint}")
        chunks.append("\n".join(lines))
    return "\n".join(chunks)


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
        msg = (f"{d.path}: " if d.path else "") + d.message + (f"\nhint: {d.hint}" if d.hint else "")
        out.append(f"::{d.severity} {','.join(props)}::{gh_data(msg)}")
    return "\n".join(out)
