"""Persisted artifacts: one model each, snake_case keys, a schema version checked on read."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from charter.artifacts.decision import DecisionRecord
from charter.artifacts.ledger import LedgerEntry
from charter.artifacts.record import EvidenceRecord, Inputs, Lineage, read_record
from charter.artifacts.versioning import Versioned
from charter.cli.main import main
from charter.engine.hashing import canonical_json
from charter.engine.ledger import GENESIS, Ledger, entry_hash
from charter.engine.store import EvidenceStore, record_bytes
from charter.errors import LedgerError, SchemaVersionError
from charter.gates.model import GateDecision, RequirementResult
from charter.schemas import SCHEMA_FILES, render_schemas


def record(eid: str = "a" * 64) -> EvidenceRecord:
    return EvidenceRecord(
        id=eid, use_case="credit", job="train", runner="sklearn-train", status="pass",
        inputs=Inputs(spec_sha256="s", runner_version="0"),
        lineage=Lineage(git_commit=None, git_dirty=None, charter_version="0", python="3", platform="x"),
        started_at="2026-01-01T00:00:00+00:00", finished_at="2026-01-01T00:00:00+00:00", duration_s=1.0,
    )


def decision() -> GateDecision:
    req = RequirementResult(id="auc", kind="metric", origin="use-case", status="pass", reason="0.8 ≥ 0.7",
                            metric="roc_auc", candidate=0.8, threshold=0.7, comparator=">=", evidence=("e" * 64,))
    return GateDecision(use_case="credit", stage="production", passed=True, requirements=(req,),
                        evidence_hash="h" * 64, decided_on="2026-03-01", declared_stage="production",
                        risk_tier="high", notes=("a note",))


# --- evidence records -------------------------------------------------------------------


def test_a_record_from_a_newer_charter_is_skipped_with_an_upgrade_message(tmp_path: Path) -> None:
    store = EvidenceStore(tmp_path)
    path = store.put(record()).path
    data = json.loads(path.read_text())
    data.update(schema_version=3, new_field=1)
    path.write_text(json.dumps(data))
    assert store.get("credit", "train", "a" * 64) is None
    list(store.iter_stored())
    [warning] = store.warnings
    assert "evidence record written by a newer Charter (schema 3; this Charter reads up to 2): upgrade Charter" \
        in warning


def test_an_older_record_says_how_to_record_it_again() -> None:
    data = json.loads(record_bytes(record()))
    data["schema_version"] = 0
    with pytest.raises(SchemaVersionError, match=r"older Charter \(schema 0; this Charter reads 1 to 2\): "
                                                 r"re-run `charter run --force`"):
        read_record(json.dumps(data))
    with pytest.raises(ValueError, match="not JSON"):
        read_record(b"{nope")
    assert read_record(record_bytes(record())) == record()


# --- ledger -----------------------------------------------------------------------------


def test_run_entries_are_snake_case_and_versioned(tmp_path: Path) -> None:
    led = Ledger(tmp_path)
    led.append_run(use_case="credit", job="train", runner="sklearn-train", evidence_id="a" * 64, status="pass",
                   reason=None, record_sha256="b" * 64, duration_s=1.5)
    [raw] = led.entries()
    assert raw["schema_version"] == 3
    assert set(raw["payload"]) == {"use_case", "job", "runner", "evidence_id", "status", "reason", "record_sha256",
                                   "duration_s"}
    [entry] = led.read_entries()
    run = entry.run()
    assert run is not None and run.use_case == "credit" and run.record_sha256 == "b" * 64
    assert entry.decision() is None
    assert led.verify().ok


def test_decisions_are_validated_versioned_and_read_back(tmp_path: Path) -> None:
    led = Ledger(tmp_path)
    led.append_decision(decision())
    led.append_decision({**decision().to_dict(), "added_later": {"by": "the gate"}})  # new gate fields pass through
    first, second = led.read_entries()
    assert first.payload["schema_version"] == 1
    record_ = first.decision()
    assert record_ is not None and record_.to_decision() == decision()
    assert second.payload["added_later"] == {"by": "the gate"}
    with pytest.raises(ValueError):
        led.append_decision({"use_case": "credit"})  # not a decision: never written
    assert len(led.entries()) == 2


def test_a_decision_recorded_before_versioning_is_still_read() -> None:
    payload = decision().to_dict()
    assert DecisionRecord.read(payload).to_decision() == decision()
    with pytest.raises(SchemaVersionError, match="gate decision written by a newer Charter"):
        DecisionRecord.read({**payload, "schema_version": 9})


def _write_v1_ledger(led: Ledger, n: int = 3) -> None:
    """The single-file ledger of an older Charter (schema 1: camelCase runs, no schema_version)."""
    lines, prev = [], GENESIS
    for seq in range(1, n + 1):
        payload = {"useCase": "credit", "job": "train", "runner": "sklearn-train", "evidenceId": "a" * 64,
                   "status": "pass", "reason": None, "recordSha256": "b" * 64, "durationS": 1.0}
        at = f"2026-01-0{seq}T00:00:00+00:00"
        lines.append(json.dumps({"seq": seq, "prev": prev, "hash": "h", "at": at, "type": "run", "payload": payload},
                                sort_keys=True, separators=(",", ":")) + "\n")
    led.old_path.parent.mkdir(parents=True, exist_ok=True)
    led.old_path.write_text("".join(lines))


def test_an_older_ledger_is_reported_once_and_not_appended_to(tmp_path: Path, capsys) -> None:
    led = Ledger(tmp_path)
    _write_v1_ledger(led)
    res = led.verify(store=EvidenceStore(tmp_path))
    [problem] = res.problems
    assert problem.kind == "schema" and problem.file == "evidence/ledger.jsonl"
    assert "one hash chain per use case" in problem.message and "charter run --force" in problem.message
    before = led.old_path.read_bytes()
    with pytest.raises(LedgerError) as info:
        led.append_run(use_case="credit", job="train", runner="sklearn-train", evidence_id="a" * 64, status="pass",
                       reason=None, record_sha256=None, duration_s=None)
    assert "older Charter" in str(info.value.strerror) and led.old_path.read_bytes() == before
    assert not led.dir.exists()
    (tmp_path / "governance").mkdir()
    assert main(["verify", "--repo", str(tmp_path)]) == 1
    assert "ledger NOT VERIFIED: written in a layout or schema this Charter does not read" in capsys.readouterr().out


def test_a_newer_ledger_entry_asks_to_upgrade(tmp_path: Path) -> None:
    led = Ledger(tmp_path)
    led.append("run", {"x": 1, "use_case": "credit"})
    entry = led.entries()[0]
    entry["schema_version"] = 4
    entry["hash"] = entry_hash(entry["seq"], entry["prev"], entry["at"], entry["type"], entry["payload"], 4,
                               entry["merges"])
    led.chain_path("credit").write_text(json.dumps(entry) + "\n")
    [problem] = [p for p in Ledger(tmp_path).verify().problems if p.kind != "truncated"]
    assert problem.kind == "schema"
    assert "written by a newer Charter (schema 4; this Charter reads up to 3): upgrade Charter" in problem.message


def test_editing_the_schema_version_breaks_the_hash(tmp_path: Path) -> None:
    led = Ledger(tmp_path)
    led.append("run", {"x": 1, "use_case": "credit"})
    led.append("run", {"x": 2, "use_case": "credit"})
    lines = led.chain_path("credit").read_text().splitlines(keepends=True)
    entry = json.loads(lines[1])
    entry["schema_version"] = 1  # pretending to be old does not hide an edit
    lines[1] = json.dumps(entry) + "\n"
    led.chain_path("credit").write_text("".join(lines))
    assert ("edited", 2) in [(p.kind, p.line) for p in led.verify().problems]


def test_verify_json_is_snake_case(tmp_path: Path, capsys) -> None:
    Ledger(tmp_path).append("run", {"x": 1, "use_case": "credit"})
    (tmp_path / "governance").mkdir()
    assert main(["verify", "--repo", str(tmp_path), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["schema_version"] == 1 and data["records_checked"] == 0 and data["ok"] is True


# --- published schemas ------------------------------------------------------------------


def test_every_artifact_has_a_published_schema_with_its_version() -> None:
    rendered = render_schemas()
    published = {m for m in SCHEMA_FILES.values()}
    from charter.artifacts.diff import DiffReport
    from charter.artifacts.show import ShowReport
    from charter.artifacts.verify import VerifyReport

    for model in (EvidenceRecord, LedgerEntry, DecisionRecord, ShowReport, DiffReport, VerifyReport):
        assert model in published
    for name, model in SCHEMA_FILES.items():
        schema = json.loads(rendered[name])
        if issubclass(model, Versioned):
            assert schema["properties"]["schema_version"]["const"] == model.SCHEMA_VERSION, name
        assert not [k for k in schema.get("properties", {}) if any(c.isupper() for c in k)] or \
            not issubclass(model, Versioned), f"{name} has camelCase keys"


def test_charter_schema_check_covers_the_artifacts(tmp_path: Path, capsys) -> None:
    assert main(["schema", "--out", str(tmp_path)]) == 0
    (tmp_path / "ledger-entry.schema.json").write_text("{}")
    assert main(["schema", "--check", "--out", str(tmp_path)]) == 1
    assert "ledger-entry.schema.json: out of date" in capsys.readouterr().out
