"""What a message needs at send time besides its invoices: the customer's payment reference and
whether WhatsApp's 24-hour customer-service window is open. Values read here are personal data
(an RFC): they go into the message only, never into a log.
"""

from __future__ import annotations

import datetime as dt

import psycopg

WHATSAPP_WINDOW = dt.timedelta(hours=24)


def payment_reference(conn: psycopg.Connection, customer_id: str) -> str:
    """The reference a debtor writes on a transfer so the payment is matched: the customer's RFC
    (marts.dim_customers), or its customer id when the RFC is unknown."""
    row = conn.execute(
        "select nullif(upper(trim(rfc)), '') from marts.dim_customers where customer_id = %s", (customer_id,)
    ).fetchone()
    return str(row[0]) if row and row[0] else customer_id


def whatsapp_window_open(conn: psycopg.Connection, customer_id: str, at: dt.datetime) -> bool:
    """Whether the customer wrote to us on WhatsApp in the 24 hours before `at` (free text is
    then allowed; otherwise only an approved template)."""
    exists = conn.execute("select to_regclass('ops.inbound_replies') is not null").fetchone()
    if not exists or not exists[0]:
        return False
    row = conn.execute(
        "select exists (select 1 from ops.inbound_replies where customer_id = %s and channel = 'whatsapp' "
        "and received_at > %s and received_at <= %s)",
        (customer_id, at - WHATSAPP_WINDOW, at),
    ).fetchone()
    return bool(row and row[0])
