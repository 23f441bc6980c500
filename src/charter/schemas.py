"""JSON Schemas generated from the models (the single source): the spec files users write,
for editors, and every artifact Charter persists or prints as JSON (:mod:`charter.artifacts`),
for scripts that read them. ``charter schema --check`` compares all of them with ``schemas/``."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel

from .artifacts.decision import DecisionRecord
from .artifacts.diff import DiffReport
from .artifacts.ledger import LedgerEntry, RunEntry
from .artifacts.record import EvidenceRecord
from .artifacts.show import ShowReport
from .artifacts.verify import VerifyReport
from .artifacts.versioning import Versioned
from .spec.docs import json_schema
from .spec.governance import Allowlist, MaturityModel, OKRSet, Organisation, Policy
from .spec.usecase import UseCase

SCHEMA_DIR = "schemas"
SCHEMA_FILES: dict[str, type[BaseModel]] = {
    "usecase.schema.json": UseCase,
    "organisation.schema.json": Organisation,
    "maturity.schema.json": MaturityModel,
    "okrs.schema.json": OKRSet,
    "policy.schema.json": Policy,
    "allowlist.schema.json": Allowlist,
    # persisted artifacts and JSON outputs
    "evidence-record.schema.json": EvidenceRecord,
    "ledger-entry.schema.json": LedgerEntry,
    "ledger-run.schema.json": RunEntry,
    "gate-decision.schema.json": DecisionRecord,
    "show.schema.json": ShowReport,
    "diff.schema.json": DiffReport,
    "verify.schema.json": VerifyReport,
}


def schema_for(model: type[BaseModel], filename: str) -> dict[str, Any]:
    schema = json_schema(model, by_alias=True, mode="validation")
    if issubclass(model, Versioned):
        # the version this Charter writes; readers accept MIN_SCHEMA_VERSION..SCHEMA_VERSION
        schema["properties"]["schema_version"]["const"] = model.SCHEMA_VERSION
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://charter.dev/schemas/v1/{filename}",
        **schema,
    }


def render_schemas() -> dict[str, str]:
    """filename → JSON text (stable: sorted keys, trailing newline)."""
    return {name: json.dumps(schema_for(model, name), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
            for name, model in SCHEMA_FILES.items()}
