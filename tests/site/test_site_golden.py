"""Golden pages: the fixture repository's rendered Markdown (and exports), byte for byte.

Refresh after an intended change with ``UPDATE_GOLDEN=1 pytest tests/site`` and
review the diff like code. The spec reference is tested by structure instead
(it follows the models' docstrings, which other work changes).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from charter.site.exports import render_exports
from charter.site.pages import render_site

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"
SKIPPED = {"reference/spec.md"}
EXPORTS = ("exports/portfolio.json", "exports/churn.json", "exports/churn/README.md", "exports/xss-probe/README.md")


def _outputs(ctx) -> dict[str, bytes]:  # type: ignore[no-untyped-def]
    rendered = render_site(ctx)
    out = {p.path: p.text.encode() for p in rendered.pages if p.path not in SKIPPED}
    exports = render_exports(ctx)
    out.update({k: exports[k] for k in EXPORTS})
    return out


def test_golden_files_match(fixture_ctx) -> None:  # type: ignore[no-untyped-def]
    outputs = _outputs(fixture_ctx)
    if UPDATE:
        for rel, data in outputs.items():
            path = GOLDEN / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        stale = {p.relative_to(GOLDEN).as_posix() for p in GOLDEN.rglob("*") if p.is_file()} - set(outputs)
        for rel in stale:
            (GOLDEN / rel).unlink()
        pytest.skip("golden files rewritten")
    committed = {p.relative_to(GOLDEN).as_posix() for p in GOLDEN.rglob("*") if p.is_file()}
    assert committed == set(outputs), "pages added or removed: run UPDATE_GOLDEN=1 pytest tests/site"
    different = [rel for rel, data in sorted(outputs.items()) if (GOLDEN / rel).read_bytes() != data]
    assert not different, f"rendered pages differ from tests/site/golden: {different} (UPDATE_GOLDEN=1 to accept)"


def test_rendering_is_deterministic(fixture_repo) -> None:  # type: ignore[no-untyped-def]
    import site_fixture

    from charter.site.context import build_context

    first = _outputs(build_context(site_fixture.site_inputs(fixture_repo)))
    second = _outputs(build_context(site_fixture.site_inputs(fixture_repo)))
    assert first == second
