{%- set period_days = var('dso_simple_period_days') | int -%}
{%- set cei_days = var('cei_period_days') | int -%}

with kpi_days as (
    select * from {{ ref('int_ar_kpi_days_as_of') }}
),

credit_sales as (
    select * from {{ ref('int_credit_sales_daily_as_of') }}
),

final as (
    select
        kpi_days.kpi_date,
        {{ money('at_kpi_date.cumulative_credit_sales_mxn - dso_period_start.cumulative_credit_sales_mxn') }}
            as dso_period_sales_mxn,
        {{ money('at_kpi_date.cumulative_credit_sales_mxn - cei_period_start.cumulative_credit_sales_mxn') }}
            as cei_period_sales_mxn
    from kpi_days
    inner join credit_sales as at_kpi_date
        on kpi_days.kpi_date = at_kpi_date.sales_date
    inner join credit_sales as dso_period_start
        on kpi_days.kpi_date - {{ period_days }} = dso_period_start.sales_date
    inner join credit_sales as cei_period_start
        on kpi_days.kpi_date - {{ cei_days }} = cei_period_start.sales_date
)

select * from final
