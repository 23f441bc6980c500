"""The CLI's plumbing: every verb loads once, one error boundary maps errors to exit codes, no import cycles."""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

import pytest

import charter.loading.loader as loader
from charter.cli import common
from charter.cli.main import main
from charter.errors import CharterError, DiffError, SchemaVersionError, SpecInvalid, StoreError, UsageError

FIXTURE = Path(__file__).resolve().parents[1] / "spec" / "fixture"
CLI = Path(__file__).resolve().parents[2] / "src" / "charter" / "cli"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    dest = tmp_path / "repo"
    shutil.copytree(FIXTURE, dest)
    return dest


@pytest.fixture
def loads(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    calls: list[object] = []
    real = loader.load_repository

    def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(args[0])
        return real(*args, **kwargs)

    monkeypatch.setattr(loader, "load_repository", counting)
    return calls


def test_a_verb_loads_the_repository_once_on_a_cache_miss_and_on_a_hit(repo: Path, loads: list[object]) -> None:
    first = common.load_valid(repo, "show")
    assert first is not None and first.ok and len(loads) == 1  # validation's load is the verb's
    second = common.load_valid(repo, "show")
    assert second is not None and second.usecases.keys() == first.usecases.keys() and len(loads) == 2


def test_invalid_specs_are_not_loaded_again(repo: Path, loads: list[object], capsys) -> None:
    uc = repo / "usecases/churn/usecase.yaml"
    uc.write_text(uc.read_text().replace("threshold: 0.75", "threshold: high"))
    assert common.load_valid(repo, "gate") is None
    assert "the specs are invalid" in capsys.readouterr().err
    assert common.load_valid(repo, "gate") is None and len(loads) == 1  # the cached verdict needs no load


@pytest.mark.parametrize("error, code, shown", [
    (UsageError("unknown use case 'x'"), 2, "unknown use case 'x'"),
    (SpecInvalid("the specs are invalid"), 2, "the specs are invalid"),
    (DiffError("unknown git ref 'y'"), 2, "unknown git ref 'y'"),
    (SchemaVersionError("ledger written by a newer Charter"), 2, "ledger written by a newer Charter"),
    (StoreError(28, "disk full while writing evidence record r.json"), 2, "disk full while writing"),
])
def test_the_error_boundary_maps_each_error_to_its_exit_code(monkeypatch: pytest.MonkeyPatch, capsys,
                                                             error: CharterError, code: int, shown: str) -> None:
    import charter.cli.verify as verb

    def fail(args):  # type: ignore[no-untyped-def]
        raise error

    monkeypatch.setattr(verb, "run", fail)
    assert main(["verify"]) == code == error.exit_code
    err = capsys.readouterr().err
    assert err.startswith(f"charter verify: error: {shown}") and "[Errno" not in err and "Traceback" not in err


def _cli_imports(path: Path) -> set[str]:
    """The sibling CLI modules a module imports (``from .x import``)."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module:
            out.add(node.module.split(".")[0])
    return out


def test_the_cli_modules_form_no_import_cycle() -> None:
    graph = {p.stem: _cli_imports(p) for p in CLI.glob("*.py")}
    assert graph["common"] <= {"main"} and "gate" not in graph["codeowners"]

    def visit(node: str, path: tuple[str, ...]) -> None:
        assert node not in path, f"import cycle: {' → '.join((*path, node))}"
        for nxt in graph.get(node, ()):
            visit(nxt, (*path, node))

    for module in graph:
        visit(module, ())
