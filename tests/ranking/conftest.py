from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

_here = Path(__file__).parent.parent / "engine"
if "repo_builder" not in sys.modules:
    _spec = importlib.util.spec_from_file_location("repo_builder", _here / "repo_builder.py")
    _mod = importlib.util.module_from_spec(_spec)
    sys.modules["repo_builder"] = _mod
    _spec.loader.exec_module(_mod)
