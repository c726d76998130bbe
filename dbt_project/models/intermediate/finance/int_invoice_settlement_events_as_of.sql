with invoices as (
    select * from {{ ref('int_invoices_posted_as_of') }}
),

allocations as (
    select * from {{ ref('int_payment_allocations_as_of') }}
),

credit_notes as (
    select * from {{ ref('stg_books__credit_notes') }}
),

payment_events as (
    select
        allocation_id as event_id,
        invoice_id,
        'payment' as event_type,
        allocation_date as event_date,
        amount
    from allocations
),

credit_note_events as (
    select
        credit_note_id as event_id,
        invoice_id,
        'credit_note' as event_type,
        issue_date as event_date,
        total_amount as amount
    from credit_notes
    where
        credit_note_status = 'posted'
        and issue_date <= {{ as_of_date() }}
),

settlement_events as (
    select * from payment_events
    union all
    select * from credit_note_events
),

-- A receivable cannot shrink before it exists: an event dated before the invoice (an advance
-- applied later) counts on the issue date.
final as (
    select
        settlement_events.event_id,
        settlement_events.invoice_id,
        settlement_events.event_type,
        greatest(settlement_events.event_date, invoices.issue_date) as event_date,
        settlement_events.amount
    from settlement_events
    inner join invoices
        on settlement_events.invoice_id = invoices.invoice_id
)

select * from final
