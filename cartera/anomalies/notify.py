"""High- and critical-severity anomaly alerts e-mailed to finance, once per alert.

Through the channel abstraction (:class:`cartera.channels.Channel`, SendGrid in production). A
row of ``ops.alert_notifications`` is committed *before* the request leaves, so a crash or a
time-out never e-mails the same alert twice; its outcome is recorded after. A message that was
certainly not sent (refused before leaving, 4xx validation, 429) frees the row for the next run;
one that may have left stays ``unknown``. The e-mail carries the alert's summary and reasons:
ids, dates and amounts, no names, addresses or RFCs.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import psycopg

from cartera.channels import Channel, ChannelError, OutboundMessage
from cartera.logs import get_logger

log = get_logger(__name__)


@dataclass(frozen=True)
class NotifySummary:
    sent: int = 0
    not_sent: int = 0
    unknown: int = 0


def _due(conn: psycopg.Connection) -> list[tuple[int, str, str, str, list[str]]]:
    return conn.execute(
        """select a.alert_id, a.kind, a.severity, a.summary, a.reasons from ops.alerts a
           where a.source = 'anomaly' and a.severity in ('high', 'critical') and a.status = 'new'
             and not exists (select 1 from ops.alert_notifications n where n.alert_id = a.alert_id)
           order by a.alert_id"""
    ).fetchall()


def _message(alert_id: int, kind: str, severity: str, summary: str, reasons: list[str], to: str) -> OutboundMessage:
    lines = [summary, "", *[f"- {r}" for r in reasons], "", f"Alerta / alert #{alert_id} ({kind}, {severity})."]
    lines.append("Confírmela o descártela en el tablero / Confirm or dismiss it on the dashboard.")
    return OutboundMessage(
        channel="email",
        to=to,
        text="\n".join(lines),
        idempotency_key=f"anomaly-alert-{alert_id}",
        subject=f"[cartera] {severity.upper()}: {summary}"[:250],
        categories=("anomaly_alert",),
    )


def email_finance(conn: psycopg.Connection, channel: Channel, to: str, at: dt.datetime) -> NotifySummary:
    """E-mail every new high/critical anomaly alert not e-mailed before. ``conn`` in autocommit."""
    sent = not_sent = unknown = 0
    for alert_id, kind, severity, summary, reasons in _due(conn):
        message = _message(alert_id, kind, severity, summary, list(reasons or []), to)
        claimed = conn.execute(
            "insert into ops.alert_notifications (alert_id, channel, idempotency_key, started_at) "
            "values (%s, 'email', %s, %s) on conflict do nothing returning alert_id",
            (alert_id, message.idempotency_key, at),
        ).fetchone()
        if claimed is None:
            continue  # another run claimed it
        try:
            result = channel.send(message)
        except ChannelError as exc:
            if exc.outcome == "not_sent":
                conn.execute("delete from ops.alert_notifications where alert_id = %s", (alert_id,))
                not_sent += 1
            else:
                conn.execute(
                    "update ops.alert_notifications set finished_at = %s, outcome = %s, error_code = %s "
                    "where alert_id = %s",
                    (at, exc.outcome, exc.code[:100], alert_id),
                )
                unknown += 1
            log.warning("finance e-mail for alert %d: %s", alert_id, exc.code)
            if exc.outcome == "auth":
                break
            continue
        conn.execute(
            "update ops.alert_notifications set finished_at = %s, outcome = 'accepted', provider_message_id = %s "
            "where alert_id = %s",
            (at, result.provider_message_id, alert_id),
        )
        sent += 1
    log.info("finance e-mails: sent=%d not_sent=%d unknown=%d", sent, not_sent, unknown)
    return NotifySummary(sent, not_sent, unknown)
