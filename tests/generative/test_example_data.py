"""The mortgage use case's JSONL files: reproducible byte for byte, and what the example needs."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("generate_example_data", ROOT / "scripts" / "generate_example_data.py")
assert _spec is not None and _spec.loader is not None
gen = sys.modules.get(_spec.name) or importlib.util.module_from_spec(_spec)
if _spec.name not in sys.modules:
    sys.modules[_spec.name] = gen
    _spec.loader.exec_module(gen)


def test_committed_jsonl_files_are_reproduced() -> None:
    gen._MORTGAGE_CACHE.clear()
    for rel, build in gen.TEXT_FILES.items():
        assert (ROOT / rel).read_bytes() == build().encode("utf-8"), rel


def test_the_eval_set_has_two_languages_and_a_few_hundred_items() -> None:
    items = [json.loads(x) for x in (ROOT / gen.MORTGAGE_DIR / "eval_set.jsonl").read_text().splitlines()]
    assert 300 <= len(items) <= 500
    assert {i["slices"]["language"] for i in items} == {"en", "nl"}
    assert all(i["context"] and i["references"] for i in items)


def test_the_review_sample_is_the_one_charter_draws() -> None:
    from charter.jobs.generative_data import parse_eval_set, review_sample

    items = parse_eval_set(ROOT / gen.MORTGAGE_DIR / "eval_set.jsonl", "eval")
    sample = review_sample(items, gen.MORTGAGE_REVIEW["size"], gen.MORTGAGE_REVIEW["strata"],
                           gen.MORTGAGE_REVIEW["seed"])
    rated = [json.loads(x) for x in (ROOT / gen.MORTGAGE_DIR / "review_ratings.jsonl").read_text().splitlines()]
    assert sorted({r["id"] for r in rated}) == sample
    assert {r["reviewer"] for r in rated} == {"senior-advisor-1", "senior-advisor-2"}
