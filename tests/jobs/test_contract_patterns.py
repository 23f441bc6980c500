"""Regular expressions in data contracts come from pull requests: bounded in time."""

from __future__ import annotations

import time

import pandas as pd
import pandera.errors

from charter.jobs.data_contract import build_schema
from charter.spec.usecase import DataContract


def _contract(pattern: str) -> DataContract:
    return DataContract.model_validate({"columns": {"code": {"type": "string", "pattern": pattern}}})


def test_pattern_is_a_full_match() -> None:
    schema = build_schema(_contract(r"APP-\d{6}"))
    schema.validate(pd.DataFrame({"code": ["APP-000001", "APP-123456"]}))
    try:
        schema.validate(pd.DataFrame({"code": ["APP-000001", "APP-1234567", "xAPP-000001"]}), lazy=True)
    except pandera.errors.SchemaErrors as exc:
        assert sorted(exc.failure_cases["failure_case"].tolist()) == ["APP-1234567", "xAPP-000001"]
    else:
        raise AssertionError("partial matches must fail")


def test_catastrophic_backtracking_does_not_hang() -> None:
    schema = build_schema(_contract(r"(a+)+$"))
    evil = pd.DataFrame({"code": ["a" * 40 + "!"] * 20})
    start = time.perf_counter()
    try:
        schema.validate(evil, lazy=True)
    except pandera.errors.SchemaErrors as exc:
        assert len(exc.failure_cases) == 20
    else:
        raise AssertionError("the evil values must fail")
    assert time.perf_counter() - start < 10
