"""Field descriptions from the docstrings written beside model fields, read only when asked for.

Every model documents its fields with a string literal under the field. Pydantic can
read those at class creation (``use_attribute_docstrings``), but that parses the
source of every model on every start of every command (a third of a cached
``charter run``). Only ``charter schema``, the spec reference page and a few error
hints need them, so they are read here, on first use, and cached per class.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
import types
import typing
from functools import cache
from typing import Any

from pydantic import BaseModel


@cache
def _own_docs(cls: type) -> dict[str, str]:
    try:
        source = textwrap.dedent(inspect.getsource(cls))
        tree = ast.parse(source)
    except (OSError, TypeError, SyntaxError):
        return {}
    body = tree.body[0].body if tree.body and isinstance(tree.body[0], ast.ClassDef) else []
    out: dict[str, str] = {}
    for prev, node in zip(body, body[1:]):
        if (isinstance(prev, ast.AnnAssign) and isinstance(prev.target, ast.Name)
                and isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
                and isinstance(node.value.value, str)):
            out[prev.target.id] = inspect.cleandoc(node.value.value)
    return out


def field_docs(cls: type[BaseModel]) -> dict[str, str]:
    """Field name → its docstring, inherited ones included (the nearest class wins)."""
    out: dict[str, str] = {}
    for klass in reversed(cls.__mro__):
        if isinstance(klass, type) and issubclass(klass, BaseModel) and klass is not BaseModel:
            out.update(_own_docs(klass))
    return out


def field_description(cls: type[BaseModel], name: str) -> str | None:
    """A field's description: ``Field(description=...)`` if given, else its docstring."""
    field = cls.model_fields.get(name)
    if field is not None and field.description:
        return field.description
    return field_docs(cls).get(name)


def _models_in(annotation: Any, seen: set[type[BaseModel]]) -> None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if annotation not in seen:
            seen.add(annotation)
            for f in annotation.model_fields.values():
                _models_in(f.annotation, seen)
        return
    origin = typing.get_origin(annotation)
    if origin is not None or isinstance(annotation, types.UnionType):
        for arg in typing.get_args(annotation):
            _models_in(arg, seen)


def _fill(node: dict[str, Any], cls: type[BaseModel], by_alias: bool) -> None:
    props = node.get("properties")
    if not isinstance(props, dict):
        return
    docs = field_docs(cls)
    for name, field in cls.model_fields.items():
        key = (field.validation_alias if isinstance(field.validation_alias, str) else field.alias or name) \
            if by_alias else name
        prop = props.get(key)
        doc = field.description or docs.get(name)
        if isinstance(prop, dict) and doc and "description" not in prop:
            prop["description"] = doc


def json_schema(model: type[BaseModel], *, by_alias: bool = True, mode: str = "validation") -> dict[str, Any]:
    """``model.model_json_schema`` with every field's docstring as its description."""
    schema = model.model_json_schema(by_alias=by_alias, mode=mode)  # type: ignore[arg-type]
    classes: set[type[BaseModel]] = set()
    _models_in(model, classes)
    by_title: dict[str, type[BaseModel]] = {}
    for cls in classes:
        by_title.setdefault(cls.__name__, cls)
    _fill(schema, model, by_alias)
    for name, node in (schema.get("$defs") or {}).items():
        found = by_title.get(node.get("title", name)) or by_title.get(name)
        if found is not None:
            _fill(node, found, by_alias)
    return schema


__all__ = ["field_description", "field_docs", "json_schema"]
