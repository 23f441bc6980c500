"""Walk the spec models along a key path: which keys are allowed where."""

from __future__ import annotations

import types
import typing
from collections.abc import Sequence
from typing import Any, Union, cast

from pydantic import BaseModel


def _unwrap(tp: Any) -> list[Any]:
    """The concrete alternatives inside Optional / Union / Annotated."""
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(tp)[0])
    if origin in (Union, types.UnionType):
        out: list[Any] = []
        for arg in typing.get_args(tp):
            out.extend(_unwrap(arg))
        return out
    return [tp]


def _field_by_key(model: type[BaseModel], key: str) -> Any | None:
    for name, f in model.model_fields.items():
        if key in (f.alias, name):
            return f.annotation
    return None


def _pick_model(alternatives: list[Any], data: Any) -> type[BaseModel] | None:
    models = [a for a in alternatives if isinstance(a, type) and issubclass(a, BaseModel)]
    if len(models) <= 1:
        return models[0] if models else None
    if isinstance(data, dict):  # discriminated union: match on kind / runner literal
        for m in models:
            for disc in ("kind", "runner"):
                f = m.model_fields.get(disc)
                if f is not None and data.get(disc) in typing.get_args(f.annotation):
                    return m
    return None


def model_at(root: type[BaseModel], data: Any, loc: Sequence[str | int]) -> type[BaseModel] | None:
    """The model class validating the mapping at loc (None when not a model)."""
    current: Any = root
    node = data
    for seg in loc:
        alternatives = _unwrap(current)
        model = _pick_model(alternatives, node)
        if model is not None and isinstance(seg, str):
            current = _field_by_key(model, seg)
            if current is None:
                return None
        else:
            container = next((a for a in alternatives if typing.get_origin(a) in (list, dict)), None)
            if container is None:
                return None
            current = typing.get_args(container)[-1]
        # _has checks that seg indexes node (an int for a list)
        node = cast(Any, node)[seg] if isinstance(node, (dict, list)) and _has(node, seg) else None
    return _pick_model(_unwrap(current), node)


def _has(node: Any, seg: str | int) -> bool:
    if isinstance(node, dict):
        return seg in node
    return isinstance(seg, int) and 0 <= seg < len(node)


def allowed_keys(model: type[BaseModel]) -> list[str]:
    return [f.alias or name for name, f in model.model_fields.items()]
