"""What two runs of the same repository must agree on, byte for byte.

Records carry three timing fields (``started_at``, ``finished_at``,
``duration_s``), timings inside their results (a text model's seconds and
examples per second an epoch: :data:`charter.artifacts.record.TIMING_KEYS`) and
nothing about the worker that ran them (their ``lineage`` is
the calling process's: commit, Charter, Python, platform). Ledger run entries
carry the time (``at``), the duration, the record file's sha256 (which covers the
timing fields) and the chain (``seq``, ``prev``, ``hash``: the order in which
jobs finished). Those fields, and only those, are set to placeholders; everything
else is compared as the bytes the store wrote.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

RECORD_TIMING = ("started_at", "finished_at", "duration_s")
LEDGER_ORDER_AND_TIMING = ("at", "seq", "prev", "hash")
LEDGER_PAYLOAD_TIMING = ("duration_s", "record_sha256")


def record_bytes_without_timing(path: Path) -> bytes:
    from charter.artifacts.record import read_record, untimed
    from charter.engine.store import record_bytes

    record = read_record(path.read_bytes())
    assert record_bytes(record) == path.read_bytes(), f"{path} is not as the store writes it"
    return record_bytes(record.model_copy(update={"started_at": "T", "finished_at": "T", "duration_s": 0.0,
                                                  "results": untimed(record.results)}))


def evidence_tree(root: Path) -> dict[str, Any]:
    """{records: {(uc, job, evidence id): bytes}, ledger: {uc: sorted entries}} without timing and order."""
    records: dict[tuple[str, str, str], bytes] = {}
    for path in sorted((root / "evidence" / "records").rglob("*.json")):
        uc, job = path.parent.parent.name, path.parent.name
        key = (uc, job, path.name.split(".")[0])
        assert key not in records, f"two records for {key}"
        records[key] = record_bytes_without_timing(path)
    ledger: dict[str, list[str]] = {}
    for path in sorted((root / "evidence" / "ledger").glob("*.jsonl")):
        entries = []
        for line in path.read_text(encoding="utf-8").splitlines():
            e = json.loads(line)
            for k in LEDGER_ORDER_AND_TIMING:
                e.pop(k)
            for k in LEDGER_PAYLOAD_TIMING:
                e["payload"].pop(k, None)
            entries.append(json.dumps(e, sort_keys=True))
        ledger[path.stem] = sorted(entries)
    return {"records": records, "ledger": ledger}


def assert_same_evidence(a: Path, b: Path) -> None:
    ta, tb = evidence_tree(a), evidence_tree(b)
    assert sorted(ta["records"]) == sorted(tb["records"])
    for key, raw in ta["records"].items():
        assert raw == tb["records"][key], f"record {key} differs"
    assert ta["ledger"] == tb["ledger"]


def gate_json(root: Path, on: str = "2026-06-01") -> str:
    """`charter gate -f json` of every use case, without the repository path and the ledger head (the chain's
    hash covers the timing of every entry)."""
    import contextlib
    import io

    from charter.cli.main import main

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        main(["gate", "--repo", str(root), "-f", "json", "--no-fail", "--on", on])
    return json.dumps(_without(json.loads(out.getvalue().replace(str(root), "<root>")), "ledger_head"),
                      indent=2, sort_keys=True)


def _without(obj: Any, key: str) -> Any:
    if isinstance(obj, dict):
        return {k: _without(v, key) for k, v in obj.items() if k != key}
    if isinstance(obj, list):
        return [_without(v, key) for v in obj]
    return obj
