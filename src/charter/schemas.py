"""JSON Schemas for editors, generated from the spec models (the single source)."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel

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
}


def schema_for(model: type[BaseModel], filename: str) -> dict[str, Any]:
    schema = model.model_json_schema(by_alias=True, mode="validation")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://charter.dev/schemas/v1/{filename}",
        **schema,
    }


def render_schemas() -> dict[str, str]:
    """filename → JSON text (stable: sorted keys, trailing newline)."""
    return {name: json.dumps(schema_for(model, name), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
            for name, model in SCHEMA_FILES.items()}
