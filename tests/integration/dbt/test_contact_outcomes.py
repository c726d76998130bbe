"""The outcome marts of contact (payments after a message, promises kept or broken, weekly KPIs
by channel) built by dbt from the hand-checked reminders of contact_outcomes.sql."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from warehouse_builds import dbt_build, failures, load_raw_sql, query

pytestmark = pytest.mark.integration

HERE = Path(__file__).parent
AS_OF = "2026-11-24"
WEEK_OF_NOV_2 = dt.date(2026, 11, 2)
WEEK_OF_NOV_16 = dt.date(2026, 11, 16)


@pytest.fixture(scope="module")
def outcomes_dsn(pg_server_dsn: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database with cartera's DDL, the book and ops rows of contact_outcomes.sql, and the
    warehouse built as of 2026-11-24 (one build shared by the module's tests: they only read)."""
    from cartera.db import scratch_database

    with scratch_database(pg_server_dsn, "cartera_outcomes") as dsn:
        load_raw_sql(dsn, (HERE / "contact_outcomes.sql").read_text())
        result = dbt_build(dsn, as_of=AS_OF, work_dir=tmp_path_factory.mktemp("dbt_outcomes"))
        assert result.success, failures(result)
        yield dsn


def by_key(dsn: str, sql_text: str, *key: str) -> dict[Any, dict[str, Any]]:
    rows = query(dsn, sql_text)
    return {tuple(row[k] for k in key) if len(key) > 1 else row[key[0]]: row for row in rows}


def test_only_sent_messages_have_outcomes(outcomes_dsn: str) -> None:
    outcomes = by_key(outcomes_dsn, "select * from marts.fct_message_outcomes", "outbox_id")

    assert sorted(outcomes) == [1, 2, 3, 5]


def test_a_payment_is_credited_to_every_message_in_the_window_and_last_touch_to_the_latest(
    outcomes_dsn: str,
) -> None:
    outcomes = by_key(outcomes_dsn, "select * from marts.fct_message_outcomes", "outbox_id")

    money = {
        outbox_id: (
            row["named_open_amount_mxn"],
            row["paid_in_window_mxn"],
            row["paid_share_of_named"],
            row["last_touch_paid_mxn"],
            row["days_to_first_payment"],
        )
        for outbox_id, row in outcomes.items()
    }
    assert money == {
        # P1 on F1 (8 days later) counts; P2 on F2, 16 days later, is outside the window.
        1: (Decimal("3000.00"), Decimal("1000.00"), Decimal("0.3333"), Decimal("0.00"), 8),
        2: (Decimal("1000.00"), Decimal("1000.00"), Decimal("1.0000"), Decimal("1000.00"), 5),
        # 100 USD at the issue-date 18.00, never paid
        3: (Decimal("1800.00"), Decimal("0.00"), Decimal("0.0000"), Decimal("0.00"), None),
        # F2 still owed 1,500 after P2; P3 paid it two days later
        5: (Decimal("1500.00"), Decimal("1500.00"), Decimal("1.0000"), Decimal("1500.00"), 2),
    }
    assert {k: row["is_window_complete"] for k, row in outcomes.items()} == {1: True, 2: True, 3: True, 5: False}


def test_delivery_replies_opt_outs_and_promises_are_flagged_per_message(outcomes_dsn: str) -> None:
    outcomes = by_key(outcomes_dsn, "select * from marts.fct_message_outcomes", "outbox_id")

    flags = {
        outbox_id: (
            row["is_delivered"],
            row["is_bounced"],
            row["is_opened"],
            row["reply_class"],
            row["is_opted_out_after"],
            row["promises_made"],
            row["promise_status"],
        )
        for outbox_id, row in outcomes.items()
    }
    assert flags == {
        1: (True, False, True, "promise_to_pay", False, 2, "broken"),
        2: (True, False, False, None, False, 0, None),
        3: (False, True, False, None, True, 0, None),
        5: (True, False, False, "promise_to_pay", False, 1, "kept"),
    }


def test_a_promise_is_kept_broken_or_pending_by_the_promised_date_plus_grace(outcomes_dsn: str) -> None:
    promises = by_key(outcomes_dsn, "select * from intermediate.int_promises_resolved", "hold_id")

    resolved = {
        hold_id: (row["promised_date"], row["covered_invoices"], row["promised_amount_mxn"], row["promise_status"])
        for hold_id, row in promises.items()
    }
    assert resolved == {
        1: (dt.date(2026, 11, 21), 1, Decimal("1500.00"), "kept"),
        2: (dt.date(2026, 11, 15), 1, Decimal("1000.00"), "kept"),
        3: (dt.date(2026, 11, 15), 1, Decimal("2000.00"), "broken"),
        # a promise set by hand on the whole customer covers what was open: F3 only
        4: (dt.date(2026, 11, 25), 1, Decimal("1800.00"), "pending"),
    }


def test_weekly_kpis_by_channel_add_up_the_messages_of_the_week(outcomes_dsn: str) -> None:
    kpis = by_key(outcomes_dsn, "select * from marts.fct_contact_kpis_weekly", "week_start", "channel")

    assert sorted(kpis) == [
        (WEEK_OF_NOV_2, "email"),
        (WEEK_OF_NOV_2, "sms"),
        (WEEK_OF_NOV_2, "whatsapp"),
        (WEEK_OF_NOV_16, "email"),
    ]
    columns = (
        "messages_sent",
        "delivery_rate",
        "bounce_rate",
        "open_rate",
        "reply_rate",
        "opt_out_rate",
        "payments_after_contact",
        "paid_after_contact_mxn",
        "promise_kept_rate",
    )
    figures = {key: tuple(row[c] for c in columns) for key, row in kpis.items()}
    one, zero = Decimal("1.0000"), Decimal("0.0000")
    assert figures == {
        (WEEK_OF_NOV_2, "email"): (1, one, zero, one, one, zero, 0, Decimal("0.00"), Decimal("0.5000")),
        (WEEK_OF_NOV_2, "sms"): (1, zero, one, None, zero, one, 0, Decimal("0.00"), None),
        (WEEK_OF_NOV_2, "whatsapp"): (1, one, zero, None, zero, zero, 1, Decimal("1000.00"), None),
        (WEEK_OF_NOV_16, "email"): (1, one, zero, zero, one, zero, 1, Decimal("1500.00"), one),
    }


def test_last_touch_payments_add_up_to_the_attributed_allocations_once(outcomes_dsn: str) -> None:
    weekly = query(outcomes_dsn, "select sum(paid_after_contact_mxn) as paid from marts.fct_contact_kpis_weekly")
    attributed = query(
        outcomes_dsn,
        "select sum(amount_mxn) as paid from (select distinct allocation_id, amount_mxn"
        " from intermediate.int_payments_attributed_to_messages) as allocations",
    )

    assert weekly[0]["paid"] == attributed[0]["paid"] == Decimal("2500.00")
