"""Eval sets, outputs and ratings: every contract violation is a clear error with the file and line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from charter.jobs.base import JobError
from charter.jobs.generative_data import parse_eval_set, parse_outputs, parse_ratings

ITEM = {"id": "a", "input": "What is the fee?", "context": "The fee is EUR 995.", "references": ["EUR 995."]}
OUT = {"id": "a", "output": "EUR 995.", "latencyMs": 1200.5, "inputTokens": 300, "outputTokens": 12,
       "model": "m", "promptVersion": "p1"}


def _write(tmp_path: Path, name: str, lines: list[object] | bytes) -> Path:
    path = tmp_path / name
    if isinstance(lines, bytes):
        path.write_bytes(lines)
    else:
        path.write_text("".join((x if isinstance(x, str) else json.dumps(x)) + "\n" for x in lines), encoding="utf-8")
    return path


def _eval_error(tmp_path: Path, lines: list[object] | bytes) -> str:
    with pytest.raises(JobError) as exc:
        parse_eval_set(_write(tmp_path, "eval.jsonl", lines), "'eval.jsonl'")
    return str(exc.value)


def test_valid_eval_set_parses(tmp_path: Path) -> None:
    items = parse_eval_set(_write(tmp_path, "eval.jsonl", [ITEM, {**ITEM, "id": "b", "slices": {"language": "nl"}}]),
                           "'eval.jsonl'")
    assert [i.id for i in items] == ["a", "b"] and items[1].slices == {"language": "nl"}


@pytest.mark.parametrize(("lines", "expected"), [
    ([ITEM, "{not json"], "'eval.jsonl' line 2: not valid JSON"),
    ([ITEM, {"id": "b", "context": "x"}], "'eval.jsonl' line 2: missing field 'input'"),
    ([ITEM, {**ITEM}], "'eval.jsonl' line 2: duplicate id 'a' (first on line 1)"),
    ([{**ITEM, "input": "  "}], "'eval.jsonl' line 1: 'input' is empty"),
    ([{**ITEM, "slices": {"language": 3}}], "'eval.jsonl' line 1: 'slices' must be an object of text values"),
    ([{**ITEM, "referenses": ["x"]}], "'eval.jsonl' line 1: unknown field(s) 'referenses'"),
    ([[1, 2]], "'eval.jsonl' line 1: expected a JSON object"),
    ([], "'eval.jsonl': the file holds no lines"),
])
def test_eval_set_errors(tmp_path: Path, lines: list[object], expected: str) -> None:
    assert expected in _eval_error(tmp_path, lines)


def test_non_utf8_names_the_line(tmp_path: Path) -> None:
    raw = (json.dumps(ITEM) + "\n").encode() + b'{"id": "b", "input": "caf\xe9"}\n'
    assert _eval_error(tmp_path, raw).startswith("'eval.jsonl' line 2: not UTF-8")


def _out_error(tmp_path: Path, lines: list[object], known: dict[str, str] | None = None) -> str:
    with pytest.raises(JobError) as exc:
        parse_outputs(_write(tmp_path, "out.jsonl", lines), "'out.jsonl'", known or {"a": "'eval.jsonl'"})
    return str(exc.value)


@pytest.mark.parametrize(("lines", "expected"), [
    ([OUT, {**OUT, "id": "zz"}], "'out.jsonl' line 2: output for id 'zz', which is in no eval set of the job"),
    ([OUT, OUT], "'out.jsonl' line 2: duplicate output for id 'a' (first on line 1)"),
    ([{**OUT, "output": ""}], "'out.jsonl' line 1: empty output for id 'a'"),
    ([{**OUT, "latencyMs": -1}], "'out.jsonl' line 1: 'latencyMs' must be a finite number ≥ 0"),
    ([{**OUT, "inputTokens": 3.5}], "'out.jsonl' line 1: 'inputTokens' must be an integer"),
    ([{k: v for k, v in OUT.items() if k != "model"}], "'out.jsonl' line 1: missing field 'model'"),
])
def test_outputs_errors(tmp_path: Path, lines: list[object], expected: str) -> None:
    assert expected in _out_error(tmp_path, lines)


def test_missing_outputs_and_failed_calls(tmp_path: Path) -> None:
    msg = _out_error(tmp_path, [OUT], {"a": "'eval.jsonl'", "b": "'eval.jsonl'"})
    assert "no output for 1 eval item(s) (for example 'b' of 'eval.jsonl')" in msg
    ok = parse_outputs(_write(tmp_path, "o.jsonl", [{**OUT, "output": "", "error": "timeout"}]), "'o.jsonl'",
                       {"a": "'eval.jsonl'"})
    assert ok["a"].error == "timeout"


def test_ratings_errors(tmp_path: Path) -> None:
    path = _write(tmp_path, "r.jsonl", [{"id": "a", "reviewer": "x", "rating": 4},
                                        {"id": "a", "reviewer": "x", "rating": 5}])
    with pytest.raises(JobError, match="line 2: reviewer 'x' rated 'a' twice"):
        parse_ratings(path, "'r.jsonl'", [1, 2, 3, 4, 5])
    path = _write(tmp_path, "r2.jsonl", [{"id": "a", "reviewer": "x", "rating": 7}])
    with pytest.raises(JobError, match=r"line 1: 'rating' must be one of \[1, 2, 3, 4, 5\]"):
        parse_ratings(path, "'r2.jsonl'", [1, 2, 3, 4, 5])
