"""Alerts people must see (ops.alerts): platform failures now, anomaly findings later.

An alert is keyed by the fact it reports (``dedup_key``): raising it again counts one more
occurrence instead of adding a row, and a dismissed alert is not reopened for the same facts.
:func:`raise_alert` writes in its own committed transaction, so the alert survives the failure
(and the rollback) of the task that raises it. Summaries and reasons carry ids and counts only,
never a name, address, phone or RFC.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import psycopg

from cartera.logs import get_logger

Severity = Literal["info", "warning", "high", "critical"]
_log = get_logger(__name__)


@dataclass(frozen=True)
class Alert:
    """One fact to raise. `dedup_key` names the fact (e.g. ``dispatch:provider_credentials_refused:sendgrid:2026-12-01``)."""

    dedup_key: str
    kind: str
    severity: Severity
    summary: str
    reasons: Sequence[str] = ()
    entity_type: str | None = None
    entity_id: str | None = None
    source: Literal["platform", "anomaly"] = "platform"


def raise_alert(dsn: str, alert: Alert, at: dt.datetime) -> int | None:
    """Insert or refresh the alert in its own transaction; returns its id. Never raises: an alert
    that cannot be written is logged (by key and kind) so it does not hide the original error."""
    if at.tzinfo is None:
        raise ValueError("at must be timezone-aware")
    try:
        with psycopg.connect(dsn, autocommit=True, connect_timeout=10, application_name="cartera-alerts") as conn:
            return write_alert(conn, alert, at)
    except psycopg.Error as exc:
        _log.error("could not write alert %s (%s): %s", alert.dedup_key, alert.kind, type(exc).__name__)
        return None


def write_alert(conn: psycopg.Connection, alert: Alert, at: dt.datetime) -> int | None:
    """The same as :func:`raise_alert` inside the caller's transaction."""
    row = conn.execute(
        """
        insert into ops.alerts (dedup_key, kind, severity, source, entity_type, entity_id, summary, reasons,
            raised_at, last_seen_at)
        values (%s, %s, %s, %s, %s, %s, %s, %s::jsonb, %s, %s)
        on conflict (dedup_key) do update set
            last_seen_at = greatest(ops.alerts.last_seen_at, excluded.last_seen_at),
            occurrences = ops.alerts.occurrences + 1,
            summary = case when ops.alerts.status = 'dismissed' then ops.alerts.summary else excluded.summary end,
            reasons = case when ops.alerts.status = 'dismissed' then ops.alerts.reasons else excluded.reasons end
        returning alert_id
        """,
        (
            alert.dedup_key,
            alert.kind,
            alert.severity,
            alert.source,
            alert.entity_type,
            alert.entity_id,
            alert.summary,
            json.dumps(list(alert.reasons)),
            at,
            at,
        ),
    ).fetchone()
    _log.warning("alert %s [%s] %s", alert.kind, alert.severity, alert.dedup_key)
    return int(row[0]) if row else None


def set_status(
    conn: psycopg.Connection,
    alert_id: int,
    status: Literal["confirmed", "dismissed", "resolved"],
    by: str,
    at: dt.datetime,
) -> bool:
    """A person's decision on an alert; returns False when no such alert exists."""
    cur = conn.execute(
        "update ops.alerts set status = %s, decided_by = %s, decided_at = %s where alert_id = %s",
        (status, by, at, alert_id),
    )
    return cur.rowcount == 1
