"""Field descriptions come from the docstrings beside the fields, read on demand (not at import)."""

from __future__ import annotations

import json
import subprocess
import sys

from charter.schemas import render_schemas
from charter.spec.docs import field_description, field_docs, json_schema
from charter.spec.governance import Policy, ReproductionPolicy
from charter.spec.usecase import UseCase


def test_docstrings_become_descriptions_in_the_json_schema() -> None:
    schema = json_schema(Policy)
    repro = schema["$defs"]["ReproductionPolicy"]["properties"]
    assert repro["packageStaleness"]["description"].startswith("Which change of a package")
    assert schema["properties"]["stages"]["description"].startswith("Ordered life cycle")
    assert field_description(ReproductionPolicy, "package_staleness_for") == \
        "Per-package exceptions, by distribution name (e.g. `transformers: patch`)."


def test_every_documented_field_of_a_use_case_has_a_description() -> None:
    schema = json.loads(render_schemas()["usecase.schema.json"])
    documented = field_docs(UseCase)
    assert documented  # the model documents its fields
    for name, field in UseCase.model_fields.items():
        if name in documented:
            assert schema["properties"][field.alias or name].get("description"), name


def test_models_are_built_without_parsing_their_source() -> None:
    """Reading every model's source at import cost a third of a cached `charter run`."""
    code = ("import inspect, charter.spec.usecase, charter.spec.governance, charter.artifacts.record, "
            "charter.artifacts.decision, charter.artifacts.show;"
            "import charter.spec.docs as d; print(d._own_docs.cache_info().currsize)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "0"
    probe = ("import pydantic._internal._fields as x; calls = []; "
             "orig = x.extract_docstrings_from_cls; "
             "x.extract_docstrings_from_cls = lambda *a, **k: calls.append(1) or orig(*a, **k); "
             "import charter.spec.usecase, charter.spec.governance, charter.artifacts.record; print(len(calls))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "0"
