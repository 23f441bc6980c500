"""The spec reference, generated from the models' JSON Schemas (field docstrings).

Walks ``model_json_schema(by_alias=True)`` of every document kind and lists each
object type once: its keys, their types (linking to other types), whether they
are required, defaults and constraints, and the description written beside the
field in the source. The text comes from Charter's own code, not from a spec.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from ..spec.docs import json_schema

DOCUMENTS = ("UseCase", "Organisation", "MaturityModel", "OKRs", "Policy", "Allowlist")


def _models() -> dict[str, Any]:
    from ..spec.governance import GOVERNANCE_KINDS
    from ..spec.usecase import UseCase

    return {"UseCase": UseCase, **GOVERNANCE_KINDS}


def anchor(name: str) -> str:
    return "def-" + name.lower()


def _ref_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def type_text(s: dict[str, Any]) -> str:
    """A compact Markdown type: `string`, list of [Link](#def-link), `a` | `b`..."""
    if "$ref" in s:
        name = _ref_name(s["$ref"])
        return f"[{name}](#{anchor(name)})"
    if "const" in s:
        return f"`{json.dumps(s['const'])}`"
    if "enum" in s:
        return " | ".join(f"`{json.dumps(v)}`" for v in s["enum"])
    for key in ("anyOf", "oneOf"):
        if key in s:
            alts = [a for a in s[key] if a.get("type") != "null"]
            text = " or ".join(dict.fromkeys(type_text(a) for a in alts))
            return text + (" or null" if len(alts) < len(s[key]) else "")
    t = s.get("type")
    if t == "array":
        return "list of " + type_text(s.get("items", {}))
    if t == "object":
        if "patternProperties" in s:
            inner = next(iter(s["patternProperties"].values()))
            return "map of id → " + type_text(inner)
        if isinstance(s.get("additionalProperties"), dict):
            return "map of name → " + type_text(s["additionalProperties"])
        return "mapping"
    if t == "string" and s.get("format") == "date":
        return "date (YYYY-MM-DD)"
    if isinstance(t, str):
        return f"`{t}`"
    return "any"


def _constraints(s: dict[str, Any]) -> list[str]:
    out = []
    for key, label in (("minimum", "≥"), ("exclusiveMinimum", ">"), ("maximum", "≤"), ("exclusiveMaximum", "<")):
        if key in s:
            out.append(f"{label} {s[key]}")
    if "minItems" in s and s["minItems"] > 0:
        out.append(f"at least {s['minItems']} item(s)")
    if "minProperties" in s and s["minProperties"] > 0:
        out.append(f"at least {s['minProperties']} entry")
    if "pattern" in s:
        out.append(f"pattern `{s['pattern']}`")
    if "default" in s and s["default"] not in (None, [], {}):
        out.append(f"default `{json.dumps(s['default'])}`")
    for alt in s.get("anyOf", []):
        if alt.get("type") != "null":
            out.extend(c for c in _constraints(alt) if not c.startswith("default"))
    return list(dict.fromkeys(out))


def _object(name: str, s: dict[str, Any]) -> dict[str, Any]:
    required = set(s.get("required", []))
    fields = []
    for key, prop in s.get("properties", {}).items():
        fields.append({"key": key, "type": type_text(prop), "required": key in required,
                       "description": " ".join((prop.get("description") or "").split()),
                       "constraints": _constraints(prop)})
    return {"name": name, "anchor": anchor(name), "description": " ".join((s.get("description") or "").split()),
            "fields": fields, "enum": s.get("enum")}


@lru_cache(maxsize=1)
def reference_context() -> dict[str, Any]:
    models = _models()
    defs: dict[str, dict[str, Any]] = {}
    documents = []
    for kind in DOCUMENTS:
        model = models[kind]
        schema = json_schema(model, by_alias=True)
        for name, d in schema.get("$defs", {}).items():
            defs.setdefault(name, d)
        doc = _object(kind, schema)
        doc["title"] = model.__name__
        documents.append(doc)
    types = [_object(name, d) for name, d in sorted(defs.items()) if name not in DOCUMENTS]
    return {"documents": documents, "types": types}


# --- examples -----------------------------------------------------------------------

EXAMPLES = ("loan-default", "ticket-routing", "claims-queue", "drafting-assistant")
"""The example use cases under ``charter/site/examples/usecases`` (each validated by the tests
in a fresh ``charter init`` repository), in the order their sections are taken from."""


def example_files() -> dict[str, str]:
    """Example id → its spec's text."""
    from importlib.resources import files

    base = files("charter").joinpath("site/examples/usecases")
    return {uc: base.joinpath(uc, "usecase.yaml").read_text(encoding="utf-8") for uc in EXAMPLES}


def _top_level(text: str) -> list[tuple[str, str]]:
    """(key, text) of each top-level key of a YAML document, comments and blank lines dropped."""
    out: list[tuple[str, list[str]]] = []
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        if not line[0].isspace():
            out.append((line.split(":", 1)[0], [line]))
        elif out:
            out[-1][1].append(line)
    return [(key, "\n".join(lines)) for key, lines in out]


def _jobs(block: str) -> list[tuple[str, str]]:
    """(runner, text) of each job of a ``jobs:`` block."""
    items: list[list[str]] = []
    for line in block.splitlines()[1:]:
        if line.startswith("  - "):
            items.append([line])
        elif items:
            items[-1].append(line)
    out = []
    for lines in items:
        runner = next(ln.split(":", 1)[1].strip() for ln in lines if ln.strip().startswith("runner:"))
        out.append((runner, "jobs:\n" + "\n".join(lines)))
    return out


@lru_cache(maxsize=1)
def examples_context() -> dict[str, Any]:
    """The examples the reference page shows: one YAML block per use-case section and per runner kind.

    Sections come from the first example that has them; consecutive one-line keys
    (``apiVersion``, ``id``, ``stage``…) share a block. Every block is text cut from a
    spec the tests validate, never written separately.
    """
    from ..kinds import runners

    seen: dict[str, tuple[str, str]] = {}
    kinds: dict[str, tuple[str, str]] = {}
    for uc, text in example_files().items():
        for key, block in _top_level(text):
            seen.setdefault(key, (uc, block))
            if key == "jobs":
                for runner, job in _jobs(block):
                    kinds.setdefault(runner, (uc, job))
    order = list(models_order())
    sections: list[dict[str, Any]] = []
    for key in sorted(seen, key=lambda k: order.index(k) if k in order else len(order)):
        if key == "jobs":
            continue
        uc, block = seen[key]
        last = sections[-1] if sections else None
        if last is not None and "\n" not in block and last["oneline"] and last["from"] == uc:
            last["keys"].append(key)
            last["yaml"] += "\n" + block
            continue
        sections.append({"keys": [key], "yaml": block, "from": uc, "oneline": "\n" not in block})
    jobs = [{"kind": k.name, "yaml": kinds[k.name][1], "from": kinds[k.name][0]}
            for k in runners.all_kinds() if k.name in kinds]
    okrs = "\n".join(ln for ln in example_okrs().splitlines() if ln.strip() and not ln.startswith("#"))
    return {"sections": sections, "jobs": jobs, "okrs": okrs}


def example_okrs() -> str:
    """The OKR set the examples' ``okrs`` refer to."""
    from importlib.resources import files

    return files("charter").joinpath("site/examples/governance/okrs.yaml").read_text(encoding="utf-8")


def models_order() -> list[str]:
    """The use case's top-level keys in the order of its model (from the reference's schema walk)."""
    use_case = next(d for d in reference_context()["documents"] if d["name"] == "UseCase")
    return [f["key"] for f in use_case["fields"]]
