with source as (
    {{ latest_version(source('books', 'payment_allocations'), ['allocation_id']) }}
),

final as (
    select
        allocation_id,
        source,
        payment_id,
        invoice_id,
        allocation_date,
        {{ money('amount') }} as amount,
        updated_at,
        loaded_at,
        load_id
    from source
)

select * from final
