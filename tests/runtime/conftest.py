"""Test helpers: ``repo_builder`` (engine tests) and ``hostile_jobs`` importable by name."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

_here = Path(__file__).parent
for _name, _path in (("repo_builder", _here.parent / "engine" / "repo_builder.py"),
                     ("hostile_jobs", _here / "hostile_jobs.py")):
    if _name not in sys.modules:
        _spec = importlib.util.spec_from_file_location(_name, _path)
        assert _spec is not None and _spec.loader is not None
        _mod = importlib.util.module_from_spec(_spec)
        sys.modules[_name] = _mod
        _spec.loader.exec_module(_mod)
