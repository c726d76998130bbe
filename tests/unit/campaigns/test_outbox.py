"""The outbox's idempotency key (cartera/campaigns/outbox.py)."""

from __future__ import annotations

import datetime as dt

from cartera.campaigns.outbox import batch_id_for, idempotency_key

DAY = dt.date(2026, 3, 10)


def test_the_key_is_stable_and_independent_of_invoice_order() -> None:
    key = idempotency_key("C1", ["I2", "I1"], "recordatorio", "email", DAY)
    assert key == idempotency_key("C1", ["I1", "I2"], "recordatorio", "email", DAY)
    # Keys are stored: a change would make a rebuild enqueue every message again.
    assert key == "d65805a984befc3b0be3cc37e8bc88c559f8c0e3489bfd35fe8ee7a732f7eb86"
    assert key == idempotency_key("C1", ("I1", "I2", "I2"), "recordatorio", "email", DAY)


def test_the_key_changes_with_each_part() -> None:
    base = idempotency_key("C1", ["I1"], "recordatorio", "email", DAY)
    variants = {
        idempotency_key("C2", ["I1"], "recordatorio", "email", DAY),
        idempotency_key("C1", ["I1", "I2"], "recordatorio", "email", DAY),
        idempotency_key("C1", ["I1"], "recordatorio_firme", "email", DAY),
        idempotency_key("C1", ["I1"], "recordatorio", "whatsapp", DAY),
        idempotency_key("C1", ["I1"], "recordatorio", "email", DAY + dt.timedelta(days=1)),
    }
    assert base not in variants and len(variants) == 5


def test_the_batch_of_a_day_is_named_by_its_date() -> None:
    assert batch_id_for(DAY) == "campaign-2026-03-10"
