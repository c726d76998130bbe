"""The daily anomaly run (DAG ``anomalies`` through :func:`cartera.tasks.anomalies_for_run`):
read the warehouse as of the business date, detect, write ``ops.alerts``, hold invoices raised as
duplicates until someone decides, and e-mail finance the high-severity alerts.

Idempotent for a date: alerts are keyed by their facts (a rerun counts occurrences, a dismissed
alert stays dismissed), a duplicate's hold is opened once per alert, and each alert is e-mailed
at most once.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

import psycopg

from cartera.anomalies.book import Finding
from cartera.anomalies.detect import detect, write_findings
from cartera.anomalies.from_warehouse import book_from_warehouse
from cartera.anomalies.notify import NotifySummary, email_finance
from cartera.channels import Channel
from cartera.db import connect
from cartera.logs import get_logger

log = get_logger(__name__)
LOOKBACK_DAYS = 45


@dataclass(frozen=True)
class AnomalyRunSummary:
    as_of: dt.date
    findings: int
    by_kind: dict[str, int] = field(default_factory=dict)
    invoice_holds: int = 0
    emailed: NotifySummary | None = None


def hold_duplicates(conn: psycopg.Connection, findings: list[Finding], ids: list[int], at: dt.datetime) -> int:
    """An invoice hold (fraud_review) for each duplicate-invoice alert still new and never held:
    the campaigns do not remind an invoice that may not be owed. Dismissing the alert releases it."""
    opened = 0
    for finding, alert_id in zip(findings, ids, strict=True):
        if finding.kind != "duplicate_invoice" or finding.customer_id is None:
            continue
        row = conn.execute(
            """insert into ops.holds (customer_id, invoice_id, reason, opened_at, note, alert_id)
               select %s, %s, 'fraud_review', %s, %s, a.alert_id from ops.alerts a
               where a.alert_id = %s and a.status = 'new'
                 and not exists (select 1 from ops.holds h where h.alert_id = a.alert_id and h.invoice_id = %s)
               returning hold_id""",
            (finding.customer_id, finding.entity_id, at, f"anomaly alert {alert_id}: possible duplicate", alert_id,
             finding.entity_id),
        ).fetchone()  # fmt: skip
        opened += row is not None
    return opened


def record(conn: psycopg.Connection, findings: list[Finding], at: dt.datetime) -> tuple[list[int], int]:
    """Write the findings as alerts (with their customer) and hold the duplicates; returns the
    alert ids (in the findings' order) and the invoice holds opened."""
    ids = write_findings(conn, findings, at)
    for finding, alert_id in zip(findings, ids, strict=True):
        if finding.customer_id is not None:
            conn.execute(
                "update ops.alerts set customer_id = %s where alert_id = %s and customer_id is null",
                (finding.customer_id, alert_id),
            )
    return ids, hold_duplicates(conn, findings, ids, at)


def run_anomalies(
    dsn: str,
    as_of: dt.date,
    at: dt.datetime,
    *,
    lookback_days: int | None = LOOKBACK_DAYS,
    channel: Channel | None = None,
    finance_email: str | None = None,
) -> AnomalyRunSummary:
    """Detect on the warehouse as of ``as_of`` (facts of the last ``lookback_days``; None: all),
    record the alerts at ``at``, and e-mail finance when a channel and an address are given."""
    with connect(dsn) as conn:
        findings = detect(book_from_warehouse(conn, as_of), lookback_days=lookback_days)
        _, holds = record(conn, findings, at)
    emailed = None
    if channel is not None and finance_email:
        with connect(dsn, autocommit=True) as conn:
            emailed = email_finance(conn, channel, finance_email, at)
    by_kind = dict(sorted(Counter(f.kind for f in findings).items()))
    log.info("anomalies %s: %d findings %s, %d invoice holds", as_of, len(findings), by_kind, holds)
    return AnomalyRunSummary(as_of, len(findings), by_kind, holds, emailed)
