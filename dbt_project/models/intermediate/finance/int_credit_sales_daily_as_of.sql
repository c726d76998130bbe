{%- set window_days = var('kpi_window_days') | int -%}
{%- set max_months = var('dso_countback_max_months') | int -%}
{%- set period_days = var('dso_simple_period_days') | int -%}
{%- set cei_days = var('cei_period_days') | int -%}
{#- Sales are needed back to the oldest countback month, simple-DSO period or CEI start of the
    first KPI day. -#}
{%- set sales_lookback = [31 * max_months + 1, period_days, cei_days] | max -%}

with daily_balances as (
    select * from {{ ref('int_ar_balances_daily_as_of') }}
),

invoices as (
    select * from {{ ref('int_invoices_posted_as_of') }}
),

books as (
    select max(data_through) as data_through
    from daily_balances
),

-- A calendar from integer offsets with a constant bound, so the planner knows its size.
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

-- The running total makes any period a difference: sales in (a, b] = cumulative(b) − cumulative(a).
final as (
    select
        sales_days.sales_date,
        {{ money('coalesce(sales_by_day.credit_sales_mxn, 0)') }} as credit_sales_mxn,
        {{ money('sum(coalesce(sales_by_day.credit_sales_mxn, 0)) over (order by sales_days.sales_date)') }}
            as cumulative_credit_sales_mxn
    from sales_days
    left join sales_by_day
        on sales_days.sales_date = sales_by_day.sales_date
)

select * from final
