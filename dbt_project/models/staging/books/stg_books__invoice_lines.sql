with source as (
    {{ latest_version(source('books', 'invoice_lines'), ['line_id']) }}
),

final as (
    select
        line_id as invoice_line_id,
        source,
        invoice_id,
        description as line_description,
        cast(quantity as numeric(18, 4)) as quantity,
        cast(unit_price as numeric(18, 4)) as unit_price,
        cast(tax_rate as numeric(6, 4)) as tax_rate,
        {{ money('amount') }} as line_amount,
        updated_at,
        loaded_at,
        load_id
    from source
)

select * from final
