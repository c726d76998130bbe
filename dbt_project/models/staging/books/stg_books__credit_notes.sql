with source as (
    {{ latest_version(source('books', 'credit_notes'), ['credit_note_id']) }}
),

final as (
    select
        credit_note_id,
        source,
        credit_note_number,
        customer_id,
        invoice_id,
        issue_date,
        upper(currency) as currency,
        {{ money('total') }} as total_amount,
        reason as credit_reason,
        lower(status) as credit_note_status,
        cfdi_uuid,
        updated_at,
        loaded_at,
        load_id
    from source
)

select * from final
