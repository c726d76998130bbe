"""The receiver tests' inputs and helpers: a warehouse with a few sent messages and their customers'
contacts, the receiver app on it (FastAPI TestClient, a fixed clock), and helpers that sign
requests the way SendGrid and Twilio do."""

from __future__ import annotations

import datetime as dt
import json
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import psycopg
from pydantic import SecretStr
from twilio.request_validator import RequestValidator

from cartera.channels.fake_events import EventSigningKey
from cartera.config import Settings

with warnings.catch_warnings():
    # Starlette's test client (pinned with Airflow's web stack) still imports anyio's old
    # BlockingPortal alias; harmless, and not ours to fix.
    warnings.filterwarnings("ignore", message="The anyio.abc.BlockingPortal alias", category=DeprecationWarning)
    from fastapi.testclient import TestClient

NOW = dt.datetime(2026, 3, 10, 18, 0, tzinfo=dt.UTC)  # a Tuesday; 12:00 in Mexico City
TWILIO_TOKEN = "twilio-test-auth-token"
INBOUND_SECRET = "inbound-parse-secret-0123456789"
PUBLIC_BASE = "https://hooks.example.test/cartera-hooks"

# customer: (time zone, e-mail, mobile as the ERP holds it)
CUSTOMERS = {
    "C1": ("America/Mexico_City", "pagos@cliente1.example.mx", "55 1234 5678"),
    "C2": ("America/Tijuana", "cxp@cliente2.example.mx", "044 664 123 4567"),
    "C3": ("America/Mexico_City", "Tesoreria@Cliente3.example.mx", "+52 1 81 2222 3333"),
}
# outbox rows: (outbox key, customer, channel, provider message id, invoices)
MESSAGES = {
    "k-c1-email": ("C1", "email", "sgmsgC1", ["I1", "I2"]),
    "k-c2-sms": ("C2", "sms", "SM0000000000000000000000000000c2", ["I3"]),
    "k-c3-email": ("C3", "email", "sgmsgC3", ["I4"]),
    "k-c1-sms": ("C1", "sms", "SM0000000000000000000000000000c1", ["I1"]),
}
C1_PHONE = "+525512345678"
C2_PHONE = "+526641234567"


def seed(dsn: str) -> dict[str, int]:
    ids: dict[str, int] = {}
    with psycopg.connect(dsn) as conn:
        conn.execute(
            "create schema if not exists marts; create table if not exists marts.dim_customers "
            "(customer_id text primary key, timezone text)"
        )
        conn.execute(
            "insert into ops.campaign_batches values ('B1', %s, 'v1', %s, 4, 4, 0, 0, 0, 1, %s)",
            (NOW.date(), NOW, NOW),
        )
        for cid, (tz, email, mobile) in CUSTOMERS.items():
            conn.execute("insert into marts.dim_customers values (%s, %s)", (cid, tz))
            conn.execute(
                "insert into raw.contacts (load_id, source, contact_id, customer_id, email, mobile) "
                "values ('L1', 'erp', %s, %s, %s, %s)",
                (f"K{cid}", cid, email, mobile),
            )
        for key, (cid, channel, provider_id, invoices) in MESSAGES.items():
            sent = NOW - dt.timedelta(hours=2)
            row = conn.execute(
                "insert into ops.outbox (idempotency_key, batch_id, as_of_date, customer_id, invoice_ids, step, "
                "template, tone, channel, status, not_before, created_at, attempts, sent_at, provider_message_id, "
                "updated_at) values (%s, 'B1', %s, %s, %s, 'recordatorio', 't', 'amable', %s, 'sent', %s, %s, 1, %s, "
                "%s, %s) returning outbox_id",
                (key, NOW.date(), cid, invoices, channel, sent, sent, sent, provider_id, sent),
            ).fetchone()
            assert row is not None
            ids[key] = int(row[0])
    return ids


