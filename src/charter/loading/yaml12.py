"""Safe, bounded YAML 1.2 (core schema) parsing on libyaml's C parser.

Why not ruamel.yaml here: its pure-Python round-trip loader is ~10x slower, and
validation must stay fast for thousands of specs. libyaml's scanner is YAML 1.1,
so we replace PyYAML's 1.1 resolver with the 1.2 core schema (``yes``/``on`` stay
strings, ``0o17`` is octal, no implicit timestamps) and construct only the core
tags. Positions are not kept on the fast path: ``compose_nodes`` re-parses a file
to recover line:column only when it has a problem.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

import yaml

from .files import MAX_SPEC_BYTES

try:  # libyaml is bundled in PyYAML's wheels; fall back to pure Python if absent.
    from yaml._yaml import CParser as _Parser
except ImportError:  # pragma: no cover - depends on the platform's wheel
    from yaml.composer import Composer
    from yaml.parser import Parser
    from yaml.reader import Reader
    from yaml.scanner import Scanner

    class _Parser(Reader, Scanner, Parser, Composer):  # type: ignore[no-redef]
        def __init__(self, stream: str) -> None:
            Reader.__init__(self, stream)
            Scanner.__init__(self)
            Parser.__init__(self)
            Composer.__init__(self)


MAX_BYTES = MAX_SPEC_BYTES
MAX_NODES = 200_000  # bound on nodes after alias expansion ("billion laughs")
MAX_DEPTH = 64
MAX_INT = 2**63 - 1  # a spec's integers are counts, seeds and bounds: int64 holds them all

_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_INT = re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$")
_FLOAT = re.compile(
    r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
)

TAG_NULL = "tag:yaml.org,2002:null"
TAG_BOOL = "tag:yaml.org,2002:bool"
TAG_INT = "tag:yaml.org,2002:int"
TAG_FLOAT = "tag:yaml.org,2002:float"
TAG_STR = "tag:yaml.org,2002:str"
TAG_SEQ = "tag:yaml.org,2002:seq"
TAG_MAP = "tag:yaml.org,2002:map"
ALLOWED_TAGS = {TAG_NULL, TAG_BOOL, TAG_INT, TAG_FLOAT, TAG_STR, TAG_SEQ, TAG_MAP}


class _Resolver12(yaml.resolver.BaseResolver):
    yaml_implicit_resolvers: dict = {}


for _tag, _rx, _first in [
    (TAG_BOOL, _BOOL, list("tTfF")),
    (TAG_INT, _INT, list("-+0123456789")),
    (TAG_FLOAT, _FLOAT, list("-+0123456789.")),
    (TAG_NULL, _NULL, ["~", "n", "N", ""]),
]:
    _Resolver12.add_implicit_resolver(_tag, _rx, _first)


class _ComposeLoader(_Parser, _Resolver12):  # type: ignore[misc,valid-type]
    def __init__(self, stream: str) -> None:
        _Parser.__init__(self, stream)
        _Resolver12.__init__(self)


@dataclass
class YamlProblem(Exception):
    """A problem in the YAML text itself, with a 1-based position when known."""

    code: str
    message: str
    line: int | None = None
    column: int | None = None
    hint: str | None = None


def _short(tag: str) -> str:
    return "!!" + tag.removeprefix("tag:yaml.org,2002:") if tag.startswith("tag:yaml.org,2002:") else tag


def _mark(node_or_mark: Any) -> tuple[int, int]:
    m = getattr(node_or_mark, "start_mark", node_or_mark)
    return m.line + 1, m.column + 1


def _depth_guard(text: str) -> None:
    """libyaml composes recursively in C: a deeply nested document would crash the
    process. Walk the (iterative) event stream first when nesting is possible."""
    if text.count("[") + text.count("{") + text.count("- ") + text.count(":") < MAX_DEPTH:
        return
    if text.count("[") + text.count("{") < MAX_DEPTH and len(text) < 200_000:
        return  # block nesting needs quadratic indentation: bounded by the size limit
    parser = _ComposeLoader(text)
    depth = 0
    try:
        while parser.check_event():
            event = parser.get_event()
            if isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
                depth += 1
                if depth > MAX_DEPTH:
                    line, col = _mark(event)
                    raise YamlProblem("CH005", f"the document nests deeper than {MAX_DEPTH} levels", line, col)
            elif isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
                depth -= 1
    except yaml.MarkedYAMLError as exc:
        # libyaml >= 0.2.6 has its own flow-nesting limit (1000), hit by its scanner
        # before our event count reaches MAX_DEPTH: report it as ours, at our depth.
        if "nesting depth" in (exc.problem or "") or "flow level" in (exc.context or ""):
            mark = exc.problem_mark
            line, col = _flow_depth_position(text, mark.index if mark is not None else len(text))
            raise YamlProblem("CH005", f"the document nests deeper than {MAX_DEPTH} levels", line, col) from None
        return  # the composer reports syntax errors with their position
    except yaml.YAMLError:
        return
    finally:
        parser.dispose()


def _flow_depth_position(text: str, end: int) -> tuple[int, int]:
    """1-based (line, column) of the bracket that first opens flow level MAX_DEPTH + 1.

    Only called on text libyaml refused for flow nesting, and only over the prefix
    it scanned; quoted scalars inside flow collections are skipped."""
    depth, quote, i = 0, "", 0
    line, line_start = 1, 0
    while i < min(end + 1, len(text)):
        ch = text[i]
        if ch == "\n":
            line, line_start = line + 1, i + 1
        elif quote:
            if ch == "\\" and quote == '"':
                i += 1
            elif ch == quote:
                quote = ""
        elif ch in "'\"" and depth > 0:
            quote = ch
        elif ch in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return line, i - line_start + 1
        elif ch in "]}" and depth > 0:
            depth -= 1
        i += 1
    return line, end - line_start + 1


def compose_nodes(text: str) -> yaml.Node | None:
    """Parse text into a node tree (with positions). Raises YamlProblem."""
    _depth_guard(text)
    loader = _ComposeLoader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or str(exc)
        line, col = _mark(mark) if mark is not None else (None, None)
        hint = None
        ctx_mark = exc.context_mark
        if exc.context and ctx_mark is not None and ctx_mark is not mark:
            hint = f"{exc.context} that started at line {ctx_mark.line + 1}, column {ctx_mark.column + 1}"
        if "\\t" in problem or "tab" in problem.lower():
            hint = "YAML indentation must use spaces, not tabs"
        if "expected a single document" in str(exc):
            raise YamlProblem("CH001", "the file holds more than one YAML document", line, col,
                              "keep one spec per file; remove the '---' separator") from None
        raise YamlProblem("CH001", f"invalid YAML: {problem}", line, col, hint) from None
    except yaml.YAMLError as exc:
        raise YamlProblem("CH001", f"invalid YAML: {exc}") from None
    finally:
        loader.dispose()
    return node


def _bad(code: str, message: str, node: yaml.Node, hint: str | None = None) -> YamlProblem:
    line, col = _mark(node)
    return YamlProblem(code, message, line, col, hint)


def _clip(value: str, limit: int = 40) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "…"


def _scalar(node: yaml.ScalarNode) -> Any:
    tag, value = node.tag, node.value
    if tag == TAG_STR:
        return value
    if tag == TAG_NULL:
        if _NULL.match(value):
            return None
        raise _bad("CH012", f"'{value}' is not a null", node)
    if tag == TAG_BOOL:
        if _BOOL.match(value):
            return value.lower() == "true"
        raise _bad("CH012", f"'{value}' is not a boolean", node, "booleans are true or false")
    if tag == TAG_INT:
        try:
            if value.startswith("0o"):
                number = int(value[2:], 8)
            elif value.startswith("0x"):
                number = int(value[2:], 16)
            else:
                number = int(value)
        except ValueError:
            raise _bad("CH012", f"'{_clip(value)}' is not an integer", node) from None
        if abs(number) > MAX_INT:
            raise _bad("CH013", f"the integer '{_clip(value)}' is out of range", node,
                       f"integers in specs lie within ±{MAX_INT:,} (64 bits)")
        return number
    if tag == TAG_FLOAT:
        low = value.lower()
        try:
            number_f = math.inf if low.endswith(".inf") else math.nan if low == ".nan" else float(value)
        except ValueError:
            raise _bad("CH012", f"'{_clip(value)}' is not a number", node) from None
        # .nan, .inf and overflowing literals (1e400) would validate, then break every
        # comparison and conversion downstream: every number in a spec is finite.
        if not math.isfinite(number_f):
            raise _bad("CH013", f"'{_clip(value)}' is not a finite number", node,
                       "numbers in specs must be finite: .nan, .inf and values beyond ±1.8e308 are not allowed")
        return number_f
    raise _bad("CH004", f"the tag '{_short(tag)}' is not allowed", node,
               "specs are plain data: only strings, numbers, booleans, null, lists and mappings")


def to_python(root: yaml.Node | None) -> Any:
    """Build plain Python data from nodes: safe tags only, duplicate keys and
    merge keys rejected, alias expansion and depth bounded."""
    if root is None:
        return None
    budget = [MAX_NODES]
    sizes: dict[int, int] = {}

    # Size after alias expansion, memoised per node: the "billion laughs" document
    # has few nodes but an exponential expansion, which we refuse before building it.
    def expanded(node: yaml.Node, depth: int) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if depth > MAX_DEPTH:
            raise _bad("CH005", f"the document nests deeper than {MAX_DEPTH} levels", node)
        sizes[key] = 1  # cycle guard: a recursive alias counts once, then fails below
        if isinstance(node, yaml.SequenceNode):
            total = 1 + sum(expanded(c, depth + 1) for c in node.value)
        elif isinstance(node, yaml.MappingNode):
            total = 1 + sum(expanded(k, depth + 1) + expanded(v, depth + 1) for k, v in node.value)
        else:
            total = 1
        if total > MAX_NODES:
            raise _bad("CH005", f"the document expands to more than {MAX_NODES:,} values",
                       node, "anchors and aliases must not multiply the document's size")
        sizes[key] = total
        return total

    expanded(root, 0)
    active: set[int] = set()

    def build(node: yaml.Node) -> Any:
        budget[0] -= 1
        if budget[0] < 0:
            raise _bad("CH005", f"the document expands to more than {MAX_NODES:,} values", node)
        if isinstance(node, yaml.ScalarNode):
            return _scalar(node)
        if node.tag not in ALLOWED_TAGS:
            raise _bad("CH004", f"the tag '{_short(node.tag)}' is not allowed", node,
                       "specs are plain data: only strings, numbers, booleans, null, lists and mappings")
        if id(node) in active:
            raise _bad("CH005", "the document refers to itself through an alias", node)
        active.add(id(node))
        try:
            if isinstance(node, yaml.SequenceNode):
                return [build(c) for c in node.value]
            out: dict[Any, Any] = {}
            for knode, vnode in node.value:
                if knode.tag == "tag:yaml.org,2002:merge":
                    raise _bad("CH004", "merge keys ('<<') are not supported", knode,
                               "write the keys out; YAML 1.2 has no merge key")
                if not isinstance(knode, yaml.ScalarNode):
                    raise _bad("CH012", "mapping keys must be plain strings", knode)
                key = _scalar(knode)
                if not isinstance(key, str):
                    key = knode.value  # keys are names: 'true', '1', 'null' stay text
                if key in out:
                    raise _bad("CH002", f"duplicate key '{key}'", knode,
                               "each key may appear once in a mapping; remove or merge the duplicate")
                out[key] = build(vnode)
            return out
        finally:
            active.discard(id(node))

    return build(root)


def decode(raw: bytes) -> str:
    """Bytes → text: UTF-8 only (a BOM is allowed), bounded size."""
    if len(raw) > MAX_BYTES:
        raise YamlProblem("CH005", f"the file is {len(raw):,} bytes; specs are limited to {MAX_BYTES:,}",
                          None, None, "put data in data files referenced by path, not in the spec")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise YamlProblem("CH006", f"the file is not valid UTF-8 (byte 0x{raw[exc.start]:02x})",
                          line, col, "save the file as UTF-8") from None
    if "\x00" in text:
        raise YamlProblem("CH006", "the file contains NUL bytes; it looks binary", None, None)
    return text


def load(raw: bytes) -> Any:
    """Decode, parse and build: the fast path. Raises YamlProblem."""
    return to_python(compose_nodes(decode(raw)))


def tab_indent_problem(text: str) -> YamlProblem | None:
    """libyaml reports tab indentation obscurely; find it ourselves for a clear message."""
    for i, line in enumerate(text.splitlines(), 1):
        stripped = line.lstrip(" ")
        if stripped.startswith("\t"):
            return YamlProblem("CH003", "tab character used for indentation", i,
                               len(line) - len(stripped) + 1,
                               "YAML indentation must use spaces; replace the tab with spaces")
    return None
