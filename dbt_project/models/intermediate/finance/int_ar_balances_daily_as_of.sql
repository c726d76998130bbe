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
    select
        max(posted_date) as data_through,
        max(posted_date) - {{ balance_days - 1 }} as first_balance_date
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

-- Each span of constant open amount, clipped to the range.
balance_spans as (
    select
        balance_periods.invoice_id,
        balance_periods.due_date,
        balance_periods.currency,
        balance_periods.open_amount,
        balance_periods.open_amount_mxn,
        greatest(balance_periods.valid_from, books.first_balance_date) as span_from,
        least(balance_periods.valid_to, books.data_through) as span_to
    from balance_periods
    cross join books
    where
        balance_periods.valid_to >= books.first_balance_date
        and balance_periods.valid_from <= books.data_through
),

-- ... cut at its due date into the days it is current (day <= due_date) and the days it is past
-- due (day > due_date).
balance_parts as (
    select
        invoice_id,
        due_date,
        currency,
        open_amount,
        open_amount_mxn,
        false as is_overdue,
        span_from as part_from,
        least(span_to, due_date) as part_to
    from balance_spans
    where span_from <= due_date
    union all
    select
        invoice_id,
        due_date,
        currency,
        open_amount,
        open_amount_mxn,
        true as is_overdue,
        greatest(span_from, due_date + 1) as part_from,
        span_to as part_to
    from balance_spans
    where span_to > due_date
),

-- Pesos (the functional currency, rate 1 on every day) need no per-day revaluation: a part adds
-- its amounts on its first day and takes them away the day after its last, and a running sum
-- over the calendar gives each day's balance. O(spans + days) instead of O(spans × days).
-- overdue_mxn_days = Σ open × (day − due_date) = (day − first day) × Σ open
-- − Σ open × (due_date − first day), both sums running.
peso_changes as (
    select
        balance_parts.part_from as change_date,
        balance_parts.open_amount,
        balance_parts.open_amount_mxn as open_mxn_at_issue_rate,
        case when balance_parts.is_overdue then balance_parts.open_amount else 0 end as overdue_amount,
        case
            when balance_parts.is_overdue
                then balance_parts.open_amount * (balance_parts.due_date - books.first_balance_date)
            else 0
        end as overdue_due_weight,
        1 as open_invoices,
        case when balance_parts.is_overdue then 1 else 0 end as overdue_invoices
    from balance_parts
    cross join books
    where balance_parts.currency = 'MXN'
    union all
    select
        balance_parts.part_to + 1 as change_date,
        -balance_parts.open_amount as open_amount,
        -balance_parts.open_amount_mxn as open_mxn_at_issue_rate,
        case when balance_parts.is_overdue then -balance_parts.open_amount else 0 end as overdue_amount,
        case
            when balance_parts.is_overdue
                then -balance_parts.open_amount * (balance_parts.due_date - books.first_balance_date)
            else 0
        end as overdue_due_weight,
        -1 as open_invoices,
        case when balance_parts.is_overdue then -1 else 0 end as overdue_invoices
    from balance_parts
    cross join books
    where
        balance_parts.currency = 'MXN'
        and balance_parts.part_to < books.data_through
),

peso_changes_by_day as (
    select
        change_date,
        sum(open_amount) as open_amount,
        sum(open_mxn_at_issue_rate) as open_mxn_at_issue_rate,
        sum(overdue_amount) as overdue_amount,
        sum(overdue_due_weight) as overdue_due_weight,
        sum(open_invoices) as open_invoices,
        sum(overdue_invoices) as overdue_invoices
    from peso_changes
    group by change_date
),

peso_running as (
    select
        balance_days.balance_date,
        sum(coalesce(peso_changes_by_day.open_amount, 0)) over calendar as open_amount,
        sum(coalesce(peso_changes_by_day.open_mxn_at_issue_rate, 0)) over calendar as open_mxn_at_issue_rate,
        sum(coalesce(peso_changes_by_day.overdue_amount, 0)) over calendar as overdue_amount,
        sum(coalesce(peso_changes_by_day.overdue_due_weight, 0)) over calendar as overdue_due_weight,
        sum(coalesce(peso_changes_by_day.open_invoices, 0)) over calendar as open_invoices,
        sum(coalesce(peso_changes_by_day.overdue_invoices, 0)) over calendar as overdue_invoices
    from balance_days
    left join peso_changes_by_day
        on balance_days.balance_date = peso_changes_by_day.change_date
    window calendar as (order by balance_days.balance_date rows between unbounded preceding and current row)
),

-- Rate 1 makes each invoice's rounding to the cent exact, so the day's sums are the same sums.
peso_balances_by_day as (
    select
        peso_running.balance_date,
        peso_running.open_amount * fx_rates_daily.rate_to_mxn as open_mxn_at_closing_rate,
        peso_running.open_mxn_at_issue_rate,
        peso_running.overdue_amount * fx_rates_daily.rate_to_mxn as overdue_mxn,
        (
            (peso_running.balance_date - books.first_balance_date) * peso_running.overdue_amount
            - peso_running.overdue_due_weight
        ) * fx_rates_daily.rate_to_mxn as overdue_mxn_days,
        peso_running.open_invoices,
        peso_running.overdue_invoices
    from peso_running
    cross join books
    left join fx_rates_daily
        on
            fx_rates_daily.currency = 'MXN'
            and peso_running.balance_date = fx_rates_daily.rate_date
),

-- NIF B-15 / IAS 21: a receivable in foreign currency is a monetary item, revalued at each day's
-- closing rate (the latest rate published on or before the day), each invoice rounded to the
-- cent: these parts are expanded to their days.
foreign_invoice_days as (
    select
        part_from + day_offset as balance_date,
        due_date,
        currency,
        open_amount,
        open_amount_mxn as open_mxn_at_issue_rate
    from balance_parts
    -- a set-returning function in FROM sees the items before it (Postgres: LATERAL is implied);
    -- integer offsets, not a series of timestamps cast back to dates (a quarter faster)
    cross join generate_series(0, part_to - part_from) as day_offset
    where currency <> 'MXN'
),

revalued_invoice_days as (
    select
        foreign_invoice_days.balance_date,
        foreign_invoice_days.open_mxn_at_issue_rate,
        {{ money('foreign_invoice_days.open_amount * fx_rates_daily.rate_to_mxn') }} as open_mxn_at_closing_rate,
        greatest(foreign_invoice_days.balance_date - foreign_invoice_days.due_date, 0) as days_past_due
    from foreign_invoice_days
    left join fx_rates_daily
        on
            foreign_invoice_days.currency = fx_rates_daily.currency
            and foreign_invoice_days.balance_date = fx_rates_daily.rate_date
),

foreign_balances_by_day as (
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

balances_by_currency_day as (
    select * from peso_balances_by_day
    union all
    select * from foreign_balances_by_day
),

balances_by_day as (
    select
        balance_date,
        sum(open_mxn_at_closing_rate) as open_mxn_at_closing_rate,
        sum(open_mxn_at_issue_rate) as open_mxn_at_issue_rate,
        sum(overdue_mxn) as overdue_mxn,
        sum(overdue_mxn_days) as overdue_mxn_days,
        sum(open_invoices) as open_invoices,
        sum(overdue_invoices) as overdue_invoices
    from balances_by_currency_day
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
