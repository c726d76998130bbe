with source as (
    {{ latest_version(source('books', 'disputes'), ['dispute_id']) }}
),

final as (
    select
        dispute_id,
        source,
        invoice_id,
        customer_id,
        opened_date,
        resolved_date,
        reason as dispute_reason,
        lower(status) as dispute_status,
        updated_at,
        loaded_at,
        load_id
    from source
)

select * from final
