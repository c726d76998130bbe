with invoices as (
    select * from {{ ref('int_invoices_posted_as_of') }}
),

settlement_events as (
    select * from {{ ref('int_invoice_settlement_events_as_of') }}
),

-- Each import is read once (a CTE read twice is materialized, and the planner then guesses 200
-- invoices for its aggregates: at 200,000 invoices it chose a nested loop that ran for minutes).
running_settlement as (
    select
        settlement_events.invoice_id,
        settlement_events.event_type,
        settlement_events.event_date,
        settlement_events.amount,
        invoices.total_amount,
        sum(settlement_events.amount) over invoice_events as settled_to_date,
        coalesce(sum(settlement_events.amount) over invoice_events_before, 0) as settled_before
    from settlement_events
    inner join invoices
        on settlement_events.invoice_id = invoices.invoice_id
    window
        invoice_events as (
            partition by settlement_events.invoice_id
            order by settlement_events.event_date, settlement_events.event_type, settlement_events.event_id
            rows between unbounded preceding and current row
        ),
        invoice_events_before as (
            partition by settlement_events.invoice_id
            order by settlement_events.event_date, settlement_events.event_type, settlement_events.event_id
            rows between unbounded preceding and 1 preceding
        )
),

-- The settled date is the date of the event that brought the open amount to zero (the last such
-- crossing, should a reversal have reopened the invoice in between).
settled_totals as (
    select
        invoice_id,
        sum(case when event_type = 'payment' then amount else 0 end) as paid_amount,
        sum(case when event_type = 'credit_note' then amount else 0 end) as credited_amount,
        max(event_date) filter (
            where
            settled_before < total_amount
            and settled_to_date >= total_amount
        ) as settled_date
    from running_settlement
    group by invoice_id
),

balances as (
    select
        invoices.invoice_id,
        invoices.issue_date,
        invoices.due_date,
        invoices.total_amount,
        coalesce(settled_totals.paid_amount, 0) as paid_amount,
        coalesce(settled_totals.credited_amount, 0) as credited_amount,
        greatest(
            invoices.total_amount
            - coalesce(settled_totals.paid_amount, 0)
            - coalesce(settled_totals.credited_amount, 0),
            0
        ) as open_amount,
        settled_totals.settled_date
    from invoices
    left join settled_totals
        on invoices.invoice_id = settled_totals.invoice_id
),

final as (
    select
        invoice_id,
        total_amount,
        {{ money('paid_amount') }} as paid_amount,
        {{ money('credited_amount') }} as credited_amount,
        {{ money('open_amount') }} as open_amount,
        -- a zero-total invoice is settled the day it is issued
        case when open_amount = 0 then coalesce(settled_date, issue_date) end as settled_date,
        case when open_amount > 0 then {{ as_of_date() }} - due_date end as days_past_due
    from balances
)

select * from final
