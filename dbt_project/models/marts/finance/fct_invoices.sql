with invoices as (
    select * from {{ ref('int_invoices_posted_as_of') }}
),

settlement as (
    select * from {{ ref('int_invoice_settlement_as_of') }}
),

open_disputes as (
    select * from {{ ref('int_disputes_open_as_of') }}
),

final as (
    select
        invoices.invoice_id,
        invoices.invoice_number,
        invoices.cfdi_uuid,
        invoices.customer_id,
        invoices.issue_date,
        invoices.due_date,
        invoices.currency,
        invoices.total_amount,
        invoices.total_amount_mxn,
        settlement.paid_amount,
        settlement.credited_amount,
        settlement.open_amount,
        {{ money('settlement.open_amount * invoices.fx_rate_to_mxn') }} as open_amount_mxn,
        settlement.settled_date,
        settlement.settled_date - invoices.issue_date as days_to_settle,
        greatest(coalesce(settlement.settled_date, {{ as_of_date() }}) - invoices.due_date, 0) as days_late,
        settlement.settled_date is not null as is_settled,
        open_disputes.invoice_id is not null as is_disputed,
        open_disputes.dispute_opened_date
    from invoices
    inner join settlement
        on invoices.invoice_id = settlement.invoice_id
    left join open_disputes
        on invoices.invoice_id = open_disputes.invoice_id
)

select * from final