@dataclass
class Hooks:
    """The receiver under test and ways to call it as the providers do."""

    client: TestClient
    dsn: str
    key: EventSigningKey
    outbox_ids: dict[str, int]
    clock: list[dt.datetime] = field(default_factory=lambda: [NOW])

    # -- SendGrid events
    def sendgrid_event(self, key: str, kind: str, **extra: Any) -> dict[str, Any]:
        customer, _channel, provider_id, _invoices = MESSAGES[key]
        return {
            "email": CUSTOMERS[customer][1],
            "timestamp": int(self.clock[0].timestamp()) - 60,
            "event": kind,
            "sg_event_id": f"ev-{key}-{kind}-{len(extra)}",
            "sg_message_id": f"{provider_id}.filterdrecv-1.2.3.0",
            "idempotency_key": key,
            "outbox_id": str(self.outbox_ids[key]),
            **extra,
        }

    def post_events(self, events: Any, *, key: EventSigningKey | None = None, at: dt.datetime | None = None) -> Any:
        body = events if isinstance(events, str | bytes) else json.dumps(events)
        headers = (key or self.key).headers(body, at or self.clock[0])
        return self.client.post("/sendgrid/events", content=body, headers=headers)

    # -- Twilio
    def post_twilio(self, route: str, params: Mapping[str, str], *, token: str = TWILIO_TOKEN) -> Any:
        signature = RequestValidator(token).compute_signature(f"{PUBLIC_BASE}/twilio/{route}", dict(params))
        return self.client.post(f"/twilio/{route}", data=dict(params), headers={"X-Twilio-Signature": signature})

    def sms_reply(self, sid: str, sender: str, body: str, **extra: str) -> Any:
        params = {
            "MessageSid": sid,
            "SmsSid": sid,
            "AccountSid": "AC" + "0" * 32,
            "From": sender,
            "To": "+525500000000",
            "Body": body,
            "NumMedia": "0",
            **extra,
        }
        return self.post_twilio("inbound", params)

    # -- Inbound Parse
    def email_reply(
        self,
        sender: str,
        text: str,
        *,
        message_id: str = "<r1@cliente.example.mx>",
        in_reply_to: str | None = None,
        secret: str = INBOUND_SECRET,
    ) -> Any:
        headers = f"Message-ID: {message_id}\r\nSubject: Re: Recordatorio\r\n"
        if in_reply_to:
            headers += f"In-Reply-To: {in_reply_to}\r\n"
        form = {"from": f"Tesorería <{sender}>", "to": "cobranza@example.com", "subject": "Re: Recordatorio"}
        form |= {"text": text, "headers": headers, "envelope": json.dumps({"from": sender})}
        files = {name: (None, value.encode("utf-8")) for name, value in form.items()}
        return self.client.post(f"/sendgrid/inbound/{secret}", files=files)

    # -- the database
    def rows(self, query: str, params: Any = None) -> list[tuple[Any, ...]]:
        with psycopg.connect(self.dsn) as conn:
            return conn.execute(query, params).fetchall()

    def count(self, table: str) -> int:
        return int(self.rows(f"select count(*) from {table}")[0][0])

    def state(self) -> dict[str, Any]:
        """Everything the receiver may change, to prove a refused request changed nothing."""
        return {
            table: self.rows(f"select * from {table} order by 1")
            for table in (
                "ops.message_events",
                "ops.inbound_replies",
                "ops.opt_outs",
                "ops.holds",
                "ops.collection_tasks",
                "ops.webhook_signatures",
            )
        } | {"outbox": self.rows("select * from ops.outbox order by outbox_id")}


def make_settings(dsn: str, key: EventSigningKey, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": dsn,
        "sendgrid_webhook_public_key": key.public_key,
        "sendgrid_inbound_secret": SecretStr(INBOUND_SECRET),
        "twilio_auth_token": SecretStr(TWILIO_TOKEN),
        "twilio_status_callback_base": PUBLIC_BASE,
        **overrides,
    }
    return Settings(**values)
