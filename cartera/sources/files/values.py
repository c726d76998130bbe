"""Reading the values of an export: amounts written every way people write them, and dates whose
order (day first or month first) is decided from evidence in the file, never guessed."""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation

from cartera.sources.files.limits import AMOUNT_LIMIT

# Currency marks that may stick to an amount; a code found there can settle the currency.
_CODES = ("MXN", "USD", "EUR", "US$", "MX$", "M.N.", "MN", "DLS", "USD$")
_SYMBOLS = re.compile(r"(US\$|MX\$|USD\$|M\.N\.|\bMXN\b|\bUSD\b|\bEUR\b|\bDLS\b|\bMN\b|[$€£¥])", re.IGNORECASE)
_CODE_OF = {"US$": "USD", "USD$": "USD", "DLS": "USD", "MX$": "MXN", "M.N.": "MXN", "MN": "MXN"}


class ValueProblem(ValueError):
    """A cell that cannot be read; the message says what was expected (never the value itself)."""


def currency_mark(text: str) -> str | None:
    """The currency an amount's own mark names (US$ -> USD, MXN -> MXN), if any ($ alone says nothing)."""
    for match in _SYMBOLS.finditer(text):
        mark = match.group(1).upper()
        code = _CODE_OF.get(mark, mark)
        if len(code) == 3 and code.isalpha():
            return code
    return None


def _bare(text: str) -> tuple[str, bool]:
    """The digits and separators of an amount, and whether it is negative."""
    value = _SYMBOLS.sub("", text).replace("\u00a0", " ").replace("\u202f", " ").strip()
    negative = False
    if value.startswith("(") and value.endswith(")"):
        negative, value = True, value[1:-1].strip()
    if value.endswith("-"):
        negative, value = True, value[:-1].strip()
    if value.startswith("-"):
        negative, value = not negative, value[1:].strip()
    value = value.replace(" ", "").replace("'", "")
    return value, negative


def decimal_evidence(texts: Iterable[str]) -> str | None:
    """',' or '.' when some amount shows which separator is the decimal one, else None.

    '1.234,56' and '12,5' show a decimal comma; '1,234.56' and '12.5' a decimal point; '1,234' or
    '1.234' alone show nothing (a thousands group or three decimals)."""
    comma = point = False
    for text in texts:
        value, _ = _bare(text)
        if "," in value and "." in value:
            comma |= value.rfind(",") > value.rfind(".")
            point |= value.rfind(".") > value.rfind(",")
        elif re.fullmatch(r"\d*,\d{1,2}|\d*,\d{4,}", value) or value.count(",") == 0 and value.count(".") > 1:
            comma = True
        elif re.fullmatch(r"\d*\.\d{1,2}|\d*\.\d{4,}", value) or value.count(".") == 0 and value.count(",") > 1:
            point = True
    if comma and point:
        raise ValueProblem("the amounts mix a decimal comma and a decimal point")
    return "," if comma else "." if point else None


def parse_amount(cell: object, decimal: str | None) -> Decimal:
    """A Decimal from a number or text like '$1,234.56', '1.234,56 MXN', '(500.00)', '1 234,5'."""
    if isinstance(cell, bool):
        raise ValueProblem("expected an amount, found a yes/no value")
    if isinstance(cell, int | float):
        if cell != cell:  # NaN
            raise ValueProblem("the amount is empty")
        return _bounded(Decimal(str(cell)))
    value, negative = _bare(str(cell))
    if not value:
        raise ValueProblem("the amount is empty")
    if not re.fullmatch(r"[\d.,]+", value):
        raise ValueProblem("expected an amount (digits with , or . separators and an optional currency mark)")
    separators = set(value) & {",", "."}
    if len(separators) == 2:
        decimal_mark = "," if value.rfind(",") > value.rfind(".") else "."
    elif separators:
        (mark,) = separators
        digits_after = len(value) - value.rfind(mark) - 1
        if value.count(mark) > 1:
            decimal_mark = "," if mark == "." else "."  # '1.234.567' is a thousands-grouped integer
        elif digits_after == 3 and decimal is None:
            raise ValueProblem(
                f"'{mark}' followed by three digits may be a thousands separator or a decimal one: "
                "set `decimal:` in the mapping"
            )
        else:
            decimal_mark = decimal or mark
    else:
        decimal_mark = decimal or "."
    thousands = "." if decimal_mark == "," else ","
    if decimal_mark in value and value.count(decimal_mark) > 1:
        raise ValueProblem(f"more than one decimal separator '{decimal_mark}'")
    normal = value.replace(thousands, "").replace(decimal_mark, ".")
    try:
        amount = Decimal(normal)
    except InvalidOperation as exc:
        raise ValueProblem("expected an amount") from exc
    return _bounded(-amount if negative else amount)


def _bounded(amount: Decimal) -> Decimal:
    """The amount, if the warehouse's numeric(18, 2) can hold it (rounded to cents)."""
    if not amount.is_finite() or abs(amount) >= AMOUNT_LIMIT:
        raise ValueProblem("too large: the warehouse holds amounts below 10^16 (numeric(18, 2)); check the value")
    return amount


