{%- set balance_days = (var('kpi_window_days') | int) + (var('cei_period_days') | int) -%}
{#- The planner cannot estimate the calendar expansion below; JIT would compile for seconds a
    query that runs in well under one. -#}
{{ config(pre_hook="set local jit = off") }}

with balance_periods as (
    select * from {{ ref('int_invoice_open_balance_periods_as_of') }}
),

invoices as (
    select * from {{ ref('int_invoices_posted_as_of') }}
),

settlement_events as (
    select * from {{ ref('int_invoice_settlement_events_as_of') }}
),

fx_rates_daily as (
    select * from {{ ref('int_fx_rates_daily') }}
),

-- The books hold data through the last day something that moves receivables was posted on: an
-- invoice issued, a payment applied, a credit note. The as-of day itself is usually still empty
-- when the warehouse runs (ingest reads the previous day at 00:30), and an empty day must not be
-- counted as a day of zero sales.
posted_days as (
    select issue_date as posted_date from invoices
    union all
    select event_date as posted_date from settlement_events
),

books as (
    select max(posted_date) as data_through
    from posted_days
    where posted_date <= {{ as_of_date() }}
),

-- Calendars from integer offsets with a constant bound, so the planner knows their size.
balance_days as (
    select cast(books.data_through - day_offset as date) as balance_date
    from books
    cross join generate_series(0, {{ balance_days - 1 }}) as day_offset
    where books.data_through is not null
),

-- Each span of constant open amount expanded to its days within the range.
open_invoice_days as (
    select
        cast(balance_day as date) as balance_date,
        balance_periods.invoice_id,
        balance_periods.due_date,
        balance_periods.currency,
        balance_periods.open_amount,
        balance_periods.open_amount_mxn as open_mxn_at_issue_rate
    from balance_periods
    cross join books
    -- a set-returning function in FROM sees the items before it (Postgres: LATERAL is implied)
    cross join
        generate_series(
            greatest(balance_periods.valid_from, books.data_through - {{ balance_days - 1 }}),
            least(balance_periods.valid_to, books.data_through),
            interval '1 day'
        ) as balance_day
    where
        balance_periods.valid_to >= books.data_through - {{ balance_days - 1 }}
        and balance_periods.valid_from <= books.data_through
),

-- NIF B-15 / IAS 21: a receivable in foreign currency is a monetary item, revalued at each day's
-- closing rate (the latest rate published on or before the day).
revalued_invoice_days as (
    select
        open_invoice_days.balance_date,
        open_invoice_days.open_mxn_at_issue_rate,
        {{ money('open_invoice_days.open_amount * fx_rates_daily.rate_to_mxn') }} as open_mxn_at_closing_rate,
        greatest(open_invoice_days.balance_date - open_invoice_days.due_date, 0) as days_past_due
    from open_invoice_days
    left join fx_rates_daily
        on
            open_invoice_days.currency = fx_rates_daily.currency
            and open_invoice_days.balance_date = fx_rates_daily.rate_date
),

balances_by_day as (
    select
        balance_date,
        sum(open_mxn_at_closing_rate) as open_mxn_at_closing_rate,
        sum(open_mxn_at_issue_rate) as open_mxn_at_issue_rate,
        sum(case when days_past_due > 0 then open_mxn_at_closing_rate else 0 end) as overdue_mxn,
        sum(open_mxn_at_closing_rate * days_past_due) as overdue_mxn_days,
        count(*) as open_invoices,
        count(*) filter (where days_past_due > 0) as overdue_invoices
    from revalued_invoice_days
    group by balance_date
),

final as (
    select
        balance_days.balance_date,
        books.data_through,
        {{ money('coalesce(balances_by_day.open_mxn_at_closing_rate, 0)') }} as open_mxn_at_closing_rate,
        {{ money('coalesce(balances_by_day.open_mxn_at_issue_rate, 0)') }} as open_mxn_at_issue_rate,
        {{ money(
            'coalesce(balances_by_day.open_mxn_at_closing_rate, 0)'
            ~ ' - coalesce(balances_by_day.open_mxn_at_issue_rate, 0)'
        ) }} as fx_revaluation_mxn,
        {{ money('coalesce(balances_by_day.overdue_mxn, 0)') }} as overdue_mxn,
        {{ money('coalesce(balances_by_day.open_mxn_at_closing_rate, 0) - coalesce(balances_by_day.overdue_mxn, 0)') }}
            as current_mxn,
        cast(coalesce(balances_by_day.overdue_mxn_days, 0) as numeric(24, 2)) as overdue_mxn_days,
        cast(coalesce(balances_by_day.open_invoices, 0) as integer) as open_invoices,
        cast(coalesce(balances_by_day.overdue_invoices, 0) as integer) as overdue_invoices
    from balance_days
    cross join books
    left join balances_by_day
        on balance_days.balance_date = balances_by_day.balance_date
)

select * from final
