with allocations as (
    select * from {{ ref('stg_books__payment_allocations') }}
),

payments as (
    select * from {{ ref('stg_books__payments') }}
),

invoices as (
    select * from {{ ref('int_invoices_posted_as_of') }}
),

-- Only money actually received counts: posted payments received by as_of_date, applied by
-- as_of_date to a posted invoice.
final as (
    select
        allocations.allocation_id,
        allocations.payment_id,
        allocations.invoice_id,
        allocations.allocation_date,
        allocations.amount,
        invoices.currency
    from allocations
    inner join payments
        on allocations.payment_id = payments.payment_id
    inner join invoices
        on allocations.invoice_id = invoices.invoice_id
    where
        payments.payment_status = 'posted'
        and payments.payment_date <= {{ as_of_date() }}
        and allocations.allocation_date <= {{ as_of_date() }}
)

select * from final
