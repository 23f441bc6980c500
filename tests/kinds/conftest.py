from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

_here = Path(__file__).parent
# the engine tests' repository builder, and the fixture kind (importable by name: it is its own backend)
for name, path in (("repo_builder", _here.parent / "engine" / "repo_builder.py"),
                   ("row_count_kind", _here / "row_count_kind.py")):
    if name not in sys.modules:
        _spec = importlib.util.spec_from_file_location(name, path)
        assert _spec is not None and _spec.loader is not None
        _mod = importlib.util.module_from_spec(_spec)
        sys.modules[name] = _mod
        _spec.loader.exec_module(_mod)


def pytest_addoption(parser: pytest.Parser) -> None:
    # Registered only when pytest is pointed at this folder or a file in it, which is how it is used.
    parser.addoption("--update-golden", action="store_true", default=False,
                     help="rewrite tests/kinds/golden_results/ from the current runner results")
