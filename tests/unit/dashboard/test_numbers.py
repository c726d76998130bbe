"""The dashboard's fast number and date formats write exactly what babel writes: every pattern the
pages use, both languages' locales, several currencies (two decimals, none, three), on any value
(ties of the rounding, negatives that round to zero, large and tiny numbers, floats and ints)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from babel.dates import format_date, format_datetime
from babel.numbers import format_currency, format_decimal, format_percent
from hypothesis import given, settings
from hypothesis import strategies as st

from cartera.dashboard import numbers
from cartera.dashboard.i18n import fmt

LOCALES = ("es_MX", "en_US")
PATTERNS = ("#,##0", "#,##0.##", "#,##0.0", "#,##0.0 %")
CURRENCIES = ("MXN", "USD", "EUR", "JPY", "KWD")
TRICKY = [
    Decimal("0"), Decimal("-0"), Decimal("0.005"), Decimal("0.015"), Decimal("-0.004"), Decimal("-0.005"),
    Decimal("2.5"), Decimal("3.5"), Decimal("-2.5"), Decimal("0.05"), Decimal("0.15"), Decimal("0.25"),
    Decimal("999.995"), Decimal("999999.5"), Decimal("1000"), Decimal("1E+3"), Decimal("12345678901234.56"),
    Decimal("1E-7"), Decimal("100564286.34"), Decimal("-1234567.891"), 0, -1, 7, 1234567, 0.1, 0.125, -0.0,
    2.675, 1e-9, 123456789.125, 0.0005,
]  # fmt: skip


def _babel(value: object, pattern: str | None, locale: str, currency: str | None) -> str:
    if currency is not None:
        return format_currency(value, currency, locale=locale)  # type: ignore[arg-type]
    assert pattern is not None
    if "%" in pattern:
        return format_percent(value, format=pattern, locale=locale)  # type: ignore[arg-type]
    return format_decimal(value, format=pattern, locale=locale)  # type: ignore[arg-type]


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("value", TRICKY, ids=repr)
def test_the_tricky_values_come_out_as_babel_writes_them(value: numbers.Number, locale: str) -> None:
    for pattern in PATTERNS:
        assert numbers.number(value, pattern, locale) == _babel(value, pattern, locale, None), pattern
    for currency in CURRENCIES:
        assert numbers.number(value, None, locale, currency) == _babel(value, None, locale, currency), currency


values = st.one_of(
    st.decimals(allow_nan=False, allow_infinity=False, places=2, min_value=-(10**12), max_value=10**12),
    st.decimals(allow_nan=False, allow_infinity=False, places=6, min_value=-(10**6), max_value=10**6),
    st.floats(allow_nan=False, allow_infinity=False, min_value=-1e12, max_value=1e12),
    st.integers(min_value=-(10**15), max_value=10**15),
)


@settings(max_examples=1500, deadline=None)
@given(
    value=values,
    locale=st.sampled_from(LOCALES),
    pattern=st.sampled_from((*PATTERNS, None)),
    currency=st.sampled_from(CURRENCIES),
)
def test_any_value_comes_out_as_babel_writes_it(
    value: numbers.Number, locale: str, pattern: str | None, currency: str
) -> None:
    money = currency if pattern is None else None
    assert numbers.number(value, pattern, locale, money) == _babel(value, pattern, locale, money)


def test_what_is_not_a_finite_number_is_left_to_babel() -> None:
    for value in (Decimal("NaN"), Decimal("Infinity"), float("-inf")):
        assert numbers.number(value, "#,##0.##", "es_MX") == format_decimal(value, "#,##0.##", locale="es_MX")


def test_a_wrong_implementation_would_be_caught() -> None:
    # the comparison above can fail: the es_MX and en_US money formats differ for the same currency
    assert numbers.number(Decimal("1234.5"), None, "es_MX", "USD") != numbers.number(
        Decimal("1234.5"), None, "en_US", "USD"
    )


@settings(max_examples=300, deadline=None)
@given(day=st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2100, 1, 1)), locale=st.sampled_from(LOCALES))
def test_dates_come_out_as_babel_writes_them(day: dt.date, locale: str) -> None:
    assert numbers.date(day, "d MMM yyyy", locale) == format_date(day, "d MMM yyyy", locale=locale)


@settings(max_examples=300, deadline=None)
@given(
    at=st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2100, 1, 1), timezones=st.just(dt.UTC)),
    locale=st.sampled_from(LOCALES),
)
def test_times_come_out_as_babel_writes_them(at: dt.datetime, locale: str) -> None:
    from cartera.run_dates import BOOKS_TZ

    local = at.astimezone(BOOKS_TZ)
    expected = format_datetime(local, "yyyy-MM-dd HH:mm", tzinfo=BOOKS_TZ, locale=locale)
    assert numbers.datetime(local, "yyyy-MM-dd HH:mm", BOOKS_TZ, locale) == expected


@pytest.mark.parametrize(
    ("value", "kind", "lang", "currency", "shown"),
    [
        (Decimal("100564286.34"), "money", "es", "MXN", "$100,564,286.34"),
        (Decimal("-1234.5"), "money", "en", "USD", "-$1,234.50"),
        (Decimal("42.25"), "pct", "es", "MXN", "42.2 %"),
        (0.1234, "rate", "es", "MXN", "12.3 %"),
        (16, "days", "en", "MXN", "16"),
        (1234567, "int", "es", "MXN", "1,234,567"),
        (dt.date(2026, 11, 24), "date", "en", "MXN", "24 Nov 2026"),
    ],
)
def test_the_cells_read_as_before(value: object, kind: str, lang: str, currency: str, shown: str) -> None:
    assert fmt(value, kind, lang, currency) == shown
