"""The example's contracts require two distinct values of every sensitive attribute they declare."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).parents[2]


def test_every_sensitive_attribute_needs_two_values() -> None:
    seen = 0
    for path in sorted((ROOT / "usecases").glob("*/usecase.yaml")):
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
        for src in spec.get("data", []):
            columns = (src.get("contract") or {}).get("columns", {})
            for attr in src.get("sensitiveAttributes") or []:
                if columns:
                    assert (columns.get(attr) or {}).get("minDistinct", 0) >= 2, (path.parent.name, src["id"], attr)
                    seen += 1
    assert seen >= 5
