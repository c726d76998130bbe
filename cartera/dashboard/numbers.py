"""Numbers and dates as babel writes them, fast: a page shows thousands of cells (13 months of
daily KPIs, weekly tables), and babel's formatters look the locale's symbols and the pattern up on
every call (about 0.3 ms a cell, most of the dashboard's time to render).

Each (pattern, locale, currency) is prepared once: the pattern's precision and grouping, and the
text babel writes around the number (currency symbol, sign, percent sign) found by formatting a
probe value with babel itself. A cell then rounds and groups the digits exactly as babel's
NumberPattern.apply does (the value's sign taken before rounding, half-even rounding, the
locale's group and decimal symbols). Whatever the preparation cannot vouch for (a probe that does
not come out as expected, a value that is not finite) is left to babel.
tests/unit/dashboard/test_numbers.py holds the output equal to babel's on many values."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.numbers import (
    format_currency,
    format_decimal,
    format_percent,
    get_currency_precision,
    get_decimal_symbol,
    get_group_symbol,
    parse_pattern,
)

Number = int | float | Decimal
_PROBE = Decimal("1234567.5")


@dataclass(frozen=True)
class _Prepared:
    min_int: int
    grouping: tuple[int, int]
    frac: tuple[int, int]
    scale: int
    quantum: Decimal
    group: str
    decimal: str
    prefix: tuple[str, str]  # positive, negative
    suffix: tuple[str, str]


def _babel(value: Number, pattern: str | None, locale: str, currency: str | None) -> str:
    if currency is not None:
        return format_currency(value, currency, locale=locale)
    assert pattern is not None
    if "%" in pattern:
        return format_percent(value, format=pattern, locale=locale)
    return format_decimal(value, format=pattern, locale=locale)


def _digits(p: _Prepared, value: Decimal) -> tuple[bool, str]:
    """(negative, the number without its sign), as NumberPattern._quantize_value writes it."""
    value = value.scaleb(p.scale)
    negative = value.is_signed()
    rounded = abs(value).normalize().quantize(p.quantum)
    whole, _, fraction = f"{rounded:f}".partition(".")
    whole = whole.rjust(p.min_int, "0")
    size, parts = p.grouping[0], []
    while len(whole) > size:
        parts.append(whole[-size:])
        whole = whole[:-size]
        size = p.grouping[1]
    text = p.group.join([whole, *reversed(parts)])
    low, high = p.frac
    fraction = (fraction or "0").ljust(low, "0")
    if high == 0 or (low == 0 and int(fraction) == 0):
        return negative, text
    while len(fraction) > low and fraction[-1] == "0":
        fraction = fraction[:-1]
    return negative, text + p.decimal + fraction


@lru_cache(maxsize=128)
def _prepare(pattern: str | None, locale: str, currency: str | None) -> _Prepared | None:
    if currency is not None:
        parsed = Locale.parse(locale).currency_formats["standard"]
    elif pattern is not None:
        parsed = parse_pattern(pattern)
    else:
        return None
    if parsed.exp_prec or "@" in parsed.pattern:
        return None
    frac = (get_currency_precision(currency),) * 2 if currency is not None else parsed.frac_prec
    prepared = _Prepared(
        min_int=parsed.int_prec[0],
        grouping=parsed.grouping,
        frac=frac,
        scale=parsed.scale,
        quantum=Decimal(1).scaleb(-frac[1]),
        group=get_group_symbol(locale),
        decimal=get_decimal_symbol(locale),
        prefix=("", ""),
        suffix=("", ""),
    )
    prefix, suffix = [], []
    for probe in (_PROBE, -_PROBE):
        written = _babel(probe, pattern, locale, currency)
        _, number = _digits(prepared, probe)
        if written.count(number) != 1:
            return None
        before, _, after = written.partition(number)
        prefix.append(before)
        suffix.append(after)
    return _Prepared(**{**prepared.__dict__, "prefix": tuple(prefix), "suffix": tuple(suffix)})


def number(value: Number, pattern: str | None, locale: str, currency: str | None = None) -> str:
    """``value`` as babel's format_decimal (pattern), format_percent (a pattern with %) or, with a
    currency, format_currency in the locale's standard currency format would write it."""
    p = _prepare(pattern, locale, currency)
    as_decimal = value if isinstance(value, Decimal) else Decimal(str(value))
    if p is None or not as_decimal.is_finite():
        return _babel(value, pattern, locale, currency)
    negative, digits = _digits(p, as_decimal)
    return p.prefix[negative] + digits + p.suffix[negative]


@lru_cache(maxsize=4096)
def date(value: dt.date, pattern: str, locale: str) -> str:
    """babel's format_date, remembered (a page repeats the same days in several tables)."""
    return format_date(value, pattern, locale=locale)


@lru_cache(maxsize=4096)
def datetime(value: dt.datetime, pattern: str, tz: dt.tzinfo, locale: str) -> str:
    """babel's format_datetime, remembered."""
    return format_datetime(value, pattern, tzinfo=tz, locale=locale)
