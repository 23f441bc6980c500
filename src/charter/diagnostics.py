"""Diagnostics: what the validator (and every other phase) reports about input.

A diagnostic is data — file, 1-based line and column, stable code, key path,
message, hint — so reporters (text, JSON, GitHub annotations) stay dumb.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Literal

from .report.escape import has_control, safe_text

Severity = Literal["error", "warning"]

# Stable codes: tests and users key on these, so never renumber.
CODES: dict[str, str] = {
    "CH001": "invalid YAML syntax",
    "CH002": "duplicate key",
    "CH003": "tab indentation",
    "CH004": "disallowed YAML tag or construct",
    "CH005": "document too large or too deeply nested",
    "CH006": "file is not UTF-8 text",
    "CH007": "empty file",
    "CH008": "unreadable or missing file",
    "CH009": "unsupported apiVersion or kind",
    "CH010": "unknown key",
    "CH011": "missing required key",
    "CH012": "wrong type",
    "CH013": "invalid value",
    "CH014": "misnamed spec file",
    "CH015": "use-case folder without a spec",
    "CH020": "unknown reference",
    "CH021": "person does not hold the required role",
    "CH022": "duplicate id",
    "CH023": "referenced data file missing",
    "CH024": "data file does not match its sha256",
    "CH025": "path escapes the repository",
    "CH026": "metric not valid for the task",
    "CH027": "threshold out of the metric's range",
    "CH028": "runner not on the allowlist",
    "CH029": "estimator or parameter not on the allowlist",
    "CH030": "unknown life-cycle stage",
    "CH031": "incoherent policy",
    "CH032": "use case loosens an organisation policy",
    "CH033": "column not in the data contract",
    "CH034": "job dependency problem",
    "CH035": "id does not match its directory",
    "CH036": "AI objective lacks an AI-proxy or a product key result",
    "CH040": "approval or waiver problem",
    "CH041": "expired approval or waiver",
    "CH042": "waiver exceeds the authority the policy grants",
    "CH043": "signing key or signature problem",
}


@dataclass(frozen=True, order=True)
class Diagnostic:
    file: str
    line: int | None
    column: int | None
    code: str
    message: str
    path: str = ""
    hint: str | None = None
    severity: Severity = "error"
    end_column: int | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        # Messages quote spec values: a newline or ESC in one must not reach any
        # consumer (reporters, gate, the site build's error) as a line or a control.
        for name in ("file", "message", "path", "hint"):
            value = getattr(self, name)
            if value and has_control(value):
                object.__setattr__(self, name, safe_text(value))

    def to_dict(self) -> dict:
        d = asdict(self)
        d["title"] = CODES.get(self.code, "")
        return d


def did_you_mean(word: str, choices: Iterable[str], *, prefix: str = "did you mean") -> str | None:
    matches = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.7)
    return f"{prefix} '{matches[0]}'?" if matches else None


def known_list(choices: Iterable[str], limit: int = 12) -> str:
    items = sorted(set(choices))
    shown = ", ".join(items[:limit])
    return shown + (f", … ({len(items) - limit} more)" if len(items) > limit else "")


def sort_key(d: Diagnostic) -> tuple:
    return (d.file, d.line or 0, d.column or 0, d.code, d.path, d.message)
