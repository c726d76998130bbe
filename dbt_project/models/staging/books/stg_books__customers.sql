with source as (
    {{ latest_version(source('books', 'customers'), ['customer_id']) }}
),

final as (
    select
        customer_id,
        source,
        customer_name,
        rfc,
        tax_regime,
        upper(country_code) as country_code,
        upper(state_code) as state_code,
        city,
        postal_code,
        industry,
        cast(credit_terms_days as integer) as credit_terms_days,
        {{ money('credit_limit') }} as credit_limit,
        upper(credit_limit_currency) as credit_limit_currency,
        created_at,
        updated_at,
        loaded_at,
        load_id
    from source
)

select * from final
