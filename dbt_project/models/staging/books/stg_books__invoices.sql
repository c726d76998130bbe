with source as (
    {{ latest_version(source('books', 'invoices'), ['invoice_id']) }}
),

final as (
    select
        invoice_id,
        source,
        invoice_number,
        customer_id,
        issue_date,
        due_date,
        upper(currency) as currency,
        {{ money('subtotal') }} as subtotal_amount,
        {{ money('tax') }} as tax_amount,
        {{ money('total') }} as total_amount,
        lower(status) as invoice_status,
        cfdi_uuid,
        payment_method,
        updated_at,
        loaded_at,
        load_id
    from source
)

select * from final
