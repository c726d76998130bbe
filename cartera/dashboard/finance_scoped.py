"""The finance figures the warehouse keeps only for the whole book (marts.fct_ar_kpi_daily,
marts.fct_contact_kpis_weekly), recomputed on the customers a segment, country or collector
filter chooses, with the marts' own definitions, so that the figures of the parts add up to the
book's (the integration tests hold them to it).

- AR KPIs, at the end of each week ending on the last day shown (as the aging chart), from the
  invoices' open-balance spans: total and overdue AR in MXN at each day's closing rate, % current,
  average days past due of the overdue AR, open invoices. DSO (countback, simple, best possible),
  average days delinquent and CEI need the chosen customers' credit sales over trailing periods
  and are named in the table's notes as not filtered (``not_filtered:<kpi>``) instead of shown
  for the whole book under a filter.
- Outcomes of contact by week and channel, from the messages' outcomes and the promises they
  drew: the columns of fct_contact_kpis_weekly that the page shows."""

from __future__ import annotations

import datetime as dt
from typing import Any

import psycopg
from psycopg import sql

from cartera.dashboard import scope
from cartera.dashboard.tables import Column, Filters, Table, fetch

# The tiles' KPIs computed here, and those that are not (named in the notes).
SCOPED_KPIS: tuple[tuple[str, str], ...] = (
    ("total_ar_mxn", "money"),
    ("overdue_ar_mxn", "money"),
    ("pct_current", "pct"),
    ("avg_days_past_due_overdue", "days"),
    ("open_invoices", "int"),
)
NOT_SCOPED = ("dso_countback", "dso_simple", "best_possible_dso", "avg_days_delinquent", "cei")


def kpi_history(conn: psycopg.Connection, f: Filters) -> Table:
    """The AR KPIs of the chosen customers at the end of each week from ``f.date_from`` to
    ``f.date_to`` (both set by the caller)."""
    columns = [Column("day", "Semana al", "date"), *(Column(k, k, kind) for k, kind in SCOPED_KPIS)]
    notes = [f"not_filtered:{k}" for k in NOT_SCOPED]
    if f.date_from is None or f.date_to is None:
        return Table("kpi_history", "ar_trend", columns, [], notes=notes)
    # As the KPI mart: each invoice-day in MXN at the day's closing rate, rounded to the cent, then
    # summed; days past due counted from the due date; ratios rounded to two decimals.
    query = sql.SQL(
        """
        with days as (select %(to)s::date - 7 * k as day from generate_series(0, %(weeks)s) as k),
        open_days as (
            select d.day, cast(p.open_amount * r.rate_to_mxn as numeric(18, 2)) as open_mxn,
                   greatest(d.day - p.due_date, 0) as days_past_due
            from days d
            join intermediate.int_invoice_open_balance_periods_as_of p on d.day between p.valid_from and p.valid_to
            left join intermediate.int_fx_rates_daily r on r.currency = p.currency and r.rate_date = d.day
            where {customers}
        ),
        by_day as (
            select day, sum(open_mxn) as total, coalesce(sum(open_mxn) filter (where days_past_due > 0), 0) as overdue,
                   sum(open_mxn * days_past_due) as overdue_days, count(*) as open_invoices
            from open_days group by day
        )
        select d.day, coalesce(b.total, 0) as total_ar_mxn, coalesce(b.overdue, 0) as overdue_ar_mxn,
               cast(100 * (b.total - b.overdue) / nullif(b.total, 0) as numeric(10, 2)) as pct_current,
               cast(b.overdue_days / nullif(b.overdue, 0) as numeric(10, 2)) as avg_days_past_due_overdue,
               coalesce(b.open_invoices, 0) as open_invoices
        from days d left join by_day b using (day)
        where d.day >= (select min(valid_from) from intermediate.int_invoice_open_balance_periods_as_of)
        order by d.day
        """
    ).format(customers=scope.customers(f, "p.customer_id"))
    weeks = max(0, (f.date_to - f.date_from).days // 7)
    rows = fetch(conn, query, {"to": f.date_to, "weeks": weeks, **scope.params(f)})
    return Table("kpi_history", "ar_trend", columns, rows, notes=notes)


def outcomes_by_channel(conn: psycopg.Connection, f: Filters, columns: list[Column]) -> Table:
    """Per week and channel, the chosen customers' messages sent, bounced and followed by an
    opt-out, the rates, promises kept and what was paid after contact (last touch)."""
    query = sql.SQL(
        """
        with messages as (
            select o.*, date_trunc('week', o.sent_date::timestamp)::date as week_start
            from marts.fct_message_outcomes o
            where {customers}
        ),
        counts as (
            select week_start, channel, count(*) as sent,
                   count(*) filter (where is_bounced) as bounced,
                   count(*) filter (where is_opted_out_after) as opted_out,
                   count(*) filter (where is_replied) as replied,
                   sum(last_touch_paid_mxn) as paid
            from messages group by week_start, channel
        ),
        promises as (
            select m.week_start, m.channel,
                   count(*) filter (where p.promise_status = 'kept') as kept,
                   count(*) filter (where p.promise_status = 'broken') as broken
            from intermediate.int_promises_resolved p join messages m on p.reply_outbox_id = m.outbox_id
            group by m.week_start, m.channel
        )
        select c.week_start, c.channel, c.sent::integer as messages_sent,
               c.bounced::integer as messages_bounced, c.opted_out::integer as messages_opted_out,
               cast(c.bounced::numeric / c.sent as numeric(7, 4)) as bounce_rate,
               cast(c.opted_out::numeric / c.sent as numeric(7, 4)) as opt_out_rate,
               cast(c.replied::numeric / c.sent as numeric(7, 4)) as reply_rate,
               cast(p.kept::numeric / nullif(p.kept + p.broken, 0) as numeric(7, 4)) as promise_kept_rate,
               cast(c.paid as numeric(18, 2)) as paid_after_contact_mxn
        from counts c left join promises p using (week_start, channel)
        where c.week_start between %(from)s and %(to)s
        order by c.week_start, c.channel
        """
    ).format(customers=scope.customers(f, "o.customer_id"))
    params: dict[str, Any] = {"from": f.date_from or dt.date.min, "to": f.date_to or dt.date.max, **scope.params(f)}
    rows = fetch(conn, query, params)
    return Table("outcomes_by_channel", "outcomes_by_channel", columns, rows)
