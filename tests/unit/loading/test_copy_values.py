"""Values reach COPY and the quarantine's JSON as plain Python, whatever pandas made of them."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from cartera.loading.quarantine import _dumps
from cartera.loading.raw_loader import _plain, _plain_column
from cartera.raw_contract import ENTITIES, raw_columns


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        (float("nan"), None),
        (pd.NaT, None),
        (pd.NA, None),
        (np.int64(30), 30),
        (np.float64(1.5), 1.5),
        (np.bool_(True), True),
        (Decimal("116.00"), Decimal("116.00")),
        (dt.date(2025, 5, 1), dt.date(2025, 5, 1)),
        ("F-0001", "F-0001"),
    ],
)
def test_copy_values_are_python_scalars_and_missing_is_none(value: object, expected: object) -> None:
    plain = _plain(value)
    assert plain == expected and type(plain) is type(expected)


@pytest.mark.parametrize(
    "column",
    [
        pd.Series([None, float("nan"), pd.NaT, pd.NA, np.int64(30), Decimal("1.10"), dt.date(2025, 5, 1), "F"],
                  dtype=object),
        pd.Series([1.5, float("nan"), 2.0]),
        pd.Series([1, 2, 3], dtype="int64"),
        pd.Series([True, False]),
        pd.Series(pd.to_datetime(["2025-05-01T12:00:00Z", None])),
        pd.Series(["a", None], dtype="string"),
    ],
)  # fmt: skip
def test_a_column_at_a_time_gives_what_each_value_gives(column: pd.Series) -> None:
    by_column = _plain_column(column)
    by_value = [_plain(v) for v in column.astype(object)]
    assert by_column == by_value and [type(v) for v in by_column] == [type(v) for v in by_value]


def test_timestamps_become_aware_datetimes() -> None:
    plain = _plain(pd.Timestamp("2025-05-01T12:00:00Z"))
    assert type(plain) is dt.datetime and plain == dt.datetime(2025, 5, 1, 12, tzinfo=dt.UTC)


def test_quarantine_json_keeps_amounts_exact_and_dates_iso() -> None:
    record = {
        "total": Decimal("1160.10"),
        "issue_date": dt.date(2025, 4, 1),
        "updated_at": dt.datetime(2025, 5, 1, tzinfo=dt.UTC),
    }
    assert json.loads(_dumps(record)) == {
        "total": "1160.10",
        "issue_date": "2025-04-01",
        "updated_at": "2025-05-01T00:00:00+00:00",
    }


def test_every_entity_carries_updated_at_and_no_bookkeeping_columns() -> None:
    for entity in ENTITIES:
        columns = raw_columns(entity)
        assert "updated_at" in columns and not {"load_id", "source", "loaded_at"} & set(columns)


def test_an_unknown_entity_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="unknown raw entity 'invoice'"):
        raw_columns("invoice")
