"""The KPI history (kpi.daily_snapshots backfilled from the marts), the data_through label, the
revaluation of USD receivables at the closing rate and the 13-week cash forecast, on the
hand-checked book of raw_book.sql built as of 2026-11-24 (its last posting is on 2026-11-23)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from warehouse_builds import dbt_build, failures, load_raw_sql, query

from cartera.kpi import latest, snapshot

pytestmark = pytest.mark.integration

HERE = Path(__file__).parent
AS_OF = dt.date(2026, 11, 24)
LAST_POSTING = dt.date(2026, 11, 23)

# Yesterday's scores (scoring runs after the warehouse): I002 is expected on 2027-01-20. I003, settled
# on 2026-07-10, had been expected on 2026-07-05: the only past error, +5 days.
SCORES = """
insert into ml.invoice_scores (score_date, invoice_id, customer_id, model_id, p_late, expected_payment_date) values
    ('2026-11-23', 'I002', 'C002', 'm1', 0.2, '2027-01-20'),
    ('2026-07-01', 'I003', 'C003', 'm0', 0.4, '2026-07-05');
"""


def _build(pg_server_dsn: str, tmp_path_factory: pytest.TempPathFactory, as_of: dt.date) -> Iterator[str]:
    from cartera.db import scratch_database

    with scratch_database(pg_server_dsn, "cartera_kpi") as dsn:
        load_raw_sql(dsn, (HERE / "raw_book.sql").read_text() + SCORES)
        result = dbt_build(dsn, as_of=as_of.isoformat(), work_dir=tmp_path_factory.mktemp("dbt_kpi"))
        assert result.success, failures(result)
        yield dsn


@pytest.fixture(scope="module")
def book(pg_server_dsn: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """raw_book.sql and the scores above, the warehouse built as of 2026-11-24."""
    yield from _build(pg_server_dsn, tmp_path_factory, AS_OF)


def rows(dsn: str, sql_text: str, *params: Any) -> list[dict[str, Any]]:
    return query(dsn, sql_text, params)


def test_the_snapshot_backfills_a_row_per_day_and_labels_the_empty_as_of_day(book: str) -> None:
    today = snapshot(book, AS_OF)

    history = latest(book, 1000)
    # 176 days with data (2026-06-01, the first invoice, to 2026-11-23) and the as-of day
    assert len(history) == 177
    assert (history[0].as_of_date, history[-1].as_of_date) == (AS_OF, dt.date(2026, 6, 1))
    assert (today.as_of_date, today.data_through) == (AS_OF, LAST_POSTING)
    day_before = history[1]
    assert (day_before.as_of_date, day_before.data_through) == (LAST_POSTING, LAST_POSTING)
    assert (today.total_ar_mxn, today.dso_countback, today.avg_days_delinquent) == (
        day_before.total_ar_mxn,
        day_before.dso_countback,
        day_before.avg_days_delinquent,
    )
    assert all(r.data_through == r.as_of_date for r in history[1:])


def test_rerunning_the_snapshot_writes_the_same_rows(book: str) -> None:
    snapshot(book, AS_OF)
    first = rows(book, "select * from kpi.daily_snapshots order by as_of_date")

    snapshot(book, AS_OF)

    assert rows(book, "select * from kpi.daily_snapshots order by as_of_date") == first


def test_a_build_on_the_empty_as_of_day_gives_the_kpis_of_the_last_day_with_data(
    book: str, pg_server_dsn: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    # Built as of 2026-11-24 (nothing posted that day) and as of 2026-11-23: the same KPI days,
    # to the cent. Counting the empty 24th as a day of zero sales would move DSO.
    on_empty_day = [
        {k: v for k, v in row.items() if k != "as_of_date"}
        for row in rows(book, "select * from marts.fct_ar_kpi_daily order by kpi_date")
    ]
    for dsn in _build(pg_server_dsn, tmp_path_factory, LAST_POSTING):
        on_last_day = [
            {k: v for k, v in row.items() if k != "as_of_date"}
            for row in rows(dsn, "select * from marts.fct_ar_kpi_daily order by kpi_date")
        ]
    assert on_empty_day == on_last_day


def test_usd_receivables_are_revalued_at_the_closing_rate_and_tie_to_the_open_items(book: str) -> None:
    (kpi,) = rows(book, "select * from marts.fct_ar_kpi_daily where kpi_date = %s", LAST_POSTING)
    (ledger,) = rows(
        book,
        """select sum(round(o.open_amount * r.rate_to_mxn, 2)) as at_closing, sum(o.open_amount_mxn) as at_issue
           from marts.fct_open_items o
           join intermediate.int_fx_rates_daily r on r.currency = o.currency and r.rate_date = %s""",
        LAST_POSTING,
    )

    # I002 1,000 USD issued at 18.50 and I005 300 USD open at 18.00 close at 18.60 on 2026-11-23:
    # +100.00 + 180.00 = +280.00 over the issue-date values.
    assert (kpi["open_mxn_at_closing_rate"], kpi["open_mxn_at_issue_rate"], kpi["fx_revaluation_mxn"]) == (
        Decimal("36580.00"),
        Decimal("36300.00"),
        Decimal("280.00"),
    )
    assert (kpi["total_ar_mxn"], kpi["open_mxn_at_closing_rate"]) == (ledger["at_closing"], ledger["at_closing"])
    assert kpi["open_mxn_at_issue_rate"] == ledger["at_issue"]


def test_the_forecast_has_13_weeks_per_currency_from_the_as_of_date(book: str) -> None:
    forecast = rows(book, "select * from marts.fct_cash_forecast_weekly order by currency, week_number")

    assert [(r["currency"], r["week_number"]) for r in forecast] == [
        (currency, week) for currency in ("MXN", "USD") for week in range(1, 14)
    ]
    for r in forecast:
        assert r["week_start"] == AS_OF + dt.timedelta(days=7 * (r["week_number"] - 1))
        assert r["week_end"] == r["week_start"] + dt.timedelta(days=6)


def test_the_forecast_places_each_open_invoice_and_never_exceeds_the_open_balance(book: str) -> None:
    forecast = {
        (r["currency"], r["week_number"]): r
        for r in rows(book, "select * from marts.fct_cash_forecast_weekly order by currency, week_number")
    }
    expected = {key: r["expected_collections"] for key, r in forecast.items() if r["expected_collections"]}

    # Past their due date + the mean delay (I003's +9 days, the only settled invoice): I001 6,600,
    # I004 2,320, I007 3,480 and I005 300 USD are rescheduled to as-of + 7 = 2026-12-01 (week 2).
    # I002's score says 2027-01-20: week 9 (2027-01-19 to 2027-01-25).
    assert expected == {
        ("MXN", 2): Decimal("12400.00"),
        ("USD", 2): Decimal("300.00"),
        ("USD", 9): Decimal("1000.00"),
    }
    assert forecast[("USD", 9)]["expected_collections_scored"] == Decimal("1000.00")
    assert forecast[("USD", 9)]["expected_collections_mxn"] == Decimal("18600.00")  # at 18.60, not 18.50
    for currency, open_amount, open_mxn in (("MXN", "12400.00", "12400.00"), ("USD", "1300.00", "24180.00")):
        last_week = forecast[(currency, 13)]
        assert (last_week["open_amount"], last_week["open_amount_mxn"]) == (Decimal(open_amount), Decimal(open_mxn))
        weekly_total = sum(forecast[(currency, week)]["expected_collections"] for week in range(1, 14))
        assert weekly_total == last_week["cumulative_expected_collections"] <= last_week["open_amount"]
        assert last_week["cumulative_collections_high_mxn"] <= last_week["open_amount_mxn"]
    # The one past error (+5 days) shifts both scenarios 5 days later: 2026-12-06 is still week 2.
    assert {(r["error_days_p10"], r["error_days_p90"], r["error_sample_size"]) for r in forecast.values()} == {
        (5, 5, 1)
    }
    assert forecast[("MXN", 2)]["late_collections"] == Decimal("12400.00")


def test_the_past_error_takes_the_latest_score_before_settlement_among_many(book: str, tmp_path: Path) -> None:
    """Scores pile up daily: of I003's scores (settled 2026-07-10) the one of 2026-07-01 is the
    latest before settlement; an older one and those of the settlement day and after are not used."""
    more = (
        "insert into ml.invoice_scores (score_date, invoice_id, customer_id, model_id, p_late, expected_payment_date) "
        "values ('2026-06-01', 'I003', 'C003', 'm0', 0.3, '2026-06-20'), "
        "('2026-07-10', 'I003', 'C003', 'm0', 0.5, '2026-08-30'), "
        "('2026-07-15', 'I003', 'C003', 'm0', 0.5, '2026-09-30')"
    )
    load_raw_sql(book, more + ";")
    try:
        result = dbt_build(book, as_of=AS_OF.isoformat(), work_dir=tmp_path, select="fct_cash_forecast_weekly")
        assert result.success, failures(result)
        errors = rows(
            book,
            "select distinct error_days_p10, error_days_p90, error_sample_size from marts.fct_cash_forecast_weekly",
        )
        assert errors == [{"error_days_p10": 5, "error_days_p90": 5, "error_sample_size": 1}]
    finally:
        load_raw_sql(book, "delete from ml.invoice_scores where invoice_id = 'I003' and score_date <> '2026-07-01';")
        dbt_build(book, as_of=AS_OF.isoformat(), work_dir=tmp_path / "again", select="fct_cash_forecast_weekly")
