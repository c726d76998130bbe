"""Which collector works which customer: the portfolio, kept in ``ops.collector_assignments``.

The books (the synthetic ERP, the CSV imports) carry no collector or salesperson field, so the
assignment is made in cartera, as AR teams do: ``cartera portfolio assign`` or an admin on the
customer's page. A collector is named by the username they sign in with (Airflow's), which is how
the worklist finds their own portfolio.

Customers are resolved first with :mod:`cartera.resolve` (internal id or RFC) and every change is
written in the caller's transaction: one unknown or ambiguous reference raises BadInputError and
nothing is written. History is kept: a reassignment ends the current row and adds one, with who
and when. Instants are passed in (``at``, timezone-aware); nothing here reads the clock.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass

import psycopg

from cartera.errors import BadInputError
from cartera.resolve import resolve_customer

COLLECTOR_NAME = re.compile(r"[A-Za-z0-9_.@-]{1,64}")  # the table's check, and the dashboard's filter


@dataclass(frozen=True)
class Change:
    """One customer's assignment after a call: its collector before and after (None: nobody)."""

    customer_id: str
    before: str | None
    after: str | None


def collector_name(value: str) -> str:
    """A collector's name as stored, or BadInputError (letters, digits and ``_ . @ -``, 1-64)."""
    name = value.strip()
    if not COLLECTOR_NAME.fullmatch(name):
        raise BadInputError("a collector is named by their sign-in username: letters, digits, _ . @ -, 1 to 64")
    return name


def _aware(at: dt.datetime) -> dt.datetime:
    if at.tzinfo is None:
        raise ValueError("at must be timezone-aware")
    return at


def _resolve_all(conn: psycopg.Connection, customers: Sequence[str]) -> list[str]:
    if not customers:
        raise BadInputError("name at least one customer (internal id or RFC)")
    return list(dict.fromkeys(resolve_customer(conn, c) for c in customers))


def _set(
    conn: psycopg.Connection, customers: Sequence[str], collector: str | None, at: dt.datetime, by: str
) -> list[Change]:
    when = _aware(at)
    who = by[:64] or "unknown"
    changes = []
    for customer_id in _resolve_all(conn, customers):
        row = conn.execute(
            "select collector from ops.collector_assignments where customer_id = %s and ended_at is null for update",
            (customer_id,),
        ).fetchone()
        before = str(row[0]) if row else None
        if before != collector:
            conn.execute(
                "update ops.collector_assignments set ended_at = %s, ended_by = %s "
                "where customer_id = %s and ended_at is null",
                (when, who, customer_id),
            )
            if collector is not None:
                conn.execute(
                    "insert into ops.collector_assignments (customer_id, collector, assigned_at, assigned_by) "
                    "values (%s, %s, %s, %s)",
                    (customer_id, collector, when, who),
                )
        changes.append(Change(customer_id, before, collector))
    return changes


def assign(
    conn: psycopg.Connection, customers: Sequence[str], collector: str, *, at: dt.datetime, by: str
) -> list[Change]:
    """Give ``customers`` (ids or RFCs) to ``collector`` from ``at``; a customer already theirs is
    left as it is (no new row)."""
    return _set(conn, customers, collector_name(collector), at, by)


def unassign(conn: psycopg.Connection, customers: Sequence[str], *, at: dt.datetime, by: str) -> list[Change]:
    """Leave ``customers`` without a collector from ``at``."""
    return _set(conn, customers, None, at, by)


def collector_of(conn: psycopg.Connection, customer_id: str) -> str | None:
    """The customer's current collector (None: unassigned)."""
    row = conn.execute(
        "select collector from ops.collector_assignments where customer_id = %s and ended_at is null",
        (customer_id,),
    ).fetchone()
    return str(row[0]) if row else None


def portfolios(conn: psycopg.Connection) -> dict[str, list[str]]:
    """Every collector with a current portfolio, and its customers' ids, in order."""
    out: dict[str, list[str]] = {}
    for collector, customer_id in conn.execute(
        "select collector, customer_id from ops.collector_assignments where ended_at is null order by 1, 2"
    ).fetchall():
        out.setdefault(str(collector), []).append(str(customer_id))
    return out
