with allocations as (
    select * from {{ ref('int_payment_allocations_as_of') }}
),

final as (
    select
        allocation_id,
        payment_id,
        invoice_id,
        allocation_date,
        amount
    from allocations
)

select * from final
