"""Late-committing ERP transactions: a row whose write_date is its transaction's start, committed
after an extract already passed that instant, lands on the next run exactly once; and the overlap
that finds it never lands or quarantines a row version twice, however often the ingest reruns."""

from __future__ import annotations

import datetime as dt
from typing import Any

import psycopg
import pytest
from small_erp import EXPECTED_ROWS, UPPER, WRITTEN, execute, query  # beside this file

from cartera.raw_contract import ENTITIES
from cartera.sources.erp import MAPPINGS
from cartera.sources.erp_ingest import ingest_erp

pytestmark = pytest.mark.integration

LONG_OVERLAP = dt.timedelta(days=3650)  # re-reads everything the small ERP holds, every run


def run(dsn: str, upper: dt.datetime = UPPER, **kwargs: Any) -> dict[str, Any]:
    return {r.entity: r for r in ingest_erp(warehouse_dsn=dsn, erp_dsn=dsn, upper_bound=upper, **kwargs)}


def raw_counts(dsn: str) -> dict[str, int]:
    return {entity: query(dsn, f"select count(*) from raw.{entity}")[0][0] for entity in ENTITIES}


def repeated_versions(dsn: str) -> dict[str, int]:
    """Per entity, how many row versions (key, updated_at) raw holds more than once (all should be 0)."""
    counts = {}
    for entity in ENTITIES:
        key = ", ".join(MAPPINGS[entity].key)
        counts[entity] = query(
            dsn,
            f"select count(*) from (select 1 from raw.{entity} group by {key}, updated_at having count(*) > 1) d",
        )[0][0]
    return counts


def payments_landed(dsn: str) -> dict[str, int]:
    return dict(query(dsn, "select payment_id, count(*) from raw.payments group by payment_id"))


def insert_payment(conn: psycopg.Connection, payment_id: int, write_date: str | dt.datetime = "now()") -> None:
    """A posted payment of customer 1; write_date 'now()' is the writing transaction's start, as Odoo writes it."""
    stamp = "now()" if write_date == "now()" else "%(w)s"
    conn.execute(
        f"""insert into erp.account_payment values
            (%(id)s, 'PAY-' || %(id)s, 1, '2025-05-20', 'MXN', 580, 'transfer', 'posted', {stamp}, {stamp})""",  # type: ignore[arg-type]
        {"id": payment_id, "w": write_date},
    )


def test_a_payment_committed_after_an_extract_passed_its_write_date_lands_exactly_once_on_the_next_run(
    erp_dsn: str,
) -> None:
    run(erp_dsn)  # the small ERP: every watermark at WRITTEN
    upper = query(erp_dsn, "select now() + interval '1 hour'")[0][0]

    late = psycopg.connect(erp_dsn)  # not autocommit: the insert opens a transaction left uncommitted
    try:
        insert_payment(late, 202)
        started = late.execute("select now()").fetchone()[0]  # type: ignore[index]
        # Meanwhile another payment commits: its write_date is after the late one's.
        with psycopg.connect(erp_dsn, autocommit=True) as other:
            insert_payment(other, 203)
        written_203 = query(erp_dsn, "select write_date from erp.account_payment where id = 203")[0][0]
        assert written_203 > started

        during = run(erp_dsn, upper)["payments"]
        assert (during.rows_extracted, during.rows_loaded) == (1, 1)  # 203 only: 202 is not committed
        assert during.watermark_to == written_203  # the watermark has passed 202's write_date
        assert payments_landed(erp_dsn) == {"201": 1, "203": 1}

        late.commit()
    finally:
        late.close()

    after = run(erp_dsn, upper)["payments"]
    assert (after.rows_extracted, after.rows_loaded, after.gate_passed) == (1, 1, True)
    assert after.watermark_to == written_203  # a late row never moves the watermark back
    assert payments_landed(erp_dsn) == {"201": 1, "202": 1, "203": 1}
    assert query(erp_dsn, "select updated_at from raw.payments where payment_id = '202'") == [(started,)]

    again = run(erp_dsn, upper)
    assert all(r.rows_extracted == 0 and r.rows_loaded == 0 for r in again.values())
    assert payments_landed(erp_dsn) == {"201": 1, "202": 1, "203": 1}
    assert raw_counts(erp_dsn) == {**EXPECTED_ROWS, "payments": 3}


