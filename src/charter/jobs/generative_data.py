"""Eval sets, recorded outputs and ratings of generative jobs: JSONL files with a contract.

Every problem is reported with the file and line number, and a file is read
completely before anything is computed, so a bad line never yields a partial
result.

Eval set line: ``{"id", "input", "context"?, "references"?, "slices"?, "groups"?,
"format"?, "category"?}``. Outputs line: ``{"id", "output", "latencyMs",
"inputTokens", "outputTokens", "model", "promptVersion", "error"?}``. Ratings
line: ``{"id", "reviewer", "rating"}``.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .base import JobContext, JobError


@dataclass(frozen=True)
class EvalItem:
    id: str
    input: str
    context: str | None
    references: tuple[str, ...]
    slices: dict[str, str] = field(default_factory=dict)
    groups: dict[str, str] = field(default_factory=dict)
    format: str | None = None
    category: str | None = None


@dataclass(frozen=True)
class Output:
    id: str
    output: str
    latency_ms: float
    input_tokens: int
    output_tokens: int
    model: str
    prompt_version: str
    error: str | None = None


@dataclass(frozen=True)
class Rating:
    id: str
    reviewer: str
    rating: int


def _lines(path: Path, label: str) -> list[tuple[int, dict[str, Any]]]:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise JobError(f"{label} line {line}: not UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start})") from None
    out = []
    for no, line_text in enumerate(text.split("\n"), start=1):
        if not line_text.strip():
            continue
        try:
            value = json.loads(line_text)
        except ValueError as exc:
            raise JobError(f"{label} line {no}: not valid JSON ({exc})") from None
        if not isinstance(value, dict):
            raise JobError(f"{label} line {no}: expected a JSON object, found {type(value).__name__}")
        out.append((no, value))
    if not out:
        raise JobError(f"{label}: the file holds no lines")
    return out


def _text(obj: dict[str, Any], key: str, where: str, *, required: bool, empty_ok: bool = False) -> str | None:
    value = obj.get(key)
    if value is None:
        if required:
            raise JobError(f"{where}: missing field '{key}'")
        return None
    if not isinstance(value, str):
        raise JobError(f"{where}: '{key}' must be a string, found {type(value).__name__}")
    if not empty_ok and not value.strip():
        raise JobError(f"{where}: '{key}' is empty")
    return value


def _labels(obj: dict[str, Any], key: str, where: str) -> dict[str, str]:
    value = obj.get(key, {})
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise JobError(f"{where}: '{key}' must be an object of text values")
    return dict(value)


def _unknown(obj: dict[str, Any], allowed: set[str], where: str) -> None:
    extra = sorted(set(obj) - allowed)
    if extra:
        raise JobError(f"{where}: unknown field(s) {', '.join(repr(e) for e in extra)} "
                       f"(allowed: {', '.join(sorted(allowed))})")


_ITEM_FIELDS = {"id", "input", "context", "references", "slices", "groups", "format", "category"}
_OUTPUT_FIELDS = {"id", "output", "latencyMs", "inputTokens", "outputTokens", "model", "promptVersion", "error"}


def parse_eval_set(path: Path, label: str) -> list[EvalItem]:
    items: list[EvalItem] = []
    seen: dict[str, int] = {}
    for no, obj in _lines(path, label):
        where = f"{label} line {no}"
        _unknown(obj, _ITEM_FIELDS, where)
        item_id = _text(obj, "id", where, required=True)
        assert item_id is not None
        if item_id in seen:
            raise JobError(f"{where}: duplicate id '{item_id}' (first on line {seen[item_id]})")
        seen[item_id] = no
        refs = obj.get("references", [])
        if not isinstance(refs, list) or not all(isinstance(r, str) and r.strip() for r in refs):
            raise JobError(f"{where}: 'references' must be a list of non-empty strings")
        fmt = _text(obj, "format", where, required=False)
        if fmt not in (None, "json", "text"):
            raise JobError(f"{where}: 'format' must be 'json' or 'text', found '{fmt}'")
        items.append(EvalItem(
            id=item_id, input=_text(obj, "input", where, required=True) or "",
            context=_text(obj, "context", where, required=False), references=tuple(refs),
            slices=_labels(obj, "slices", where), groups=_labels(obj, "groups", where), format=fmt,
            category=_text(obj, "category", where, required=False)))
    return items


def _number(obj: dict[str, Any], key: str, where: str, *, integer: bool) -> float:
    value = obj.get(key)
    if value is None:
        raise JobError(f"{where}: missing field '{key}'")
    if isinstance(value, bool) or not isinstance(value, int | float) or (integer and not isinstance(value, int)):
        raise JobError(f"{where}: '{key}' must be {'an integer' if integer else 'a number'}, found {value!r}")
    if not math.isfinite(value) or value < 0:
        raise JobError(f"{where}: '{key}' must be a finite number ≥ 0, found {value!r}")
    return float(value)


def parse_outputs(path: Path, label: str, known: dict[str, str]) -> dict[str, Output]:
    """Outputs by item id; ``known`` maps every eval item id to the eval set it belongs to."""
    out: dict[str, Output] = {}
    lines: dict[str, int] = {}
    for no, obj in _lines(path, label):
        where = f"{label} line {no}"
        _unknown(obj, _OUTPUT_FIELDS, where)
        item_id = _text(obj, "id", where, required=True)
        assert item_id is not None
        if item_id not in known:
            raise JobError(f"{where}: output for id '{item_id}', which is in no eval set of the job")
        if item_id in lines:
            raise JobError(f"{where}: duplicate output for id '{item_id}' (first on line {lines[item_id]})")
        lines[item_id] = no
        error = _text(obj, "error", where, required=False)
        text = _text(obj, "output", where, required=error is None, empty_ok=True)
        if error is None and (text is None or not text.strip()):
            raise JobError(f"{where}: empty output for id '{item_id}' (record a failed call with 'error')")
        out[item_id] = Output(
            id=item_id, output=text or "", latency_ms=_number(obj, "latencyMs", where, integer=False),
            input_tokens=int(_number(obj, "inputTokens", where, integer=True)),
            output_tokens=int(_number(obj, "outputTokens", where, integer=True)),
            model=_text(obj, "model", where, required=True) or "",
            prompt_version=_text(obj, "promptVersion", where, required=True) or "", error=error)
    missing = [i for i in known if i not in out]
    if missing:
        raise JobError(f"{label}: no output for {len(missing)} eval item(s) (for example '{missing[0]}' "
                       f"of {known[missing[0]]})")
    return out


def parse_ratings(path: Path, label: str, scale: list[int]) -> list[tuple[int, Rating]]:
    out: list[tuple[int, Rating]] = []
    seen: dict[tuple[str, str], int] = {}
    for no, obj in _lines(path, label):
        where = f"{label} line {no}"
        _unknown(obj, {"id", "reviewer", "rating"}, where)
        item_id = _text(obj, "id", where, required=True) or ""
        reviewer = _text(obj, "reviewer", where, required=True) or ""
        rating = obj.get("rating")
        if isinstance(rating, bool) or not isinstance(rating, int) or rating not in scale:
            raise JobError(f"{where}: 'rating' must be one of {scale}, found {rating!r}")
        key = (item_id, reviewer)
        if key in seen:
            raise JobError(f"{where}: reviewer '{reviewer}' rated '{item_id}' twice (first on line {seen[key]})")
        seen[key] = no
        out.append((no, Rating(item_id, reviewer, rating)))
    return out


def load_eval_set(ctx: JobContext, data_id: str) -> list[EvalItem]:
    src = ctx.source(data_id)
    return parse_eval_set(ctx.data_path(data_id), f"'{src.path}'")


def load_outputs(ctx: JobContext, data_id: str, known: dict[str, str], system: Any) -> dict[str, Output]:
    src = ctx.source(data_id)
    label = f"'{src.path}'"
    outputs = parse_outputs(ctx.data_path(data_id), label, known)
    for o in outputs.values():
        if o.model != system.model or o.prompt_version != system.prompt_version:
            raise JobError(f"{label}: output '{o.id}' was produced by model '{o.model}' with prompt "
                           f"'{o.prompt_version}', but the job declares model '{system.model}' with prompt "
                           f"'{system.prompt_version}'")
    return outputs


def review_strata(item: EvalItem, keys: list[str]) -> str:
    return "|".join(f"{k}={item.slices.get(k, '')}" for k in keys)


def review_sample(items: list[EvalItem], size: int, strata: list[str], seed: int) -> list[str]:
    """The ids of the review sample a job with this setting expects (sorted)."""
    from ..metrics.generative import stratified_sample

    return stratified_sample([i.id for i in items], [review_strata(i, strata) for i in items], size, seed)
