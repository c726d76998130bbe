{%- set window_days = var('kpi_window_days') | int -%}
{%- set max_months = var('dso_countback_max_months') | int -%}
{%- set period_days = var('dso_simple_period_days') | int -%}
{%- set cei_days = var('cei_period_days') | int -%}
{#- Sales are needed back to the oldest countback month, simple-DSO period or CEI start. -#}
{%- set sales_lookback = [31 * max_months + 1, period_days, cei_days] | max -%}
{#- The planner cannot estimate the calendar joins below and costs this query in the millions,
    so Postgres JIT-compiles it: seconds of compiling for a query that runs in well under one. -#}
{{ config(pre_hook="set local jit = off") }}

with daily_balances as (
    select * from {{ ref('int_ar_balances_daily_as_of') }}
),

invoices as (
    select * from {{ ref('int_invoices_posted_as_of') }}
),

books as (
    select
        (select max(data_through) from daily_balances) as data_through,
        (select min(issue_date) from invoices) as first_issue_date
),

-- The KPI window ends on data_through (the last day with posted data), never on an empty as-of
-- day, and starts no earlier than the first invoice. Calendars from integer offsets with constant
-- bounds so the planner knows their size.
kpi_days as (
    select cast(books.data_through - day_offset as date) as kpi_date
    from books
    cross join generate_series(0, {{ window_days - 1 }}) as day_offset
    where books.data_through - day_offset >= books.first_issue_date
),

sales_days as (
    select cast(books.data_through - day_offset as date) as sales_date
    from books
    cross join generate_series(0, {{ window_days + sales_lookback }}) as day_offset
    where books.data_through is not null
),

-- Credit sales are translated at the issue-date rate (a transaction is recorded at its own rate).
sales_by_day as (
    select
        issue_date as sales_date,
        sum(total_amount_mxn) as credit_sales_mxn
    from invoices
    group by issue_date
),

-- Running total of credit sales: sales in (a, b] = cumulative(b) − cumulative(a).
cumulative_sales as (
    select
        sales_days.sales_date,
        sum(coalesce(sales_by_day.credit_sales_mxn, 0)) over (order by sales_days.sales_date) as cumulative_sales_mxn
    from sales_days
    left join sales_by_day
        on sales_days.sales_date = sales_by_day.sales_date
),

-- Countback month k (1 = the month ending on kpi_date) covers (kpi_date − k months,
-- kpi_date − (k − 1) months]: calendar months walked back from the KPI day.
countback_months as (
    select
        kpi_days.kpi_date,
        month_number,
        cast(kpi_days.kpi_date - make_interval(months => month_number) as date) as month_start_exclusive,
        cast(kpi_days.kpi_date - make_interval(months => month_number - 1) as date) as month_end
    from kpi_days
    cross join generate_series(1, {{ max_months }}) as month_number
),

countback_sales as (
    select
        countback_months.kpi_date,
        countback_months.month_end - countback_months.month_start_exclusive as month_days,
        -- sales of the months already walked through (later than this month)
        at_kpi_date.cumulative_sales_mxn - at_month_end.cumulative_sales_mxn as later_sales_mxn,
        -- sales of this month and the later ones
        at_kpi_date.cumulative_sales_mxn - at_month_start.cumulative_sales_mxn as sales_through_month_mxn,
        at_month_end.cumulative_sales_mxn - at_month_start.cumulative_sales_mxn as month_sales_mxn
    from countback_months
    inner join cumulative_sales as at_kpi_date
        on countback_months.kpi_date = at_kpi_date.sales_date
    inner join cumulative_sales as at_month_end
        on countback_months.month_end = at_month_end.sales_date
    inner join cumulative_sales as at_month_start
        on countback_months.month_start_exclusive = at_month_start.sales_date
),

-- A month whose sales the balance fully absorbs counts all its days; the month where the balance
-- runs out counts the fraction of its sales still needed; earlier months count nothing.
countback_days as (
    select
        countback_sales.kpi_date,
        sum(
            case
                when daily_balances.open_mxn_at_closing_rate <= countback_sales.later_sales_mxn then 0
                when daily_balances.open_mxn_at_closing_rate >= countback_sales.sales_through_month_mxn
                    then countback_sales.month_days
                else (daily_balances.open_mxn_at_closing_rate - countback_sales.later_sales_mxn)
                    / countback_sales.month_sales_mxn * countback_sales.month_days
            end
        ) as dso_countback
    from countback_sales
    inner join daily_balances
        on countback_sales.kpi_date = daily_balances.balance_date
    group by countback_sales.kpi_date
),

period_sales as (
    select
        kpi_days.kpi_date,
        at_kpi_date.cumulative_sales_mxn - period_start.cumulative_sales_mxn as dso_period_sales_mxn,
        at_kpi_date.cumulative_sales_mxn - cei_start.cumulative_sales_mxn as cei_period_sales_mxn
    from kpi_days
    inner join cumulative_sales as at_kpi_date
        on kpi_days.kpi_date = at_kpi_date.sales_date
    inner join cumulative_sales as period_start
        on kpi_days.kpi_date - {{ period_days }} = period_start.sales_date
    inner join cumulative_sales as cei_start
        on kpi_days.kpi_date - {{ cei_days }} = cei_start.sales_date
),

kpis as (
    select
        kpi_days.kpi_date,
        ending.*,
        beginning.open_mxn_at_closing_rate as beginning_ar_mxn,
        period_sales.dso_period_sales_mxn,
        period_sales.cei_period_sales_mxn,
        countback_days.dso_countback,
        -- CRF definitions, all over the same trailing period of dso_simple_period_days days
        ending.open_mxn_at_closing_rate / nullif(period_sales.dso_period_sales_mxn, 0) * {{ period_days }}
            as dso_simple,
        ending.current_mxn / nullif(period_sales.dso_period_sales_mxn, 0) * {{ period_days }} as best_possible_dso
    from kpi_days
    inner join daily_balances as ending
        on kpi_days.kpi_date = ending.balance_date
    inner join daily_balances as beginning
        on kpi_days.kpi_date - {{ cei_days }} = beginning.balance_date
    inner join countback_days
        on kpi_days.kpi_date = countback_days.kpi_date
    inner join period_sales
        on kpi_days.kpi_date = period_sales.kpi_date
),

final as (
    select
        kpi_date,
        {{ as_of_date() }} as as_of_date,
        data_through,
        open_mxn_at_closing_rate as total_ar_mxn,
        open_mxn_at_closing_rate,
        open_mxn_at_issue_rate,
        fx_revaluation_mxn,
        current_mxn as current_ar_mxn,
        overdue_mxn as overdue_ar_mxn,
        cast(100 * current_mxn / nullif(open_mxn_at_closing_rate, 0) as numeric(10, 2)) as pct_current,
        cast(dso_countback as numeric(10, 2)) as dso_countback,
        cast(dso_simple as numeric(10, 2)) as dso_simple,
        cast(best_possible_dso as numeric(10, 2)) as best_possible_dso,
        -- from the unrounded values: = overdue AR / period sales × days
        cast(dso_simple - best_possible_dso as numeric(10, 2)) as avg_days_delinquent,
        cast(overdue_mxn_days / nullif(overdue_mxn, 0) as numeric(10, 2)) as avg_days_past_due_overdue,
        cast(
            100
            * (beginning_ar_mxn + cei_period_sales_mxn - open_mxn_at_closing_rate)
            / nullif(beginning_ar_mxn + cei_period_sales_mxn - current_mxn, 0)
            as numeric(10, 2)
        ) as cei,
        {{ money('dso_period_sales_mxn') }} as dso_period_sales_mxn,
        open_invoices,
        overdue_invoices
    from kpis
)

select * from final
