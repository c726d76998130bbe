"""Batch approval for admins: the batches waiting, each one's preview (stored by
cartera.campaigns.approval when the batch was assessed) and a few sample messages rendered as the
customer would read them, with the same templates dispatch uses. Rendered messages contain
personal data: they go to the admin's page only, never to a log."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal

import psycopg

from cartera.campaigns import approval
from cartera.dashboard.tables import Column, Filters, Table, fetch
from cartera.logs import get_logger

_log = get_logger(__name__)
MAX_SAMPLES = 5


@dataclass(frozen=True)
class Sample:
    outbox_id: int
    channel: str
    step: str
    subject: str
    text: str
    error: str | None = None


def batches(conn: psycopg.Connection, f: Filters) -> Table:
    """Batches waiting first, then the last 30 decided."""
    rows = fetch(
        conn,
        """select a.batch_id, b.as_of_date, a.status, a.requested_at, (a.preview->>'messages')::integer as messages,
                  (a.preview->>'amount_mxn')::numeric as amount_mxn, a.decided_by, a.decided_at, a.note
           from ops.batch_approvals a join ops.campaign_batches b using (batch_id)
           order by a.status = 'pending' desc, coalesce(a.decided_at, a.requested_at) desc
           limit 60""",
    )
    columns = [
        Column("batch_id", "Lote / batch"),
        Column("as_of_date", "Fecha / day", "date"),
        Column("status", "Estado / status"),
        Column("requested_at", "Solicitado / requested", "datetime"),
        Column("messages", "messages", "int"),
        Column("amount_mxn", "amount_named", "money"),
        Column("decided_by", "Quién / who"),
        Column("decided_at", "decided", "datetime"),
        Column("note", "note"),
    ]
    return Table("batches", "batches", columns, rows)


def batch(conn: psycopg.Connection, batch_id: str) -> dict[str, Any] | None:
    rows = fetch(
        conn,
        """select a.batch_id, b.as_of_date, b.playbook_version, b.policy_version, a.status, a.reasons, a.preview,
                  a.requested_at, a.decided_by, a.decided_at, a.note
           from ops.batch_approvals a join ops.campaign_batches b using (batch_id) where a.batch_id = %s""",
        (batch_id,),
    )
    return rows[0] if rows else None


def samples(conn: psycopg.Connection, outbox_ids: list[int]) -> list[Sample]:
    """Render the sample messages (at most MAX_SAMPLES) with the dispatch's templates and data."""
    from cartera.campaigns import contact_data, message_context
    from cartera.campaigns.rendering import render_message

    out: list[Sample] = []
    for outbox_id in outbox_ids[:MAX_SAMPLES]:
        row = conn.execute(
            "select customer_id, channel, step, template, invoice_ids, as_of_date from ops.outbox where outbox_id = %s",
            (outbox_id,),
        ).fetchone()
        if row is None:
            continue
        customer_id, channel, step, template, invoice_ids, as_of = row
        try:
            from cartera.campaigns.creditor import creditor_from_settings
            from cartera.config import get_settings

            with conn.transaction():
                snapshot, current = contact_data.load_current_items(conn, invoice_ids)
                items = tuple(current.get(i) or contact_data.closed_placeholder(i, customer_id) for i in invoice_ids)
                recipient = contact_data.load_recipient(conn, customer_id)
                rendered = render_message(
                    channel,
                    template,
                    recipient.language if recipient else "es-MX",
                    invoices=items,
                    as_of=snapshot or as_of,
                    creditor=creditor_from_settings(get_settings().company_name),
                    contact_name=recipient.contact_name if recipient else None,
                    reference=message_context.payment_reference(conn, customer_id),
                )
            out.append(Sample(outbox_id, channel, step, rendered.subject, rendered.text))
        except Exception as exc:  # noqa: BLE001 - a sample that cannot be rendered is shown as such
            _log.warning("sample %s could not be rendered: %s", outbox_id, type(exc).__name__)
            out.append(Sample(outbox_id, channel, step, "", "", error=type(exc).__name__))
    return out


def decide(
    conn: psycopg.Connection,
    batch_id: str,
    decision: Literal["approved", "rejected"],
    by: str,
    at: dt.datetime,
    note: str | None,
) -> bool:
    """The backend's decision (audited: who, when, the note); False when the batch is not waiting."""
    return approval.decide(conn, batch_id, decision, by, at, note)
