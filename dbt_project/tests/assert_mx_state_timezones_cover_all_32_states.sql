-- Mexico has 32 federal entities; a missing one would leave its customers without a time zone.
with state_timezones as (
    select * from {{ ref('mx_state_timezones') }}
),

final as (
    select count(*) as states
    from state_timezones
    having count(*) <> 32
)

select * from final
