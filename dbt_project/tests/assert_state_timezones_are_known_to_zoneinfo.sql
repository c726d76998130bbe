-- Every time zone in the seed must be a real IANA name known to the server's zoneinfo
-- (a typo would silently put a customer's contact window in UTC).
with state_timezones as (
    select * from {{ ref('mx_state_timezones') }}
),

known_timezones as (
    select name from pg_timezone_names
),

final as (
    select
        state_timezones.state_code,
        state_timezones.state_name,
        state_timezones.timezone
    from state_timezones
    left join known_timezones on state_timezones.timezone = known_timezones.name
    where known_timezones.name is null
)

select * from final
