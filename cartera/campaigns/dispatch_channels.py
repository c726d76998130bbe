"""The providers of a dispatch: channels built on first use, circuit failures counted, alerts raised.

Part of :mod:`cartera.campaigns.dispatch` (steps 4 and 5 of its docstring: a configuration error
stops the task, a circuit per provider, one alert per fact and day).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import psycopg

from cartera import alerts
from cartera.campaigns import attempts
from cartera.campaigns.dispatch_options import ChannelFactory, DispatchOptions
from cartera.channels import Channel, ChannelError
from cartera.errors import ConfigurationError


class Channels:
    """Channels built on first use (a dispatch with nothing for SMS needs no Twilio credentials)."""

    def __init__(self, factories: Mapping[str, ChannelFactory]) -> None:
        self._factories = dict(factories)
        self._built: dict[str, Channel] = {}

    @property
    def names(self) -> list[str]:
        return sorted(self._factories)

    def get(self, name: str) -> Channel | None:
        if name not in self._built:
            factory = self._factories.get(name)
            if factory is None:
                return None
            self._built[name] = factory()
        return self._built[name]


def default_factories(factories: dict[str, ChannelFactory]) -> None:
    """E-mail through SendGrid; SMS and WhatsApp through Twilio when an account is configured
    (rows on a channel without a configured provider wait, released, and are never failed)."""
    from cartera.config import get_settings

    settings = get_settings()
    if "email" not in factories:
        from cartera.channels.sendgrid_email import SendGridEmailChannel

        factories["email"] = SendGridEmailChannel.from_settings
    if settings.twilio_account_sid:
        from cartera.channels.twilio_messaging import TwilioSmsChannel, TwilioWhatsAppChannel

        if "sms" not in factories and settings.twilio_sms_from:
            factories["sms"] = TwilioSmsChannel.from_settings
        if "whatsapp" not in factories and settings.twilio_whatsapp_from:
            factories["whatsapp"] = TwilioWhatsAppChannel.from_settings


def dispatch_alert(
    dsn: str,
    now: dt.datetime,
    kind: str,
    severity: alerts.Severity,
    summary: str,
    reasons: list[str],
    *,
    entity: tuple[str, str] | None = None,
) -> None:
    """One alert per fact and day (kind, entity, business day): raised again, it is counted, not repeated."""
    entity_type, entity_id = entity or (None, None)
    alerts.raise_alert(
        dsn,
        alerts.Alert(
            dedup_key=f"dispatch:{kind}:{entity_id or '-'}:{now.date().isoformat()}",
            kind=kind,
            severity=severity,
            summary=summary,
            reasons=reasons,
            entity_type=entity_type,
            entity_id=entity_id,
        ),
        now,
    )


def credentials_refused(dsn: str, provider: str, exc: ChannelError, now: dt.datetime) -> None:
    dispatch_alert(
        dsn, now, "provider_credentials_refused", "critical",
        f"{provider} refused the API credentials ({exc.code}); nothing was sent, rows stay pending.",
        [exc.code], entity=("provider", provider),
    )  # fmt: skip
    raise ConfigurationError(
        f"{provider} refused the credentials ({exc.code}): nothing was sent and no row counted as a bounce. "
        f"Fix the API key / account SID and token (environment or Airflow connection), then rerun the dispatch."
    )


def count_failure(
    dsn: str, conn: psycopg.Connection, provider: str, exc: ChannelError, now: dt.datetime, opts: DispatchOptions
) -> None:
    opened = attempts.record_failure(
        conn,
        provider,
        now,
        exc.code,
        threshold=opts.circuit_threshold,
        cooldown=opts.circuit_cooldown,
        open_for=dt.timedelta(seconds=exc.retry_after) if exc.retry_after is not None else None,
    )
    if opened is not None:
        conn.commit()
        dispatch_alert(
            dsn, now, "provider_circuit_open", "high",
            f"{provider} circuit open until {opened.isoformat()} after {exc.code}.",
            [exc.code], entity=("provider", provider),
        )  # fmt: skip


def alert_on_stuck(dsn: str, conn: psycopg.Connection, now: dt.datetime) -> None:
    """One alert per day while messages wait for a person (review) or for reconciliation."""
    counts: dict[str, int] = dict(
        conn.execute(
            "select status, count(*) from ops.outbox where status in ('unknown', 'review') group by status"
        ).fetchall()
    )
    if not counts:
        return
    review, unknown = int(counts.get("review", 0)), int(counts.get("unknown", 0))
    dispatch_alert(
        dsn, now, "messages_unconfirmed", "high" if review else "warning",
        f"{review} message(s) held for review and {unknown} awaiting reconciliation "
        "(maybe sent; never resent automatically). See docs/reliability.md.",
        [f"review={review}", f"unknown={unknown}"],
    )  # fmt: skip
