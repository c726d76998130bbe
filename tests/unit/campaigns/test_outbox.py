"""The outbox's idempotency keys (cartera/campaigns/outbox.py)."""

from __future__ import annotations

import datetime as dt
import hashlib

from cartera.campaigns.outbox import KEY_VERSION, batch_id_for, escalation_key, idempotency_key

DAY = dt.date(2026, 3, 10)


def test_a_message_key_is_one_per_customer_channel_and_day() -> None:
    key = idempotency_key("C1", "email", DAY)
    # Keys are stored: a change would make a rebuild enqueue every message again.
    assert KEY_VERSION == "v2"
    assert key == hashlib.sha256(b"v2|C1|email|2026-03-10").hexdigest()


def test_the_message_key_changes_with_each_part() -> None:
    base = idempotency_key("C1", "email", DAY)
    variants = {
        idempotency_key("C2", "email", DAY),
        idempotency_key("C1", "whatsapp", DAY),
        idempotency_key("C1", "email", DAY + dt.timedelta(days=1)),
    }
    assert base not in variants and len(variants) == 3


def test_escalation_keys_are_unchanged_and_independent_of_invoice_order() -> None:
    key = escalation_key("C3", ["I6", "I5"], "escalamiento", "cobranza_manual", DAY)
    assert key == escalation_key("C3", ("I5", "I6", "I6"), "escalamiento", "cobranza_manual", DAY)
    # The v1 material: escalations stored before the message key changed keep matching.
    assert key == hashlib.sha256(b"v1|C3|I5,I6|escalamiento|queue:cobranza_manual|2026-03-10").hexdigest()


def test_the_batch_of_a_day_is_named_by_its_date() -> None:
    assert batch_id_for(DAY) == "campaign-2026-03-10"
