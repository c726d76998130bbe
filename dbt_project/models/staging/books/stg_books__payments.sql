with source as (
    {{ latest_version(source('books', 'payments'), ['payment_id']) }}
),

final as (
    select
        payment_id,
        source,
        payment_number,
        customer_id,
        payment_date,
        upper(currency) as currency,
        {{ money('amount') }} as amount,
        method as payment_method,
        lower(status) as payment_status,
        updated_at,
        loaded_at,
        load_id
    from source
)

select * from final
