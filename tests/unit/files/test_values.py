"""Amounts and dates as people write them in exports, and the evidence that settles their format."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from cartera.sources.files.values import (
    ValueProblem,
    currency_mark,
    date_order_evidence,
    decimal_evidence,
    parse_amount,
    parse_date,
    parse_flag,
)


@pytest.mark.parametrize(
    ("cell", "decimal", "expected"),
    [
        ("1.234,56", None, "1234.56"),
        ("1,234.56", None, "1234.56"),
        ("1 234,56", None, "1234.56"),
        ("1\u00a0234,56", ",", "1234.56"),  # a non-breaking space, as spreadsheets write it
        ("$1,234.56", None, "1234.56"),
        ("1.234,56 MXN", None, "1234.56"),
        ("US$ 20", None, "20"),
        ("MX$ 1.500,00", None, "1500.00"),
        ("(500.00)", None, "-500.00"),
        ("500.00-", None, "-500.00"),
        ("-1.234,5", ",", "-1234.5"),
        ("1.234.567", None, "1234567"),
        ("1,234", ".", "1234"),
        ("1,234", ",", "1.234"),
        ("12,5", None, "12.5"),
        (1500.25, None, "1500.25"),
        (99, None, "99"),
    ],
)
def test_an_amount_is_read_as_people_write_it(cell: object, decimal: str | None, expected: str) -> None:
    assert parse_amount(cell, decimal) == Decimal(expected)


@pytest.mark.parametrize(
    ("cell", "decimal", "problem"),
    [
        ("1,234", None, "thousands separator or a decimal one"),
        ("1.234", None, "thousands separator or a decimal one"),
        ("doce", None, "expected an amount"),
        ("", None, "empty"),
        ("$", None, "empty"),
        (True, None, "yes/no"),
        (float("nan"), None, "empty"),
    ],
)
def test_an_amount_that_cannot_be_read_says_what_was_expected(cell: object, decimal: str | None, problem: str) -> None:
    with pytest.raises(ValueProblem, match=problem):
        parse_amount(cell, decimal)


def test_the_currency_an_amount_names_is_read_but_a_bare_dollar_sign_names_none() -> None:
    assert currency_mark("US$ 20") == "USD"
    assert currency_mark("MX$ 20") == "MXN"
    assert currency_mark("1.234,56 MXN") == "MXN"
    assert currency_mark("20 DLS") == "USD"
    assert currency_mark("$20") is None  # pesos and dollars both write '$'


@pytest.mark.parametrize(
    ("texts", "expected"),
    [
        (["1.234,56"], ","),
        (["12,5", "1.234"], ","),
        (["1,234.56"], "."),
        (["12.50", "1,234"], "."),
        (["1,234", "1.234", "100"], None),  # nothing tells: each such cell is rejected until the mapping says
        ([], None),
    ],
)
def test_the_decimal_separator_is_read_from_amounts_that_show_it(texts: list[str], expected: str | None) -> None:
    assert decimal_evidence(texts) == expected


def test_amounts_that_mix_a_decimal_comma_and_a_decimal_point_are_refused() -> None:
    with pytest.raises(ValueProblem, match="mix a decimal comma and a decimal point"):
        decimal_evidence(["12,50", "7.25"])


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("23/04/2025", "dmy"),
        ("04/23/2025", "mdy"),
        ("23.04.25", "dmy"),
        ("03/04/2025", None),
        ("12/12/2025", None),
        ("2025-04-23", None),
        (dt.date(2025, 4, 23), None),
    ],
)
def test_only_a_date_with_a_day_above_12_tells_the_order(cell: object, expected: str | None) -> None:
    assert date_order_evidence(cell) == expected


@pytest.mark.parametrize(
    ("cell", "order", "expected"),
    [
        ("2025-04-23", None, dt.date(2025, 4, 23)),
        ("2025-04-23 00:00:00", "mdy", dt.date(2025, 4, 23)),  # ISO whatever the file's order
        ("23-abr-2025", None, dt.date(2025, 4, 23)),
        ("23 Apr 2025", None, dt.date(2025, 4, 23)),
        ("23/04/2025", None, dt.date(2025, 4, 23)),
        ("03/04/2025", "dmy", dt.date(2025, 4, 3)),
        ("03/04/2025", "mdy", dt.date(2025, 3, 4)),
        ("23/04/25", "dmy", dt.date(2025, 4, 23)),
        (dt.datetime(2025, 3, 3, 0, 0), None, dt.date(2025, 3, 3)),  # an Excel date cell
    ],
)
def test_dates_are_read_in_every_common_form(cell: object, order: str | None, expected: dt.date) -> None:
    assert parse_date(cell, order) == expected


@pytest.mark.parametrize(
    ("cell", "order", "problem"),
    [
        ("03/04/2025", None, "ambiguous day/month order"),
        ("04/25/2025", "dmy", "does not fit the file's date order"),
        ("31/04/2025", "dmy", "not a valid calendar date"),
        ("23-xyz-2025", None, "month name"),
        ("ayer", None, "expected a date"),
        ("", None, "empty"),
    ],
)
def test_a_date_that_cannot_be_read_is_never_guessed(cell: object, order: str | None, problem: str) -> None:
    with pytest.raises(ValueProblem, match=problem):
        parse_date(cell, order)


def test_yes_and_no_in_spanish_and_english() -> None:
    assert [parse_flag(v) for v in ("Sí", "si", "X", "yes", "1", True)] == [True] * 6
    assert [parse_flag(v) for v in ("No", "", "0", "false", None, False)] == [False] * 6
    with pytest.raises(ValueProblem, match="yes/no"):
        parse_flag("tal vez")