def test_reruns_over_the_overlap_land_and_quarantine_no_row_version_twice(erp_dsn: str) -> None:
    execute(erp_dsn, "update erp.account_move set amount_total = -2320 where id = 103")  # 1 of 3: quarantined
    first = run(erp_dsn, overlap=LONG_OVERLAP, max_rejected_share=0.5)
    assert first["invoices"].rows_loaded == 2 and first["invoices"].rows_quarantined == 1
    landed = query(erp_dsn, "select load_id, invoice_id, loaded_at from raw.invoices order by invoice_id")

    for _ in range(2):  # everything the small ERP holds is re-read, and all of it was handled already
        again = run(erp_dsn, overlap=LONG_OVERLAP, max_rejected_share=0.5)
        assert all(
            r.gate_passed and r.rows_extracted == r.rows_loaded == r.rows_quarantined == 0 for r in again.values()
        )
    assert raw_counts(erp_dsn) == {**EXPECTED_ROWS, "invoices": 2}
    assert query(erp_dsn, "select load_id, invoice_id, loaded_at from raw.invoices order by invoice_id") == landed
    assert query(erp_dsn, "select count(*) from quarantine.rejected_rows") == [(1,)]

    # A new version of 101 and a row that shows up late, an hour before the watermark, land once each.
    execute(erp_dsn, "update erp.account_move set amount_total = 1000, write_date = %s where id = 101", (UPPER,))
    with psycopg.connect(erp_dsn, autocommit=True) as conn:
        insert_payment(conn, 202, WRITTEN - dt.timedelta(hours=1))
    changed = run(erp_dsn, overlap=LONG_OVERLAP, max_rejected_share=0.5)
    assert (changed["invoices"].rows_loaded, changed["payments"].rows_loaded) == (1, 1)
    assert sum(r.rows_loaded for r in changed.values()) == 2
    run(erp_dsn, overlap=LONG_OVERLAP, max_rejected_share=0.5)
    assert raw_counts(erp_dsn) == {**EXPECTED_ROWS, "invoices": 3, "payments": 2}
    assert repeated_versions(erp_dsn) == dict.fromkeys(ENTITIES, 0)
    assert query(erp_dsn, "select count(*) from quarantine.rejected_rows") == [(1,)]


def test_a_late_row_stamped_at_the_watermark_instant_lands_once_and_stays_through_reruns(erp_dsn: str) -> None:
    run(erp_dsn)
    with psycopg.connect(erp_dsn, autocommit=True) as conn:
        insert_payment(conn, 202, WRITTEN)  # same write_date as the landed rows: only the overlap finds it
    late = run(erp_dsn)["payments"]
    assert (late.rows_loaded, late.watermark_to) == (1, WRITTEN)
    for _ in range(2):  # an empty rerun has the same window, but must not replace (delete) the late load
        assert run(erp_dsn)["payments"].rows_loaded == 0
        assert payments_landed(erp_dsn) == {"201": 1, "202": 1}
    assert query(erp_dsn, "select rows_loaded from ops.ingest_loads where load_id = %s", (late.load_id,)) == [(1,)]


def test_the_overlap_reaches_back_from_the_watermark_by_the_length_given(erp_dsn: str) -> None:
    run(erp_dsn)
    with psycopg.connect(erp_dsn, autocommit=True) as conn:
        insert_payment(conn, 202, WRITTEN - dt.timedelta(hours=2))
        insert_payment(conn, 203, WRITTEN - dt.timedelta(minutes=30))
    assert run(erp_dsn, overlap=dt.timedelta(hours=1))["payments"].rows_loaded == 1
    assert payments_landed(erp_dsn) == {"201": 1, "203": 1}
    assert run(erp_dsn, overlap=dt.timedelta(hours=3))["payments"].rows_loaded == 1
    assert payments_landed(erp_dsn) == {"201": 1, "202": 1, "203": 1}
