"""`charter validate` needs neither torch, transformers, scikit-learn nor mkdocs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

BLOCK = """
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in {'torch', 'transformers', 'sklearn', 'mkdocs', 'pandera', 'fairlearn'}:
            raise ImportError(f'{name} is not installed (blocked by the test)')
        return None
sys.meta_path.insert(0, Block())
from charter.cli.main import main
raise SystemExit(main(sys.argv[1:]))
"""


def test_validate_and_gate_work_without_heavy_extras() -> None:
    for args in (["validate", "--no-cache"], ["gate", "--no-fail"], ["schema", "--check"]):
        out = subprocess.run([sys.executable, "-c", BLOCK, *args], cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert out.returncode == 0, (args, out.stdout[-2000:], out.stderr[-2000:])
        assert "Traceback" not in out.stderr
