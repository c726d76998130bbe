with opt_outs as (
    select * from {{ source('ops', 'opt_outs') }}
),

final as (
    select
        customer_id,
        channel as opted_out_channel,
        opted_out_at,
        revoked_at,
        source as opt_out_source
    from opt_outs
)

select * from final
