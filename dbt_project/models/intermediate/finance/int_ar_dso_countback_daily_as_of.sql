{%- set max_months = var('dso_countback_max_months') | int -%}
{#- The planner cannot estimate the calendar joins below; JIT would compile for seconds a query
    that runs in well under one. -#}
{{ config(pre_hook="set local jit = off") }}

with kpi_days as (
    select * from {{ ref('int_ar_kpi_days_as_of') }}
),

daily_balances as (
    select * from {{ ref('int_ar_balances_daily_as_of') }}
),

credit_sales as (
    select * from {{ ref('int_credit_sales_daily_as_of') }}
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
        at_kpi_date.cumulative_credit_sales_mxn - at_month_end.cumulative_credit_sales_mxn as later_sales_mxn,
        at_month_end.cumulative_credit_sales_mxn - at_month_start.cumulative_credit_sales_mxn as month_sales_mxn
    from countback_months
    inner join credit_sales as at_kpi_date
        on countback_months.kpi_date = at_kpi_date.sales_date
    inner join credit_sales as at_month_end
        on countback_months.month_end = at_month_end.sales_date
    inner join credit_sales as at_month_start
        on countback_months.month_start_exclusive = at_month_start.sales_date
),

final as (
    select
        countback_sales.kpi_date,
        sum(
            {{ dso_countback_month_days(
                receivable='daily_balances.open_mxn_at_closing_rate',
                later_sales='countback_sales.later_sales_mxn',
                month_sales='countback_sales.month_sales_mxn',
                month_days='countback_sales.month_days'
            ) }}
        ) as dso_countback
    from countback_sales
    inner join daily_balances
        on countback_sales.kpi_date = daily_balances.balance_date
    group by countback_sales.kpi_date
)

select * from final
