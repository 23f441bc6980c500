from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

_builder = Path(__file__).parent.parent / "engine" / "repo_builder.py"
if "repo_builder" not in sys.modules:
    _spec = importlib.util.spec_from_file_location("repo_builder", _builder)
    assert _spec is not None and _spec.loader is not None
    _mod = importlib.util.module_from_spec(_spec)
    sys.modules["repo_builder"] = _mod
    _spec.loader.exec_module(_mod)
if str(Path(__file__).parent) not in sys.path:
    sys.path.insert(0, str(Path(__file__).parent))
