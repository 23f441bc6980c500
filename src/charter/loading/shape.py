"""Phase 1: shape. Pydantic errors → diagnostics with positions, codes and hints."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

import yaml
from pydantic import BaseModel, ValidationError

from ..diagnostics import Diagnostic, did_you_mean, known_list
from ..spec.introspect import allowed_keys, model_at
from . import yaml12
from .positions import clean_loc, key_path, locate

if TYPE_CHECKING:
    from pydantic_core import ErrorDetails

_TYPE_NAMES = {
    "float_type": "a number",
    "int_type": "an integer",
    "int_from_float": "an integer",
    "string_type": "text",
    "bool_type": "a boolean (true or false)",
    "list_type": "a list",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "date_type": "a date (YYYY-MM-DD)",
    "none_required": "null",
}


def describe(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f"'{value}'" if len(value) <= 60 else f"'{value[:57]}...'"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return repr(value)


MAX_SUGGESTIONS = 200
"""'Did you mean' hints per file: fuzzy matching costs, and past a few hundred unknown
keys the file is generated, not misspelt (text output shows 50 per code anyway)."""


class ShapeContext:
    """Lazily composes the node tree: only files with problems pay for positions."""

    def __init__(self, rel: str, text: str, data: Any) -> None:
        self.rel, self.text, self.data = rel, text, data
        self._root: yaml.Node | None = None
        self._composed = False
        self._index: dict[int, dict[str, tuple[yaml.Node, yaml.Node]]] = {}  # for locate(), per tree
        self.suggestions_left = MAX_SUGGESTIONS

    @property
    def root(self) -> yaml.Node | None:
        if not self._composed:
            self._composed = True
            try:
                self._root = yaml12.compose_nodes(self.text)
            except yaml12.YamlProblem:
                self._root = None
        return self._root

    def diag(self, code: str, loc: list[str | int], message: str, hint: str | None = None, *,
             at_key: bool = False, severity: str = "error") -> Diagnostic:
        span = locate(self.root, loc, at_key=at_key, index=self._index)
        line, col, width = span if span else (None, None, None)
        return Diagnostic(
            file=self.rel, line=line, column=col, code=code, message=message,
            path=key_path(self.data, loc), hint=hint, severity=severity,  # type: ignore[arg-type]
            end_column=(col + width) if col and width else None,
        )


def validate_shape(model: type[BaseModel], ctx: ShapeContext) -> tuple[BaseModel | None, list[Diagnostic]]:
    try:
        return model.model_validate(ctx.data), []
    except ValidationError as exc:
        errors = _dedupe(exc.errors(include_url=False))
        diags = [_to_diag(model, ctx, err) for err in errors]
        return None, _drop_echoes(diags)


def _drop_echoes(diags: list[Diagnostic]) -> list[Diagnostic]:
    """A misspelled key yields 'unknown key X' and 'missing key Y'; say it once."""
    misspelt = {(d.file, d.line, d.hint.split("'")[1]) for d in diags
                if d.code == "CH010" and d.hint and d.hint.startswith("did you mean")}
    return [d for d in diags
            if not (d.code == "CH011" and (d.file, d.line, d.message.split("'")[1]) in misspelt)]


def _dedupe(errors: list[ErrorDetails]) -> list[ErrorDetails]:
    # A union field reports one error per alternative; keep the first per location.
    seen: set[tuple] = set()
    out = []
    for e in errors:
        key = tuple(s for s in e["loc"] if not (isinstance(s, str) and ("[" in s or s in {"str", "list", "int", "float", "bool", "none"})))
        if key in seen:
            continue
        seen.add(key)
        out.append(e)
    return out


def _to_diag(model: type[BaseModel], ctx: ShapeContext, err: ErrorDetails) -> Diagnostic:
    etype, raw_loc, value = err["type"], err["loc"], err.get("input")
    loc, exists = clean_loc(ctx.data, raw_loc)
    if etype == "extra_forbidden":
        parent = model_at(model, ctx.data, loc[:-1])
        key = str(loc[-1])
        names = allowed_keys(parent) if parent else []
        ctx.suggestions_left -= 1
        hint = did_you_mean(key, names) if ctx.suggestions_left >= 0 else None
        hint = hint or (f"allowed keys here: {known_list(names)}" if names else None)
        if parent is not None and "meta" in names:
            hint = (hint + "; " if hint else "") + "put free-form data under 'meta'"
        shown = key if len(key) <= 60 else key[:57] + "..."
        return ctx.diag("CH010", loc, f"unknown key '{shown}'", hint, at_key=True)
    if etype == "missing":
        key = str(loc[-1])
        return ctx.diag("CH011", loc[:-1], f"missing required key '{key}'",
                        _missing_hint(model, ctx.data, loc))
    if etype in ("union_tag_invalid", "union_tag_not_found"):
        ctxd = err.get("ctx", {})
        disc = str(ctxd.get("discriminator", "kind")).strip("'")
        tags = [t.strip().strip("'") for t in str(ctxd.get("expected_tags", "")).split(",") if t.strip()]
        if etype == "union_tag_not_found":
            return ctx.diag("CH011", loc, f"missing required key '{disc}'",
                            f"'{disc}' is one of: {', '.join(tags)}" if tags else None)
        found = ctxd.get("tag")
        return ctx.diag("CH013", loc + [disc], f"{disc}: expected one of {', '.join(tags)}, got '{found}'",
                        did_you_mean(str(found), tags))
    if etype == "literal_error":
        expected = str(err.get("ctx", {}).get("expected", ""))
        choices = [c.strip().strip("'") for c in expected.replace(" or ", ",").split(",") if c.strip()]
        hint = did_you_mean(str(value), choices) if isinstance(value, str) else None
        return ctx.diag("CH013", loc, f"expected {expected}, got {describe(value)}", hint)
    if etype == "enum":
        expected = str(err.get("ctx", {}).get("expected", ""))
        choices = [c.strip().strip("'") for c in expected.replace(" or ", ",").split(",") if c.strip()]
        return ctx.diag("CH013", loc, f"expected {expected}, got {describe(value)}",
                        did_you_mean(str(value), choices) if isinstance(value, str) else None)
    if etype in _TYPE_NAMES:
        expected = _TYPE_NAMES[etype]
        hint = None
        if etype in ("float_type", "int_type") and isinstance(value, str):
            hint = _number_hint(ctx.data, loc, value)
        elif etype == "string_type" and isinstance(value, (int, float)) and not isinstance(value, bool):
            hint = "YAML read this as a number; quote it to keep it as text"
        elif etype == "bool_type" and isinstance(value, str):
            hint = "YAML 1.2 booleans are only true and false (not yes/no/on/off)"
        elif etype in ("list_type",) and isinstance(value, str):
            hint = f"write a list: [{value}]"
        return ctx.diag("CH012", loc, f"expected {expected}, got {describe(value)}", hint)
    if etype == "string_pattern_mismatch":
        pattern = err.get("ctx", {}).get("pattern", "")
        hint = _pattern_hint(pattern)
        return ctx.diag("CH013", loc, f"{describe(value)} does not have the expected form", hint)
    if etype in ("greater_than", "greater_than_equal", "less_than", "less_than_equal",
                 "too_short", "too_long", "string_too_short", "string_too_long"):
        return ctx.diag("CH013", loc, f"{err['msg'].lower()}, got {describe(value)}")
    if etype == "value_error" or etype == "assertion_error":
        msg = err["msg"].removeprefix("Value error, ")
        return ctx.diag("CH013", loc, msg)
    return ctx.diag("CH013", loc, f"{err['msg']}, got {describe(value)}")


def _number_hint(data: Any, loc: list[str | int], value: str) -> str | None:
    try:
        float(value)
        return "write numbers without quotes"
    except ValueError:
        pass
    from ..metrics.catalog import lookup

    parent: Any = data
    for seg in loc[:-1]:
        parent = cast(Any, parent)[seg] if isinstance(parent, (dict, list)) else None
    if isinstance(parent, dict):
        name = parent.get("metric") or parent.get("primaryMetric")
        info = lookup(name) if isinstance(name, str) else None
        if info is not None:
            return f"thresholds are numbers in {info.range_text()} for this metric ({name})"
    return None


def _missing_hint(model: type[BaseModel], data: Any, loc: list[str | int]) -> str | None:
    parent = model_at(model, data, loc[:-1])
    if parent is None:
        return None
    from ..spec.docs import field_description

    for name, f in parent.model_fields.items():
        if (f.alias or name) == loc[-1] and (doc := field_description(parent, name)):
            return doc.splitlines()[0]
    return None


def _pattern_hint(pattern: str) -> str | None:
    if "a-z0-9" in pattern:
        return "ids are lower-case letters, digits, '.', '_' or '-', starting with a letter or digit"
    if "0-9a-f" in pattern:
        return "a sha256 is 64 lower-case hex digits (run: sha256sum FILE)"
    if "https?" in pattern:
        return "links must start with http://, https:// or mailto:"
    if "Q[1-4]" in pattern:
        return "write the quarter as YYYY-QN, for example 2026-Q4"
    return None


# --- salvage: what a file with shape errors still says, for cross-checks ---------------------

_SALVAGE_ROUNDS = 4


def salvage_shape(model: type[BaseModel], data: Any) -> tuple[BaseModel | None, set[str]]:
    """The model of a file with shape errors, without the parts the errors are in, and the ids of list items
    it had to drop; ``(None, set())`` when an error is outside every list item (nothing trustworthy remains).

    The file's own diagnostics come from :func:`validate_shape`; this only keeps one bad item from taking the
    rest of the file out of cross-checks (a typo on one person must not make every reference to every other
    person unknown). Unknown keys are removed first (they add nothing); an item still in error is then dropped,
    the innermost list item first, then the outermost. The result is for cross-checks only, never for judging.
    """
    import copy

    work = copy.deepcopy(data)
    dropped: set[str] = set()
    for round_ in range(_SALVAGE_ROUNDS):
        try:
            return model.model_validate(work), dropped
        except ValidationError as exc:
            errors = exc.errors(include_url=False)
        doomed: dict[tuple[str | int, ...], None] = {}
        for err in errors:
            loc, exists = clean_loc(work, list(err["loc"]))
            if round_ == 0 and exists and loc and isinstance(loc[-1], str):
                doomed[tuple(loc)] = None  # the key in error (unknown, or a bad value) alone first
                continue
            items = [k for k, seg in enumerate(loc) if isinstance(seg, int)]
            if not items:
                return None, set()
            k = items[-1] if round_ < _SALVAGE_ROUNDS - 1 else items[0]
            doomed[tuple(loc[: k + 1])] = None
        # delete the deepest paths first, and list items from the end, so the remaining paths stay valid
        for path in sorted(doomed, key=lambda p: (len(p), p[-1] if isinstance(p[-1], int) else -1), reverse=True):
            parent: Any = work
            for seg in path[:-1]:
                parent = parent[seg]
            last = path[-1]
            if isinstance(parent, list) and isinstance(last, int) and last < len(parent):
                item = parent.pop(last)
                if isinstance(item, dict) and isinstance(item.get("id"), str):
                    dropped.add(item["id"])
            elif isinstance(parent, dict) and last in parent:
                del parent[last]
    try:
        return model.model_validate(work), dropped
    except ValidationError:
        return None, set()
