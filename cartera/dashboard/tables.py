"""What every page, export and JSON answer is made of: a titled table of typed columns, the
filters a person set, and reading the warehouse without failing when a stage never ran or a
column is not there yet (the marts change while the dashboard runs: a missing column is left
out, a missing table is an empty table)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from functools import lru_cache
from typing import Any

import psycopg
from psycopg.rows import dict_row

from cartera.collector_assignments import COLLECTOR_NAME

SEGMENTS = ("new", "exemplary", "occasional", "at_risk", "chronic")
# The collector filter's two values that name no collector: every customer (chosen explicitly, so
# the worklist does not fall back to the collector's own portfolio) and the unassigned ones.
ALL_COLLECTORS = "*"
UNASSIGNED = "-"
# Filters that follow a person from page to page (links, drill-down, exports, action redirects).
STICKY = ("from", "to", "currency", "segment", "country", "collector")
_CURRENCY = re.compile(r"[A-Z]{3}")
_ID = re.compile(r"[A-Za-z0-9_.:/-]{1,64}")
# CLDR's two-letter territories that are groupings or placeholders, not countries.
_NOT_COUNTRIES = frozenset({"EU", "EZ", "QO", "UN", "XA", "XB", "ZZ"})


@lru_cache(maxsize=1)
def iso_countries() -> frozenset[str]:
    """ISO 3166-1 alpha-2 codes (from CLDR, through babel)."""
    from babel import Locale

    codes = [str(c) for c in Locale.parse("en").territories]
    return frozenset(c for c in codes if len(c) == 2 and c.isalpha() and c not in _NOT_COUNTRIES)


@dataclass(frozen=True)
class Column:
    key: str
    label: str  # a key of i18n's words, or the text itself
    kind: str = "text"  # see i18n.Kind


@dataclass
class Table:
    key: str
    title: str  # a key of i18n's words
    columns: list[Column]
    rows: list[dict[str, Any]]
    notes: list[str] = field(default_factory=list)
    currency: str = "MXN"

    def json_rows(self) -> list[dict[str, Any]]:
        """Rows for the JSON API: numbers as numbers, dates as ISO text."""
        return [{c.key: json_value(row.get(c.key)) for c in self.columns} for row in self.rows]


def json_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value) if not value.is_finite() or value != value.to_integral_value() else int(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


@dataclass(frozen=True)
class Filters:
    """What a person chose: a date range, a currency (None: every currency, in MXN), the customers
    to count (a segment, a country as ISO 3166-1 alpha-2, a collector's portfolio: a collector's
    username, UNASSIGNED or ALL_COLLECTORS), and for drill-downs the customer or invoice. Unknown
    or malformed values are dropped."""

    date_from: dt.date | None = None
    date_to: dt.date | None = None
    currency: str | None = None
    segment: str | None = None
    country: str | None = None
    collector: str | None = None
    customer_id: str | None = None
    invoice_id: str | None = None
    q: str | None = None
    lang: str = "es"  # the page's language (reasons are stored in both)

    @classmethod
    def from_query(cls, params: Mapping[str, str]) -> Filters:
        def day(name: str) -> dt.date | None:
            try:
                return dt.date.fromisoformat(params.get(name, "").strip())
            except ValueError:
                return None

        currency = params.get("currency", "").strip().upper()
        segment = params.get("segment", "").strip()
        country = params.get("country", "").strip().upper()
        collector = params.get("collector", "").strip()
        customer = params.get("customer", "").strip()
        invoice = params.get("invoice", "").strip()
        q = params.get("q", "").strip()[:64]
        return cls(
            date_from=day("from"),
            date_to=day("to"),
            currency=currency if _CURRENCY.fullmatch(currency) else None,
            segment=segment if segment in SEGMENTS else None,
            country=country if country in iso_countries() else None,
            collector=collector
            if collector in (ALL_COLLECTORS, UNASSIGNED) or COLLECTOR_NAME.fullmatch(collector)
            else None,
            customer_id=customer if _ID.fullmatch(customer) else None,
            invoice_id=invoice if _ID.fullmatch(invoice) else None,
            q=q or None,
        )

    def with_range(self, last: dt.date | None, default_days: int) -> Filters:
        """The range to show: as chosen, else the ``default_days`` up to ``last`` (the last day
        with data)."""
        if last is None:
            return self
        to = self.date_to or last
        return replace(self, date_from=self.date_from or to - dt.timedelta(days=default_days), date_to=to)

    def query(self) -> dict[str, str]:
        """The filters as query parameters (for links and the export button)."""
        out = {
            "from": self.date_from.isoformat() if self.date_from else "",
            "to": self.date_to.isoformat() if self.date_to else "",
            "currency": self.currency or "",
            "segment": self.segment or "",
            "country": self.country or "",
            "collector": self.collector or "",
            "customer": self.customer_id or "",
            "invoice": self.invoice_id or "",
            "q": self.q or "",
        }
        return {k: v for k, v in out.items() if v}

    @property
    def portfolio(self) -> str | None:
        """The collector whose customers count (or UNASSIGNED); None: every customer."""
        return None if self.collector in (None, ALL_COLLECTORS) else self.collector

    @property
    def scoped(self) -> list[str]:
        """Which of the filters that choose customers are set (segment, country, collector): a
        figure the warehouse keeps only for the whole book cannot honour them."""
        chosen = {"segment": self.segment, "country": self.country, "collector": self.portfolio}
        return [name for name, value in chosen.items() if value is not None]


def columns_of(conn: psycopg.Connection, schema: str, table: str) -> set[str]:
    """The columns a table or view has now (those this role may read, as information_schema
    shows them); empty when it does not exist. Read from pg_catalog: information_schema.columns
    is a view over every relation that costs several times more, and a page asks this often."""
    rows = conn.execute(
        "select attname from pg_catalog.pg_attribute "
        "where attrelid = to_regclass(format('%%I.%%I', %s::text, %s::text)) and attnum > 0 and not attisdropped "
        "and has_column_privilege(attrelid, attnum, 'select')",
        (schema, table),
    ).fetchall()
    return {str(r[0]) for r in rows}


def fetch(conn: psycopg.Connection, query: Any, params: Any = None) -> list[dict[str, Any]]:
    """Rows as dicts; a table or column that does not exist (a stage that never ran) is no rows."""
    try:
        with conn.transaction(), conn.cursor(row_factory=dict_row) as cur:
            cur.execute(query, params)
            return list(cur.fetchall())
    except (psycopg.errors.UndefinedTable, psycopg.errors.UndefinedColumn, psycopg.errors.InvalidSchemaName):
        return []


def scalar(conn: psycopg.Connection, query: Any, params: Any = None) -> Any:
    rows = fetch(conn, query, params)
    return next(iter(rows[0].values())) if rows else None
