"""Which customers a page counts: the filters that choose customers (segment, country, collector)
as one SQL condition on a customer id column, and the choices the filter bar offers.

- segment: the customer's latest ``ml.customer_segments`` row;
- country: ``marts.dim_customers.country_code`` (ISO 3166-1 alpha-2, MX when the books leave it
  empty);
- collector: the customer's current row in ``ops.collector_assignments`` (UNASSIGNED: none).

Only the filters that are set are written into the query, so a page without them never reads a
table another stage has not created yet."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql

from cartera.dashboard.tables import UNASSIGNED, Filters, fetch

_SEGMENT = (
    "{customer} in (select customer_id from ml.customer_segments where segment = %(segment)s "
    "and score_date = (select max(score_date) from ml.customer_segments))"
)
_COUNTRY = "{customer} in (select customer_id from marts.dim_customers where country_code = %(country)s)"
_COLLECTOR = (
    "{customer} in (select customer_id from ops.collector_assignments "
    "where ended_at is null and collector = %(collector)s)"
)
# customer_id is never null there, so `not in` is safe (and names no column the outer query has).
_UNASSIGNED = "{customer} not in (select customer_id from ops.collector_assignments where ended_at is null)"


def customers(f: Filters, column: str) -> sql.Composable:
    """A condition on ``column`` (a customer id, e.g. ``o.customer_id``) that keeps the customers
    ``f`` chooses; ``true`` when it chooses none. Its parameters come from :func:`params`."""
    parts = []
    if f.segment is not None:
        parts.append(_SEGMENT)
    if f.country is not None:
        parts.append(_COUNTRY)
    if f.portfolio == UNASSIGNED:
        parts.append(_UNASSIGNED)
    elif f.portfolio is not None:
        parts.append(_COLLECTOR)
    if not parts:
        return sql.SQL("true")
    customer = sql.SQL(column)
    return sql.SQL(" and ").join(sql.SQL("(" + p + ")").format(customer=customer) for p in parts)


def params(f: Filters) -> dict[str, Any]:
    """The named parameters :func:`customers` refers to."""
    return {"segment": f.segment, "country": f.country, "collector": f.portfolio}


@dataclass(frozen=True)
class Choices:
    """What the filter bar offers: the countries of the customers, the collectors with a portfolio."""

    countries: list[str]
    collectors: list[str]


def choices(conn: psycopg.Connection) -> Choices:
    countries = fetch(conn, "select distinct country_code from marts.dim_customers where country_code is not null")
    collectors = fetch(conn, "select distinct collector from ops.collector_assignments where ended_at is null")
    return Choices(
        sorted(str(r["country_code"]) for r in countries),
        sorted(str(r["collector"]) for r in collectors),
    )


def portfolio_size(conn: psycopg.Connection, collector: str) -> int:
    """How many customers ``collector`` works now."""
    rows = fetch(
        conn,
        "select count(*) as n from ops.collector_assignments where ended_at is null and collector = %s",
        (collector,),
    )
    return int(rows[0]["n"]) if rows else 0
