with source as (
    {{ latest_version(source('books', 'fx_rates'), ['rate_date', 'upper(currency)']) }}
),

final as (
    select
        rate_date,
        upper(currency) as currency,
        source,
        cast(rate_to_mxn as numeric(18, 6)) as rate_to_mxn,
        updated_at,
        loaded_at,
        load_id
    from source
)

select * from final
