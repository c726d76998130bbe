"""COPY text lines of the ERP as the gate sees them and as quarantine keeps them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from cartera.sources.erp_stream import decode, gate_frame, record

TYPES = {
    "id": "text",
    "total": "numeric",
    "days": "int4",
    "issued": "date",
    "opt_in": "bool",
    "name": "text",
    "updated_at": "timestamptz",
}
LINES = [  # as the stream yields them: one row each, with its newline
    b"1\t1160.50\t30\t2025-04-01\tt\tF\\t1\\\\2\\nx\t2025-05-01 12:00:00+00\n",
    b"2\t\\N\t\\N\t\\N\t\\N\t\\N\t2025-05-01 12:00:00.5+00\n",
    b"3\t-1\t0\t0044-03-15 BC\tf\t\t2025-05-01 12:00:00+00\n",
]


@pytest.mark.parametrize(
    ("text", "meaning"),
    [("plain", "plain"), ("a\\tb", "a\tb"), ("\\\\N", "\\N"), ("x\\ny\\r", "x\ny\r"), ("\\101\\x42", "AB")],
)
def test_decode_undoes_copy_escapes(text: str, meaning: str) -> None:
    assert decode(text) == meaning


def test_the_gate_frame_has_numbers_dates_booleans_and_decoded_text() -> None:
    frame = gate_frame(LINES, TYPES)
    assert list(frame.columns) == list(TYPES)
    assert str(frame["total"].dtype) == "float64" and frame["total"].iloc[0] == 1160.5
    assert frame["total"].isna().tolist() == [False, True, False]
    assert frame["issued"].tolist()[:2] == [dt.date(2025, 4, 1), None]
    assert frame["issued"].iloc[2] == dt.date.min  # BC: outside Python's calendar, kept so the range check rejects it
    assert frame["opt_in"].tolist() == [True, None, False]
    assert frame["name"].iloc[0] == "F\t1\\2\nx" and frame["name"].iloc[2] == ""
    assert frame["name"].isna().tolist() == [False, True, False]  # \N is missing, an empty field is ""


def test_a_record_holds_the_erp_values() -> None:
    assert record(LINES[0], TYPES) == {
        "id": "1",
        "total": Decimal("1160.50"),
        "days": 30,
        "issued": dt.date(2025, 4, 1),
        "opt_in": True,
        "name": "F\t1\\2\nx",
        "updated_at": dt.datetime(2025, 5, 1, 12, tzinfo=dt.UTC),
    }
    assert record(LINES[1], TYPES)["total"] is None and record(LINES[2], TYPES)["name"] == ""


def test_a_chunk_whose_lines_are_not_one_row_each_is_refused() -> None:
    with pytest.raises(ValueError, match="3 COPY lines parsed to 4 rows"):
        gate_frame([LINES[0], LINES[1] + LINES[2], b"4\t1\t1\t2025-04-01\tt\tx\t2025-05-01 12:00:00+00\n"], TYPES)
