"""Reported vs reproduced: what differs between a committed record and the same job run again.

Only what a runner computes is compared (status, reason, results); lineage and
timing (the commit, the machine, when and how long) legitimately differ.
"""

from __future__ import annotations

import json
from typing import Any

from ..artifacts.record import untimed
from ..evidence.records import EvidenceRecord

IGNORED = ("lineage", "started_at", "finished_at", "duration_s", "artifacts")
"""Record fields that describe the run, not its result."""
MAX_SHOWN = 8


def comparable(record: EvidenceRecord) -> dict[str, Any]:
    """The part of a record that must be identical when the job is run again on the same inputs."""
    data = record.model_dump(mode="json")
    return {k: (untimed(v) if k == "results" else v) for k, v in data.items() if k not in IGNORED}


def _flat(value: Any, path: str, out: dict[str, Any]) -> None:
    if isinstance(value, dict) and value:
        for k in sorted(value):
            _flat(value[k], f"{path}.{k}" if path else str(k), out)
    elif isinstance(value, list) and value:
        for i, v in enumerate(value):
            _flat(v, f"{path}[{i}]", out)
    else:
        out[path] = value


def _show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= 60 else text[:59] + "…"


def compare_records(reported: EvidenceRecord, reproduced: EvidenceRecord) -> list[str]:
    """Each differing key as ``results.metrics.auc: reported 0.91, reproduced 0.87`` (empty when identical)."""
    a, b = {}, {}  # type: dict[str, Any], dict[str, Any]
    _flat(comparable(reported), "", a)
    _flat(comparable(reproduced), "", b)
    diffs = []
    for key in sorted(set(a) | set(b)):
        if key not in b:
            diffs.append(f"{key}: reported {_show(a[key])}, not reproduced")
        elif key not in a:
            diffs.append(f"{key}: not reported, reproduced {_show(b[key])}")
        elif a[key] != b[key]:
            diffs.append(f"{key}: reported {_show(a[key])}, reproduced {_show(b[key])}")
    if len(diffs) > MAX_SHOWN:
        diffs = diffs[:MAX_SHOWN] + [f"and {len(diffs) - MAX_SHOWN} more"]
    return diffs


__all__ = ["IGNORED", "comparable", "compare_records"]
