with invoices as (
    select * from {{ ref('int_invoices_posted_as_of') }}
),

settlement_events as (
    select * from {{ ref('int_invoice_settlement_events_as_of') }}
),

settled_by_day as (
    select
        invoice_id,
        event_date as change_date,
        sum(amount) as settled_on_day
    from settlement_events
    group by invoice_id, event_date
),

-- The open amount only changes on the issue date and on days with a settlement event.
change_points as (
    select
        invoice_id,
        issue_date as change_date,
        0 as settled_on_day
    from invoices
    union all
    select
        invoice_id,
        change_date,
        settled_on_day
    from settled_by_day
),

change_days as (
    select
        invoice_id,
        change_date,
        sum(settled_on_day) as settled_on_day
    from change_points
    group by invoice_id, change_date
),

balance_periods as (
    select
        invoice_id,
        change_date as valid_from,
        coalesce(
            lead(change_date) over invoice_days - 1,
            {{ as_of_date() }}
        ) as valid_to,
        sum(settled_on_day) over (invoice_days rows between unbounded preceding and current row) as settled_to_date
    from change_days
    window invoice_days as (partition by invoice_id order by change_date)
),

final as (
    select
        balance_periods.invoice_id,
        invoices.customer_id,
        invoices.due_date,
        balance_periods.valid_from,
        balance_periods.valid_to,
        invoices.currency,
        {{ money('greatest(invoices.total_amount - balance_periods.settled_to_date, 0)') }} as open_amount,
        {{ money('greatest(invoices.total_amount - balance_periods.settled_to_date, 0) * invoices.fx_rate_to_mxn') }}
            as open_amount_mxn
    from balance_periods
    inner join invoices
        on balance_periods.invoice_id = invoices.invoice_id
    where invoices.total_amount - balance_periods.settled_to_date > 0
)

select * from final
