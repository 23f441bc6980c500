"""Editing a spec in place: ruamel.yaml's round-trip mode keeps comments, key order, quoting
and indentation as they were, and the result is parsed again with Charter's own loader
before it replaces the file (atomically, keeping its permissions).

Used by ``charter approve``; the CLI only parses arguments and prints.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from .errors import EditError


def guess_indent(text: str) -> tuple[int, int]:
    """(mapping indent, sequence dash offset) as the file writes them (defaults: 2, 0)."""
    mapping = offset = None
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    for line, nxt in zip(lines, lines[1:], strict=False):
        stripped = line.rstrip()
        if not stripped.endswith(":") or stripped.lstrip().startswith("- "):
            continue
        here = len(line) - len(line.lstrip())
        there = len(nxt) - len(nxt.lstrip())
        if nxt.lstrip().startswith("- "):
            offset = there - here if offset is None and there >= here else offset
        elif there > here and mapping is None:
            mapping = there - here
        if mapping is not None and offset is not None:
            break
    return mapping or 2, offset or 0


def _move_trailing_comment(prev: Any, new: Any) -> None:
    """Full-line comments after the last item belong before the next key: keep them after the new item."""
    from ruamel.yaml.error import CommentMark
    from ruamel.yaml.tokens import CommentToken

    if not hasattr(prev, "ca") or not prev:
        return
    last = list(prev.keys())[-1]
    slot = prev.ca.items.get(last)
    token = slot[2] if slot and len(slot) > 2 else None
    if token is None or "\n" not in token.value:
        return
    from ruamel.yaml.scalarstring import LiteralScalarString

    if isinstance(prev[last], LiteralScalarString):  # a literal block ended its line: all of it is full lines
        eol, rest = "", token.value
    else:
        eol, _, rest = token.value.partition("\n")
    if not rest:
        return
    if eol.strip():
        token.value = eol + "\n"
    else:
        slot[2] = None
    new_last = list(new.keys())[-1]
    # a literal block (a signature) already ends its line; a plain value needs the line break first
    lead = "" if isinstance(new[new_last], LiteralScalarString) else "\n"
    new.ca.items[new_last] = [None, None, CommentToken(lead + rest, CommentMark(0), None), None]


def append_approval(text: str, entry: dict[str, Any], *, remove: list[int] | tuple[int, ...] = ()) -> str:
    """The spec text with ``entry`` appended to ``approvals`` (created before ``meta`` when absent), after
    removing the approvals at the indexes ``remove`` (earlier approvals the new one replaces).

    ``None`` values are left out; a multi-line value (a signature) is written as a literal block.
    Raises EditError when ``approvals`` is not a list."""
    from ruamel.yaml.scalarstring import LiteralScalarString

    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    mapping, offset = guess_indent(text)
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096
    yaml.indent(mapping=mapping, sequence=offset + 2, offset=offset)
    doc = yaml.load(text)
    item = CommentedMap()
    for key, value in entry.items():
        if value is not None:
            item[key] = LiteralScalarString(value) if isinstance(value, str) and "\n" in value else value
    approvals = doc.get("approvals")
    if approvals is None:
        approvals = CommentedSeq()
        keys = list(doc.keys())
        position = keys.index("meta") if "meta" in keys else len(keys)
        doc.insert(position, "approvals", approvals)
    elif not isinstance(approvals, list):
        raise EditError("'approvals' in the spec is not a list")
    if isinstance(approvals, CommentedSeq) and approvals.fa.flow_style():
        approvals.fa.set_block_style()
    for index in sorted(set(remove), reverse=True):
        if not 0 <= index < len(approvals):
            raise EditError(f"there is no approval #{index} to replace")
        del approvals[index]
    if approvals:
        _move_trailing_comment(approvals[-1], item)
    approvals.append(item)
    out = io.StringIO()
    yaml.dump(doc, out)
    return out.getvalue()


def sign_waivers_in_text(text: str, signed: dict[int, tuple[str, str]]) -> str:
    """The spec text with ``approvedBy`` and ``signature`` set on the waivers at the given indexes
    (index → (person, armored signature)); everything else is kept as written."""
    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap
    from ruamel.yaml.scalarstring import LiteralScalarString

    mapping, offset = guess_indent(text)
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096
    yaml.indent(mapping=mapping, sequence=offset + 2, offset=offset)
    doc = yaml.load(text)
    waivers = doc.get("waivers")
    if not isinstance(waivers, list):
        raise EditError("'waivers' in the spec is not a list")
    for index, (person, signature) in signed.items():
        item = waivers[index] if 0 <= index < len(waivers) else None
        if not isinstance(item, CommentedMap):
            raise EditError(f"there is no waiver #{index} to sign")
        for key in ("approvedBy", "signature"):
            if key in item:
                del item[key]
        keys = list(item.keys())
        at = keys.index("expires") + 1 if "expires" in keys else len(keys)
        item.insert(at, "approvedBy", person)
        item.insert(at + 1, "signature", LiteralScalarString(signature))
    out = io.StringIO()
    yaml.dump(doc, out)
    return out.getvalue()


def sign_waivers_in_spec(path: Path, rel: str, signed: dict[int, tuple[str, str]]) -> None:
    """Set the signatures of waivers in the use case spec at ``path``, check the result parses with
    exactly those signatures, then replace the file atomically."""
    from .io.fs import atomic_write

    new_text = sign_waivers_in_text(path.read_text(encoding="utf-8"), signed)
    model = reparse_usecase(rel, new_text)
    for index, (person, signature) in signed.items():
        w = model.waivers[index] if index < len(model.waivers) else None
        if w is None or w.approved_by != person or w.signature != signature:
            raise EditError("the edited spec does not hold the new waiver signatures; the file was not changed")
    atomic_write(path, new_text)


def reparse_usecase(rel: str, text: str) -> Any:
    """The edited text as a UseCase, with the loader's own parser; EditError if it no longer validates."""
    from .loading import yaml12
    from .loading.shape import ShapeContext, validate_shape
    from .spec.usecase import UseCase

    try:
        data = yaml12.to_python(yaml12.compose_nodes(text))
    except yaml12.YamlProblem as p:
        raise EditError(f"the edited spec is not valid YAML any more ({p.message}); the file was not changed") \
            from None
    model, diags = validate_shape(UseCase, ShapeContext(rel, text, data))
    if model is None:
        first = diags[0]
        raise EditError(f"the edited spec no longer validates ({first.path}: {first.message}); "
                        "the file was not changed")
    return model


def add_approval_to_spec(path: Path, rel: str, entry: dict[str, Any], *, expected: int,
                         remove: list[int] | tuple[int, ...] = ()) -> None:
    """Append an approval to the use case spec at ``path`` (removing the approvals at ``remove``), check
    the result holds exactly ``expected`` approvals ending with this one, then replace the file atomically."""
    from .io.fs import atomic_write

    text = path.read_text(encoding="utf-8")
    new_text = append_approval(text, entry, remove=remove)
    model = reparse_usecase(rel, new_text)
    last = model.approvals[-1] if model.approvals else None
    if (len(model.approvals) != expected or last is None or last.evidence != entry.get("evidence")
            or last.signature != entry.get("signature")):
        raise EditError("the edited spec does not hold exactly the new approval; the file was not changed")
    atomic_write(path, new_text)


__all__ = ["add_approval_to_spec", "append_approval", "guess_indent", "reparse_usecase", "sign_waivers_in_spec",
           "sign_waivers_in_text"]