_ISO = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T].*)?")
_SLASHED = re.compile(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{2}|\d{4})(?: .*)?")
_MONTHS = {
    **{
        m: i
        for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)
    },
    **{
        m: i
        for i, m in enumerate(("ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "oct", "nov", "dic"), 1)
    },
    "sept": 9,
    "set": 9,
}
_NAMED = re.compile(r"(\d{1,2})[-/ .]([A-Za-z]{3,4})\.?[-/ .](\d{2}|\d{4})")


def date_order_evidence(cell: object) -> str | None:
    """'dmy' for 23/04/2025, 'mdy' for 04/23/2025, None when the cell does not tell (ISO, 03/04/2025)."""
    if not isinstance(cell, str):
        return None
    match = _SLASHED.fullmatch(cell.strip())
    if not match:
        return None
    first, second = int(match.group(1)), int(match.group(2))
    if first > 12 >= second:
        return "dmy"
    if second > 12 >= first:
        return "mdy"
    return None


def parse_date(cell: object, order: str | None) -> dt.date:
    """A date from an Excel date cell, ISO text, '23-abr-2025', or d/m/y or m/d/y by `order`
    ('dmy' or 'mdy'; None only works for cells that tell by themselves)."""
    if isinstance(cell, dt.datetime):
        return cell.date()
    if isinstance(cell, dt.date):
        return cell
    text = str(cell).strip()
    if not text:
        raise ValueProblem("the date is empty")
    try:
        if match := _ISO.fullmatch(text):
            return dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        if match := _NAMED.fullmatch(text):
            month = _MONTHS.get(match.group(2).lower().rstrip("."))
            if month is None:
                raise ValueProblem("expected a month name such as 'abr' or 'Apr'")
            return dt.date(_year(match.group(3)), month, int(match.group(1)))
        if match := _SLASHED.fullmatch(text):
            first, second, year = int(match.group(1)), int(match.group(2)), _year(match.group(3))
            told = date_order_evidence(text)
            use = order or told
            if use is None:
                raise ValueProblem("ambiguous day/month order: set `date_format:` in the mapping")
            if told is not None and told != use:
                raise ValueProblem(f"does not fit the file's date order ({_FORMAT[use]})")
            day, month = (first, second) if use == "dmy" else (second, first)
            return dt.date(year, month, day)
    except ValueError as exc:
        if isinstance(exc, ValueProblem):
            raise
        raise ValueProblem("not a valid calendar date") from exc
    raise ValueProblem("expected a date such as 2025-04-23, 23/04/2025 or 23-abr-2025")


_FORMAT = {"dmy": "dd/mm/yyyy", "mdy": "mm/dd/yyyy", "ymd": "yyyy-mm-dd"}


def _year(text: str) -> int:
    year = int(text)
    return year + 2000 if year < 100 else year


def parse_flag(cell: object) -> bool:
    """Yes/no in English or Spanish, 1/0, true/false, x; empty is no."""
    if isinstance(cell, bool):
        return cell
    text = str(cell or "").strip().lower()
    if text in ("", "0", "no", "n", "false", "f", "falso"):
        return False
    if text in ("1", "si", "sí", "s", "yes", "y", "true", "t", "verdadero", "x"):
        return True
    raise ValueProblem("expected yes/no (sí, no, 1, 0, true, false)")


def parse_int(cell: object) -> int:
    if isinstance(cell, int | float) and not isinstance(cell, bool):
        if isinstance(cell, float) and not math.isfinite(cell):
            raise ValueProblem("expected a whole number")
        if cell != int(cell):
            raise ValueProblem("expected a whole number")
        return int(cell)
    match = re.search(r"\d{1,9}", str(cell or ""))
    if not match:
        raise ValueProblem("expected a number of days")
    return int(match.group(0))


# Customers' countries an export may name: ISO 3166 two-letter codes, and the names and
# three-letter codes people write for the usual ones (the first name is the one reports show).
COUNTRY_NAMES = {
    "MX": ("Mexico", "mexico", "mex", "republica mexicana", "mx"),
    "US": ("United States", "united states", "usa", "us", "estados unidos", "eua", "eeuu", "ee uu"),
    "CA": ("Canada", "canada", "can"),
    "GT": ("Guatemala", "guatemala", "gtm"),
    "SV": ("El Salvador", "el salvador", "slv"),
    "HN": ("Honduras", "honduras", "hnd"),
    "NI": ("Nicaragua", "nicaragua", "nic"),
    "CR": ("Costa Rica", "costa rica", "cri"),
    "PA": ("Panama", "panama", "pan"),
    "DO": ("Dominican Republic", "republica dominicana", "dom"),
    "CO": ("Colombia", "colombia", "col"),
    "EC": ("Ecuador", "ecuador", "ecu"),
    "PE": ("Peru", "peru", "per"),
    "BO": ("Bolivia", "bolivia", "bol"),
    "CL": ("Chile", "chile", "chl"),
    "AR": ("Argentina", "argentina", "arg"),
    "UY": ("Uruguay", "uruguay", "ury"),
    "PY": ("Paraguay", "paraguay", "pry"),
    "BR": ("Brazil", "brasil", "brazil", "bra"),
    "ES": ("Spain", "espana", "spain", "esp"),
    "DE": ("Germany", "alemania", "germany", "deu"),
    "FR": ("France", "francia", "france", "fra"),
    "GB": ("United Kingdom", "reino unido", "united kingdom", "uk", "gbr"),
    "CN": ("China", "china", "chn"),
    "JP": ("Japan", "japon", "japan", "jpn"),
}
_COUNTRY_OF = {name: code for code, names in COUNTRY_NAMES.items() for name in (code.lower(), *names[1:])}


def parse_country(cell: object) -> str:
    """A customer's country as its ISO two-letter code, from the code, a common three-letter code or
    the name in Spanish or English ('México', 'MEX', 'mx' -> 'MX')."""
    text = unicodedata.normalize("NFKD", str(cell or "")).encode("ascii", "ignore").decode()
    key = " ".join(re.sub(r"[^a-z]+", " ", text.lower()).split())
    if not key:
        raise ValueProblem("the country is empty")
    code = _COUNTRY_OF.get(key)
    if code is None:
        raise ValueProblem(f"unknown country; expected a code such as {', '.join(list(COUNTRY_NAMES)[:4])}")
    return code
