{%- set window_days = var('kpi_window_days') | int -%}

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
-- day, and starts no earlier than the first invoice. A calendar from integer offsets with a
-- constant bound, so the planner knows its size.
final as (
    select
        cast(books.data_through - day_offset as date) as kpi_date,
        books.data_through
    from books
    cross join generate_series(0, {{ window_days - 1 }}) as day_offset
    where books.data_through - day_offset >= books.first_issue_date
)

select * from final
