{%- set period_days = var('dso_simple_period_days') | int -%}
{%- set cei_days = var('cei_period_days') | int -%}

with kpi_days as (
    select * from {{ ref('int_ar_kpi_days_as_of') }}
),

daily_balances as (
    select * from {{ ref('int_ar_balances_daily_as_of') }}
),

trailing_sales as (
    select * from {{ ref('int_credit_sales_trailing_as_of') }}
),

dso_countback as (
    select * from {{ ref('int_ar_dso_countback_daily_as_of') }}
),

kpis as (
    select
        kpi_days.kpi_date,
        ending.*,
        beginning.open_mxn_at_closing_rate as beginning_ar_mxn,
        trailing_sales.dso_period_sales_mxn,
        trailing_sales.cei_period_sales_mxn,
        dso_countback.dso_countback,
        -- CRF definitions, all over the same trailing period of dso_simple_period_days days
        ending.open_mxn_at_closing_rate / nullif(trailing_sales.dso_period_sales_mxn, 0) * {{ period_days }}
            as dso_simple,
        ending.current_mxn / nullif(trailing_sales.dso_period_sales_mxn, 0) * {{ period_days }} as best_possible_dso
    from kpi_days
    inner join daily_balances as ending
        on kpi_days.kpi_date = ending.balance_date
    inner join daily_balances as beginning
        on kpi_days.kpi_date - {{ cei_days }} = beginning.balance_date
    inner join dso_countback
        on kpi_days.kpi_date = dso_countback.kpi_date
    inner join trailing_sales
        on kpi_days.kpi_date = trailing_sales.kpi_date
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
