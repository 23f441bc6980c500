"""Time-ordered splits: a forecast is judged on the future, never on neighbouring days."""

from __future__ import annotations

import pandas as pd
import pytest

from charter.jobs.base import JobError
from charter.jobs.sklearn_train import time_split


def test_latest_rows_are_the_test_set_and_no_day_is_split() -> None:
    days = pd.Series(["2026-01-03", "2026-01-01", "2026-01-02", "2026-01-03", "2026-01-02", "2026-01-01"], name="date")
    train, test = time_split(days, test_size=0.2)  # 20 % of 6 rows → 2, i.e. the last day
    assert sorted(days.iloc[test]) == ["2026-01-03", "2026-01-03"]
    assert sorted(days.iloc[train]) == ["2026-01-01", "2026-01-01", "2026-01-02", "2026-01-02"]
    train, test = time_split(days, test_size=0.4)  # cut-off on 2026-01-02: both of its rows go to test
    assert set(days.iloc[test]) == {"2026-01-02", "2026-01-03"} and len(test) == 4
    assert max(pd.to_datetime(days.iloc[train])) < min(pd.to_datetime(days.iloc[test]))


def test_numeric_periods() -> None:
    week = pd.Series([5, 1, 3, 2, 4], name="week")
    train, test = time_split(week, test_size=0.4)
    assert sorted(week.iloc[test]) == [4, 5]


@pytest.mark.parametrize("values, message", [
    (["2026-01-01", None, "2026-01-02"], "missing value"),
    (["2026-01-01", "last tuesday", "2026-01-02"], "neither ISO dates nor numbers"),
    (["2026-01-01", "2026-01-01"], "single value"),
])
def test_unusable_time_columns_are_job_errors(values: list, message: str) -> None:
    with pytest.raises(JobError, match=message):
        time_split(pd.Series(values, name="date"), test_size=0.25)
