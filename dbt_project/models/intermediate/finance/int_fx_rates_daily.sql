with fx_rates as (
    select * from {{ ref('stg_books__fx_rates') }}
),

published_rates as (
    select
        currency,
        rate_date,
        rate_to_mxn
    from fx_rates
    where
        currency <> 'MXN'
        and rate_date <= {{ as_of_date() }}
),

-- Each published rate holds until the day before the next publication (weekends and holidays
-- carry the last known rate forward); the last one holds through as_of_date.
rate_validity as (
    select
        currency,
        rate_date as valid_from,
        coalesce(
            lead(rate_date) over (partition by currency order by rate_date) - 1,
            {{ as_of_date() }}
        ) as valid_to,
        rate_date as published_rate_date,
        rate_to_mxn
    from published_rates
),

foreign_rates_daily as (
    select
        cast(calendar.calendar_day as date) as rate_date,
        rate_validity.currency,
        rate_validity.rate_to_mxn,
        rate_validity.published_rate_date
    from rate_validity
    -- a set-returning function in FROM sees the items before it (Postgres: LATERAL is implied)
    cross join
        generate_series(rate_validity.valid_from, rate_validity.valid_to, interval '1 day') as calendar (calendar_day)
),

-- MXN is the functional currency: 1 on every day, from ten years back (or the first published
-- rate, if earlier) through as_of_date.
peso_rates_daily as (
    select
        cast(calendar_day as date) as rate_date,
        'MXN' as currency,
        cast(1 as numeric(18, 6)) as rate_to_mxn,
        cast(calendar_day as date) as published_rate_date
    from generate_series(
        (
            select least(min(published_rates.rate_date), cast({{ as_of_date() }} - interval '10 years' as date))
            from published_rates
        ),
        {{ as_of_date() }},
        interval '1 day'
    ) as calendar_day
),

final as (
    select * from foreign_rates_daily
    union all
    select * from peso_rates_daily
)

select * from final
