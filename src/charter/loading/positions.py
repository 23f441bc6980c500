"""Recover line:column for a key path, and name list items by id in key paths."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import yaml

Loc = Sequence[str | int]


def _item_label(item: Any, index: int) -> str:
    if isinstance(item, dict):
        for key in ("id", "name", "requirement"):
            value = item.get(key)
            if isinstance(value, str | int) and not isinstance(value, bool):
                return f"[{key}='{value}']"
    return f"[{index}]"


def key_path(data: Any, loc: Loc) -> str:
    """`gates.production[id='auc-floor'].min` from ('gates', 'production', 0, 'min')."""
    out = ""
    node = data
    for seg in loc:
        if isinstance(seg, int) and isinstance(node, list):
            out += _item_label(node[seg] if seg < len(node) else None, seg)
            node = node[seg] if seg < len(node) else None
        elif isinstance(node, dict) and seg in node:
            name = str(seg)
            out += ("." if out else "") + (name if len(name) <= 60 else name[:57] + "...")  # keys can be huge
            node = node[seg]
        else:
            # a segment pydantic adds for unions/discriminators, absent from the data
            continue
    return out


def clean_loc(data: Any, loc: Loc) -> tuple[list[str | int], bool]:
    """Drop pydantic's union/discriminator segments; say whether the full path exists."""
    out: list[str | int] = []
    node = data
    for seg in loc:
        if isinstance(node, list) and isinstance(seg, int):
            if seg >= len(node):
                return out, False
            out.append(seg)
            node = node[seg]
        elif isinstance(node, dict) and isinstance(seg, str) and seg in node:
            out.append(seg)
            node = node[seg]
        elif isinstance(node, dict) and isinstance(seg, str):
            if seg in node.values() or "[" in seg or seg in _UNION_TAGS:
                continue  # a discriminator value or type tag, not a key
            out.append(seg)
            return out, False
        else:
            continue
    return out, True


_UNION_TAGS = {"str", "int", "float", "bool", "list", "dict", "none", "function-after", "function-before"}


def locate(root: yaml.Node | None, loc: Loc, *, at_key: bool = False,
           index: dict[int, dict[str, tuple[yaml.Node, yaml.Node]]] | None = None) -> tuple[int, int, int] | None:
    """(line, column, width) of the node at loc; the key itself when at_key.

    When the path stops early (a missing key), the deepest existing node is returned.
    ``index`` memoises each mapping's keys across calls on the same tree: without it,
    locating every key of an n-key mapping is quadratic (60,000 unknown keys took minutes).
    """
    memo = index if index is not None else {}
    node = root
    key_node = None
    for seg in loc:
        if isinstance(node, yaml.MappingNode):
            keys = memo.get(id(node))
            if keys is None:
                # the last occurrence wins, as the scan it replaces did
                keys = memo[id(node)] = {k.value: (k, v) for k, v in node.value if isinstance(k, yaml.ScalarNode)}
            found = keys.get(str(seg))
            if found is None:
                break
            key_node, node = found
        elif isinstance(node, yaml.SequenceNode) and isinstance(seg, int) and seg < len(node.value):
            key_node, node = None, node.value[seg]
        else:
            break
    else:
        target = key_node if at_key and key_node is not None else node
        return _span(target)
    return _span(node) if node is not None else None


def _span(node: yaml.Node | None) -> tuple[int, int, int] | None:
    if node is None:
        return None
    start, end = node.start_mark, node.end_mark
    width = end.column - start.column if end.line == start.line else 1
    return start.line + 1, start.column + 1, max(width, 1)
