"""Every command's --help ends with its exit codes and one example that the command's own parser accepts."""

from __future__ import annotations

import argparse
import re
import shlex

import pytest

from charter.cli.main import _available, build_parser

PARSER = build_parser(_available())


def _commands() -> dict[str, argparse.ArgumentParser]:
    [sub] = [a for a in PARSER._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(sub.choices)


def test_every_verb_of_the_cli_is_covered() -> None:
    assert {"init", "new", "validate", "run", "gate", "diff", "build"} <= set(_commands())


@pytest.mark.parametrize("verb", sorted(_commands()))
def test_help_lists_exit_codes_and_an_example(verb: str) -> None:
    text = _commands()[verb].format_help()
    assert "exit codes:" in text and "example:" in text, text
    codes = text.split("exit codes:", 1)[1].split("example:", 1)[0]
    listed = [int(m) for m in re.findall(r"^\s+(\d+)\s+\S", codes, flags=re.M)]
    assert 0 in listed and {1, 2} & set(listed), codes
    assert 3 in listed and 130 in listed, codes
    example = text.split("example:", 1)[1].strip().replace("\\\n", " ")
    words = shlex.split(example)
    assert words[:2] == ["charter", verb], example
    args = PARSER.parse_args(words[1:])  # a real invocation: SystemExit (exit 2) on an unknown option
    assert args.verb == verb


def test_top_level_help_names_the_exit_codes() -> None:
    text = PARSER.format_help()
    assert "exit codes:" in text and "130 interrupted" in text and "example:" in text
