"""The finance dashboard's tables: KPI history, aging over time, outcomes of contact by channel,
recovery and promises kept, the cash forecast. Each function reads what exists: a KPI column
another stage has not added yet is left out (and named in the table's notes), a mart never built
is an empty table.

Under a filter that chooses customers (segment, country, collector: cartera.dashboard.scope), a
figure kept per customer or invoice is filtered in the query; one the warehouse keeps only for the
whole book is recomputed on those customers (finance_scoped) or, where it cannot be, left empty
with a note saying the filter does not apply (``not_filtered:<what>``), never shown unfiltered."""

from __future__ import annotations

import datetime as dt

import psycopg
from psycopg import sql

from cartera.dashboard import finance_scoped, scope
from cartera.dashboard.tables import Column, Filters, Table, columns_of, fetch, scalar

# The KPI columns the dashboard knows, in the order shown; whichever exist are read.
KPI_COLUMNS: tuple[tuple[str, str], ...] = (
    ("total_ar_mxn", "money"),
    ("overdue_ar_mxn", "money"),
    ("dso_countback", "days"),
    ("dso_simple", "days"),
    ("simple_dso", "days"),
    ("best_possible_dso", "days"),
    ("bpdso", "days"),
    ("avg_days_delinquent", "days"),
    ("avg_days_past_due_overdue", "days"),
    ("cei", "pct"),
    ("pct_current", "pct"),
    ("open_invoices", "int"),
    ("fx_revaluation_mxn", "money"),
)
# Tiles worth a trend line; absent ones say so on the page.
TILE_KEYS = ("total_ar_mxn", "overdue_ar_mxn", "dso_countback", "dso_simple", "best_possible_dso", "cei")
# (schema, table, date column): the snapshots' key was snapshot_date before it became as_of_date.
KPI_SOURCES = (
    ("kpi", "daily_snapshots", "as_of_date"),
    ("kpi", "daily_snapshots", "snapshot_date"),
    ("marts", "fct_ar_kpi_daily", "kpi_date"),
)
THIRTEEN_MONTHS = 396
BUCKETS = ("current", "1-30", "31-60", "61-90", "91+")


def _by_bucket(amount: str) -> sql.Composed:
    """``sum(<amount>) filter (where aging_bucket = '<b>') as "<b>"`` for each of BUCKETS."""
    return sql.SQL(", ").join(
        sql.SQL("sum({amount}) filter (where aging_bucket = {bucket}) as {name}").format(
            amount=sql.SQL(amount), bucket=sql.Literal(b), name=sql.Identifier(b)
        )
        for b in BUCKETS
    )


def _kpi_source(conn: psycopg.Connection) -> tuple[str, str, str, set[str]] | None:
    """The KPI table with the most days of history (the daily snapshots once backfilled, else the
    mart's window); between equals, the one with more of the KPI columns."""
    best: tuple[str, str, str, set[str]] | None = None
    best_score = (-1, -1)
    for schema, table, date_col in KPI_SOURCES:
        cols = columns_of(conn, schema, table)
        if date_col not in cols:
            continue
        days = scalar(conn, sql.SQL("select count(*) from {}").format(sql.Identifier(schema, table))) or 0
        score = (int(days), sum(1 for k, _ in KPI_COLUMNS if k in cols))
        if score > best_score:
            best, best_score = (schema, table, date_col, cols), score
    return best


def kpi_history(conn: psycopg.Connection, f: Filters) -> Table:
    """One row per day: every KPI column the warehouse has, over 13 months unless filtered. Under
    a filter that chooses customers, the AR KPIs of those customers by week (finance_scoped)."""
    source = _kpi_source(conn)
    if source is None:
        return Table("kpi_history", "ar_trend", [Column("day", "Fecha", "date")], [])
    schema, table, date_col, cols = source
    if f.scoped:
        return finance_scoped.kpi_history(conn, f.with_range(last_day(conn), THIRTEEN_MONTHS))
    present = [(k, kind) for k, kind in KPI_COLUMNS if k in cols]
    missing = [k for k in TILE_KEYS if k not in cols]
    last = scalar(
        conn, sql.SQL("select max({}) from {}").format(sql.Identifier(date_col), sql.Identifier(schema, table))
    )
    f = f.with_range(last, THIRTEEN_MONTHS)
    query = sql.SQL("select {day} as day, {cols} from {table} where {day} between %s and %s order by 1").format(
        day=sql.Identifier(date_col),
        cols=sql.SQL(", ").join(sql.Identifier(k) for k, _ in present),
        table=sql.Identifier(schema, table),
    )
    rows = fetch(conn, query, (f.date_from, f.date_to)) if present else []
    columns = [Column("day", "Fecha", "date"), *(Column(k, k, kind) for k, kind in present)]
    return Table("kpi_history", "ar_trend", columns, rows, notes=[f"missing:{k}" for k in missing])


