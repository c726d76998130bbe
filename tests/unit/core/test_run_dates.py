from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from cartera.run_dates import as_of_date, end_of_day_utc, run_instant


def test_the_business_date_is_the_logical_instants_date_in_mexico_city() -> None:
    # 05:59 UTC on the 25th is still 23:59 on the 24th in Mexico City.
    assert as_of_date({"logical_date": dt.datetime(2026, 11, 25, 5, 59, tzinfo=dt.UTC)}) == dt.date(2026, 11, 24)
    assert as_of_date({"logical_date": dt.datetime(2026, 11, 25, 6, 30, tzinfo=dt.UTC)}) == dt.date(2026, 11, 25)


def test_an_explicit_as_of_param_reruns_that_day() -> None:
    context = {"logical_date": dt.datetime(2026, 11, 25, 6, 30, tzinfo=dt.UTC), "params": {"as_of": "2026-10-01"}}
    assert as_of_date(context) == dt.date(2026, 10, 1)


def test_an_asset_triggered_run_without_logical_date_uses_run_after() -> None:
    run = SimpleNamespace(run_after=dt.datetime(2026, 11, 25, 7, 0, tzinfo=dt.UTC))
    assert run_instant({"logical_date": None, "dag_run": run}) == run.run_after


def test_a_run_without_any_instant_is_refused() -> None:
    with pytest.raises(ValueError, match="logical date"):
        run_instant({})


def test_end_of_day_is_local_midnight_in_utc() -> None:
    assert end_of_day_utc(dt.date(2026, 11, 24)) == dt.datetime(2026, 11, 25, 6, 0, tzinfo=dt.UTC)
