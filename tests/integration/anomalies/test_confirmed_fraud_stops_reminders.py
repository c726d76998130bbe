"""Confirmed fraud holds the customer's campaigns: after a person confirms a fraud alert on a
customer, the reminder already in the outbox is cancelled at send time and nothing reaches it,
while the other customers' messages still go out."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from campaign_inputs import API_KEY, AS_OF, local, seed_inputs

from cartera import alerts
from cartera.anomalies.book import Finding, Reason
from cartera.anomalies.run import record
from cartera.campaigns import build_batch, dispatch
from cartera.channels.fake_sendgrid import FakeSendGrid
from cartera.channels.sendgrid_email import SendGridEmailChannel
from cartera.channels.whatsapp_templates import DEMO_TEMPLATES_FILE
from cartera.config import get_settings

pytestmark = pytest.mark.integration
MORNING = local(2026, 3, 10, 10)


@pytest.fixture(autouse=True)
def whatsapp_templates(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("CARTERA_WHATSAPP_TEMPLATES_FILE", str(DEMO_TEMPLATES_FILE))
    get_settings.cache_clear()
    yield
    monkeypatch.undo()
    get_settings.cache_clear()


def test_a_confirmed_fraud_alert_cancels_that_customers_reminder_at_send(fresh_db: str, tmp_path: Path) -> None:
    seed_inputs(fresh_db)
    build_batch(fresh_db, AS_OF)
    fraud = Finding("contact_changed_before_request", "high", "customer", "C2", "C2", AS_OF,
                    ("KC2", "2026-03-09T16:00:00+00:00"), (Reason("correo cambiado", "e-mail changed"),))  # fmt: skip
    with psycopg.connect(fresh_db) as conn:
        (alert_id,), _ = record(conn, [fraud], MORNING - dt.timedelta(hours=2))
    with psycopg.connect(fresh_db) as conn:
        alerts.set_status(conn, alert_id, "confirmed", "finanzas1", MORNING - dt.timedelta(hours=1))

    with FakeSendGrid(tmp_path / "eml", api_key=API_KEY) as fake:
        summary = dispatch(
            fresh_db,
            MORNING,
            channel_factory=lambda: SendGridEmailChannel(
                API_KEY, from_email="cobranza@example.com", host=fake.base_url, timeout_seconds=5
            ),
        )

    with psycopg.connect(fresh_db) as conn:
        outbox = conn.execute(
            "select customer_id, status, status_reason from ops.outbox order by customer_id"
        ).fetchall()
    assert ("C2", "cancelled", "invoice_on_hold") in outbox
    assert summary.sent >= 1 and all(status != "sent" for customer, status, _ in outbox if customer == "C2")
