"""Hostile spec text in Charter's own output: no forged lines, bounded size and time.

A newline in a spec string must not start a line of its own in any output format
(GitHub reads ``::error::…`` at the start of any log line as a workflow command),
and an error-ridden spec must not make the text report quadratic or unbounded.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from charter.report.escape import frame_text, safe_text
from charter.report.github import gh_data

FIXTURE = Path(__file__).resolve().parent / "spec" / "fixture"
UC = "usecases/churn/usecase.yaml"
FORGE = "\\n::error::FORGED"  # as written inside a YAML double-quoted string


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    dest = tmp_path / "repo"
    shutil.copytree(FIXTURE, dest)
    return dest


def charter(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "charter", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300)


def _edit(repo: Path, old: str, new: str, append: str = "") -> None:
    path = repo / UC
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new) + append)


def _no_forged_line(output: str) -> None:
    for line in output.splitlines():
        assert not line.lstrip().startswith("::error::FORGED"), line
    assert "\x1b" not in output


def _expired_waiver(ticket: str) -> str:
    return ("waivers:\n  - requirement: primary-metric\n    stage: production\n    owner: cleo\n"
            f'    ticket: "{ticket}"\n    expires: 2026-01-31\n    reason: "Because.{FORGE}"\n')


def test_safe_text_escapes_every_control_character() -> None:
    assert safe_text("T-1\n::error::x\r\t\x1b[2J\x00\u2028\u202e\x85") == \
        "T-1\\n::error::x\\r\\t\\x1b[2J\\x00\\u2028\\u202e\\x85"
    assert safe_text("\x1b[31mred\x1b[0m\x1b]0;title\x07", keep_sgr=True) == "\x1b[31mred\x1b[0m\\x1b]0;title\\x07"
    assert safe_text("plain — text ✓") == "plain — text ✓"
    assert frame_text("a\tb\x1bc\rd") == "a\tb\ufffdc\ufffdd"  # one character each: the caret stays aligned
    assert gh_data("a\nb\x1b%") == "a%0Ab\\x1b%25"


def test_validate_output_has_no_forged_lines(repo: Path) -> None:
    _edit(repo, "  product-manager: cleo", f'  product-manager: "cleo{FORGE}"')
    _edit(repo, "kind: UseCase", f'kind: UseCase\n"unknown{FORGE}\\x1b[2J": 1')
    text = charter("validate", cwd=repo)
    assert text.returncode == 2, text.stderr
    assert "FORGED" in text.stdout
    _no_forged_line(text.stdout)
    github = charter("validate", "--format", "github", cwd=repo)
    data = json.loads(charter("validate", "--format", "json", cwd=repo).stdout)
    lines = github.stdout.splitlines()
    assert len(lines) == len(data["diagnostics"]) >= 2
    assert all(line.startswith(("::error file=", "::warning file=")) for line in lines)


def test_gate_and_show_output_have_no_forged_lines(repo: Path) -> None:
    _edit(repo, "title: Customer churn", f'title: "Customer churn{FORGE}\\x1b[2J"', _expired_waiver(f"T-1{FORGE}"))
    gate = charter("gate", cwd=repo)
    assert gate.returncode in (0, 1), gate.stderr
    assert "T-1\\n::error::FORGED" in gate.stdout  # shown, escaped, on the note's own line
    _no_forged_line(gate.stdout + gate.stderr)
    github = charter("gate", "--format", "github", cwd=repo)
    _no_forged_line(github.stdout + github.stderr)
    show = charter("show", "churn", cwd=repo)
    assert show.returncode == 0, show.stderr
    assert show.stdout.startswith("churn: Customer churn\\n::error::FORGED\\x1b[2J (stage")
    _no_forged_line(show.stdout)


def _sha() -> str:
    return hashlib.sha256((FIXTURE / "usecases/churn/data/customers.csv").read_bytes()).hexdigest()


def test_sixty_thousand_unknown_keys_report_in_seconds_and_bounded(repo: Path) -> None:
    path = repo / UC
    path.write_text(path.read_text() + "".join(f"unknownKey{i}: {i}\n" for i in range(60_000)))
    t0 = time.perf_counter()
    out = charter("validate", "--no-cache", cwd=repo)
    elapsed = time.perf_counter() - t0
    assert out.returncode == 2, out.stderr
    assert elapsed < 60, elapsed  # minutes before the text report was made linear (a few seconds now)
    assert len(out.stdout) < 50_000
    assert "usecases/churn/usecase.yaml: … and 59,950 more CH010 in this file" in out.stdout
    assert out.stdout.count("error[CH010]") == 50
    assert out.stdout.rstrip().endswith("60000 errors, 0 warnings in 6 files")


@pytest.mark.parametrize("tail", [
    "? " + "k" * 600_000 + "\n: 1\n",  # an unknown key of 600 KB (explicit: plain keys stop at 1,024)
    "k" * 600_000 + ": 1\n",  # a YAML syntax error at column 600,001
])
def test_code_frames_and_messages_have_a_bounded_width(repo: Path, tail: str) -> None:
    path = repo / UC
    long_value = "v" * 600_000
    path.write_text(path.read_text().replace("stage: experimentation", f"stage: {long_value}") + tail)
    out = charter("validate", "--no-cache", cwd=repo)
    assert out.returncode == 2, out.stderr
    assert "error[CH0" in out.stdout
    assert max(len(line) for line in out.stdout.splitlines()) < 2_500
    assert len(out.stdout) < 30_000


def test_code_frame_keeps_the_caret_under_the_column_in_a_long_line() -> None:
    from charter.report.diagnostics import MAX_FRAME_WIDTH, code_frame

    line = "a: [" + ", ".join(str(i) for i in range(20_000)) + "]"
    column = line.index("19999") + 1
    frame = code_frame(line + "\n", 1, column, column + 5)
    text, caret = frame[-2], frame[-1]
    assert len(text) < MAX_FRAME_WIDTH + 20 and len(caret) < MAX_FRAME_WIDTH + 20
    start = caret.index("^")
    assert text[start:start + 5] == "19999" and caret.count("^") == 5


def test_invalid_specs_reported_by_gate_show_and_build_have_no_forged_lines(repo: Path) -> None:
    # Diagnostics escape their text when made: every command that prints one is covered.
    _edit(repo, "  product-manager: cleo", f'  product-manager: "cleo{FORGE}"')
    for args in (["gate"], ["gate", "--format", "github"], ["show", "churn"], ["build"]):
        out = charter(*args, cwd=repo)
        assert out.returncode == 2, (args, out.stdout, out.stderr)
        assert "FORGED" in out.stdout + out.stderr
        _no_forged_line(out.stdout + out.stderr)