# The daily aging mart (dbt: fct_ar_aging_daily) and the columns this module reads from it.
AGING_MART = ("marts", "fct_ar_aging_daily")
_AGING_MART_COLUMNS = {"aging_date", "currency", "aging_bucket", "open_amount", "open_amount_mxn"}


def aging_history(conn: psycopg.Connection, f: Filters) -> Table:
    """Open amount by aging bucket at the end of each week (weeks ending on the last day shown);
    in the chosen currency, else every currency in MXN (at the issue-date rate, as the marts carry
    it). The whole book's figures come from the daily aging mart; under a filter that chooses
    customers (which the mart does not keep), or before the mart is built, from the invoices'
    open-balance spans (the same figures: tests/integration/dashboard/test_aging_mart.py)."""
    if not f.scoped and _AGING_MART_COLUMNS <= columns_of(conn, *AGING_MART):
        return aging_history_from_mart(conn, f)
    return aging_history_from_spans(conn, f)


def aging_history_from_mart(conn: psycopg.Connection, f: Filters) -> Table:
    """aging_history of the whole book read from marts.fct_ar_aging_daily: a few rows per week
    shown instead of every open-balance span (the page's cost no longer grows with the book).
    Customer filters are not applied here (the mart has no customers): the caller's job."""
    f = f.with_range(scalar(conn, "select max(aging_date) from marts.fct_ar_aging_daily"), THIRTEEN_MONTHS)
    if f.date_to is None or f.date_from is None:
        return aging_latest(conn, f, key="aging_history")
    weeks = max(0, (f.date_to - f.date_from).days // 7)
    amount = "open_amount" if f.currency else "open_amount_mxn"
    # The mart holds a row only for a (day, currency, bucket) with an open invoice, so a bucket
    # without one sums to null and a day without any is no row, as the spans' query gives them.
    query = sql.SQL(
        """
        select aging_date as day, {by_bucket}
        from marts.fct_ar_aging_daily
        where aging_date in (select %(to)s::date - 7 * k from generate_series(0, %(weeks)s) as k)
          and (%(currency)s::text is null or currency = %(currency)s)
        group by aging_date order by aging_date
        """
    ).format(by_bucket=_by_bucket(amount))
    rows = fetch(conn, query, {"to": f.date_to, "weeks": weeks, "currency": f.currency})
    if not rows:
        return aging_latest(conn, f, key="aging_history")
    columns = [Column("day", "Semana al", "date"), *(Column(b, b, "money") for b in BUCKETS)]
    return Table("aging_history", "aging_history", columns, rows, currency=f.currency or "MXN")


def aging_history_from_spans(conn: psycopg.Connection, f: Filters) -> Table:
    """aging_history computed from the invoices' open-balance spans, honouring the filters that
    choose customers; each span is expanded to the week ends it covers."""
    last = scalar(conn, "select max(valid_to) from intermediate.int_invoice_open_balance_periods_as_of")
    f = f.with_range(last, THIRTEEN_MONTHS)
    if f.date_to is None or f.date_from is None:
        return aging_latest(conn, f, key="aging_history")
    weeks = max(0, (f.date_to - f.date_from).days // 7)
    amount = "p.open_amount" if f.currency else "p.open_amount_mxn"
    # Each span is expanded to the week ends (day = to - 7k) it covers: k from ceil((to - valid_to)/7)
    # to floor((to - valid_from)/7), within 0..weeks; spans outside the range are skipped. The span
    # carries the invoice's customer, currency and due date (as fct_invoices does).
    query = sql.SQL(
        """
        with open_at as (
            select %(to)s::date - 7 * k as day, %(to)s::date - 7 * k - p.due_date as days_past_due, {amount} as amount
            from intermediate.int_invoice_open_balance_periods_as_of p
            cross join lateral generate_series(
                greatest(0, (%(to)s::date - p.valid_to + 6) / 7), least(%(weeks)s, (%(to)s::date - p.valid_from) / 7)
            ) as k
            where p.valid_from <= %(to)s::date and p.valid_to >= %(to)s::date - 7 * %(weeks)s
              and (%(currency)s::text is null or p.currency = %(currency)s) and {customers}
        )
        select day,
               sum(amount) filter (where days_past_due <= 0) as "current",
               sum(amount) filter (where days_past_due between 1 and 30) as "1-30",
               sum(amount) filter (where days_past_due between 31 and 60) as "31-60",
               sum(amount) filter (where days_past_due between 61 and 90) as "61-90",
               sum(amount) filter (where days_past_due > 90) as "91+"
        from open_at group by day order by day
        """
    ).format(amount=sql.SQL(amount), customers=scope.customers(f, "p.customer_id"))
    params = {"to": f.date_to, "weeks": weeks, "currency": f.currency, **scope.params(f)}
    rows = fetch(conn, query, params)
    if not rows:
        return aging_latest(conn, f, key="aging_history")
    columns = [Column("day", "Semana al", "date"), *(Column(b, b, "money") for b in BUCKETS)]
    return Table("aging_history", "aging_history", columns, rows, currency=f.currency or "MXN")


def aging_latest(conn: psycopg.Connection, f: Filters, key: str = "aging_latest") -> Table:
    """The open book of the latest day by bucket (and currency)."""
    amount = "open_amount" if f.currency else "open_amount_mxn"
    query = sql.SQL(
        """
        select as_of_date as day, {by_bucket}
        from marts.fct_open_items
        where as_of_date = (select max(as_of_date) from marts.fct_open_items)
          and (%(currency)s::text is null or currency = %(currency)s) and {customers}
        group by as_of_date
        """
    ).format(by_bucket=_by_bucket(amount), customers=scope.customers(f, "customer_id"))
    rows = fetch(conn, query, {"currency": f.currency, **scope.params(f)})
    columns = [Column("day", "Fecha", "date"), *(Column(b, b, "money") for b in BUCKETS)]
    return Table(key, "aging_history", columns, rows, currency=f.currency or "MXN")


_OUTCOME_COLUMNS = (
    Column("week_start", "Semana", "date"),
    Column("channel", "channel"),
    Column("messages_sent", "messages", "int"),
    Column("messages_bounced", "Rebotes / bounces", "int"),
    Column("messages_opted_out", "Bajas / opt-outs", "int"),
    Column("bounce_rate", "% rebote / bounce rate", "rate"),
    Column("opt_out_rate", "% baja / opt-out rate", "rate"),
    Column("reply_rate", "% respuesta / reply rate", "rate"),
    Column("promise_kept_rate", "% promesas cumplidas / promises kept", "rate"),
    Column("paid_after_contact_mxn", "Pagado tras contacto (MXN) / paid after contact", "money"),
)


def outcomes_by_channel(conn: psycopg.Connection, f: Filters) -> Table:
    """Per week and channel: messages sent, bounced and opted out, and the rates, from the weekly
    contact KPI mart (counts rebuilt from the rates when the mart has only rates); under a filter
    that chooses customers, recomputed on their messages (finance_scoped)."""
    cols = columns_of(conn, "marts", "fct_contact_kpis_weekly")
    if not {"week_start", "channel", "messages_sent"} <= cols:
        return Table("outcomes_by_channel", "outcomes_by_channel", [], [])

    def count(name: str, rate: str) -> sql.Composable:
        if name in cols:
            return sql.Identifier(name)
        if rate in cols:
            return sql.SQL("round(messages_sent * {})::integer").format(sql.Identifier(rate))
        return sql.SQL("null::integer")

    def maybe(name: str) -> sql.Composable:
        return sql.Identifier(name) if name in cols else sql.SQL("null::numeric")

    last = scalar(conn, "select max(week_start) from marts.fct_contact_kpis_weekly")
    f = f.with_range(last, THIRTEEN_MONTHS)
    if f.scoped:
        return finance_scoped.outcomes_by_channel(conn, f, list(_OUTCOME_COLUMNS))
    query = sql.SQL(
        """
        select week_start, channel, messages_sent, {bounced} as messages_bounced,
               {opted_out} as messages_opted_out, {bounce_rate} as bounce_rate,
               {opt_out_rate} as opt_out_rate, {reply_rate} as reply_rate,
               {promise_kept_rate} as promise_kept_rate, {paid} as paid_after_contact_mxn
        from marts.fct_contact_kpis_weekly
        where week_start between %s and %s
        order by week_start, channel
        """
    ).format(
        bounced=count("messages_bounced", "bounce_rate"),
        opted_out=count("messages_opted_out", "opt_out_rate"),
        bounce_rate=maybe("bounce_rate"),
        opt_out_rate=maybe("opt_out_rate"),
        reply_rate=maybe("reply_rate"),
        promise_kept_rate=maybe("promise_kept_rate"),
        paid=maybe("paid_after_contact_mxn"),
    )
    rows = fetch(conn, query, (f.date_from, f.date_to))
    return Table("outcomes_by_channel", "outcomes_by_channel", list(_OUTCOME_COLUMNS), rows)


def recovery(conn: psycopg.Connection, f: Filters) -> Table:
    """Per week: the share of the amount named in messages that was paid in the attribution
    window (recovery rate), and the share of resolved promises that were kept."""
    cols = columns_of(conn, "marts", "fct_message_outcomes")
    if not {"sent_date", "named_open_amount_mxn", "paid_in_window_mxn"} <= cols:
        return Table("recovery", "recovery", [], [])
    promise = "promise_status" in cols
    last = scalar(conn, "select max(sent_date) from marts.fct_message_outcomes")
    f = f.with_range(last, THIRTEEN_MONTHS)
    query = sql.SQL(
        """
        select date_trunc('week', sent_date)::date as week_start, count(*) as messages,
               sum(named_open_amount_mxn) as named_mxn, coalesce(sum(paid_in_window_mxn), 0) as paid_mxn,
               coalesce(sum(paid_in_window_mxn), 0) / nullif(sum(named_open_amount_mxn), 0) as recovery_rate,
               {kept} as promise_kept_rate
        from marts.fct_message_outcomes
        where sent_date between %(from)s and %(to)s and {customers}
        group by 1 order by 1
        """
    ).format(
        kept=sql.SQL(
            "count(*) filter (where promise_status = 'kept')::numeric "
            "/ nullif(count(*) filter (where promise_status in ('kept', 'broken')), 0)"
            if promise
            else "null::numeric"
        ),
        customers=scope.customers(f, "customer_id"),
    )
    rows = fetch(conn, query, {"from": f.date_from, "to": f.date_to, **scope.params(f)})
    columns = [
        Column("week_start", "Semana", "date"),
        Column("messages", "messages", "int"),
        Column("named_mxn", "amount_named", "money"),
        Column("paid_mxn", "Pagado en ventana (MXN) / paid in window", "money"),
        Column("recovery_rate", "% recuperación / recovery rate", "rate"),
        Column("promise_kept_rate", "% promesas cumplidas / promises kept", "rate"),
    ]
    return Table("recovery", "recovery", columns, rows)


def cash_forecast(conn: psycopg.Connection, f: Filters) -> Table:
    """The 13-week cash forecast (marts.fct_cash_forecast_weekly) of the latest as-of date: expected
    collections per week in MXN at the closing rate (or in one currency when filtered), with the
    cumulative expectation and its p10/p90 timing interval. The mart forecasts the whole book
    (per currency, with one error interval): under a filter that chooses customers the table is
    empty, with the note ``not_filtered:cash_forecast``, rather than the book's figures."""
    columns = [
        Column("week_start", "Semana", "date"),
        Column("expected", "Cobro esperado / expected collections", "money"),
        Column("cumulative", "Acumulado esperado / cumulative expected", "money"),
        Column("cumulative_low", "Acumulado p10 / cumulative p10", "money"),
        Column("cumulative_high", "Acumulado p90 / cumulative p90", "money"),
    ]
    if f.scoped:
        return Table("cash_forecast", "cash_forecast", columns, [], notes=["not_filtered:cash_forecast"])
    cols = columns_of(conn, "marts", "fct_cash_forecast_weekly")
    if not {"as_of_date", "week_start", "expected_collections_mxn"} <= cols:
        return Table("cash_forecast", "cash_forecast", [], [])
    suffix = "" if f.currency else "_mxn"
    query = sql.SQL(
        """
        select week_start, sum({expected}) as expected, sum({cumulative}) as cumulative,
               sum({low}) as cumulative_low, sum({high}) as cumulative_high
        from marts.fct_cash_forecast_weekly
        where as_of_date = (select max(as_of_date) from marts.fct_cash_forecast_weekly)
          and (%(currency)s::text is null or currency = %(currency)s)
        group by 1 order by 1
        """
    ).format(
        expected=sql.Identifier(f"expected_collections{suffix}"),
        cumulative=sql.Identifier(f"cumulative_expected_collections{suffix}"),
        low=sql.Identifier(f"cumulative_collections_low{suffix}"),
        high=sql.Identifier(f"cumulative_collections_high{suffix}"),
    )
    rows = fetch(conn, query, {"currency": f.currency})
    return Table("cash_forecast", "cash_forecast", columns, rows)


def last_day(conn: psycopg.Connection) -> dt.date | None:
    """The last day the KPIs have data for (what the tiles are 'as of')."""
    source = _kpi_source(conn)
    if source is None:
        return None
    schema, table, date_col, _ = source
    value = scalar(
        conn, sql.SQL("select max({}) from {}").format(sql.Identifier(date_col), sql.Identifier(schema, table))
    )
    return value if isinstance(value, dt.date) else None
