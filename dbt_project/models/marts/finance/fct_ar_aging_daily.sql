with periods as (
    select * from {{ ref('int_invoice_open_balance_periods_as_of') }}
),

-- The aging buckets as ranges of days past due (day − due date); null: unbounded.
buckets as (
    select * from (
        values
        ('current', cast(null as integer), 0),
        ('1-30', 1, 30),
        ('31-60', 31, 60),
        ('61-90', 61, 90),
        ('91+', 91, cast(null as integer))
    ) as aging (aging_bucket, min_days_past_due, max_days_past_due)
),

-- The days of each open-balance span that fall in each bucket (greatest/least ignore a null
-- bound): at most five runs of days per span instead of one row per span per day.
bucket_spans as (
    select
        periods.currency,
        buckets.aging_bucket,
        greatest(periods.valid_from, periods.due_date + buckets.min_days_past_due) as first_day,
        least(periods.valid_to, periods.due_date + buckets.max_days_past_due) as last_day,
        periods.open_amount,
        periods.open_amount_mxn
    from periods
    cross join buckets
),

-- A run adds its invoice on its first day and takes it away the day after its last.
changes as (
    select
        first_day as change_date,
        currency,
        aging_bucket,
        1 as open_items,
        case when open_amount_mxn is not null then 1 else 0 end as items_with_mxn,
        open_amount,
        open_amount_mxn
    from bucket_spans
    where first_day <= last_day
    union all
    select
        last_day + 1 as change_date,
        currency,
        aging_bucket,
        -1 as open_items,
        case when open_amount_mxn is not null then -1 else 0 end as items_with_mxn,
        -open_amount as open_amount,
        -open_amount_mxn as open_amount_mxn
    from bucket_spans
    where first_day <= last_day
),

changes_by_day as (
    select
        change_date,
        currency,
        aging_bucket,
        sum(open_items) as open_items,
        sum(items_with_mxn) as items_with_mxn,
        coalesce(sum(open_amount), 0) as open_amount,
        coalesce(sum(open_amount_mxn), 0) as open_amount_mxn
    from changes
    group by change_date, currency, aging_bucket
),

-- Running totals: what is open in the bucket from each change day until the next one.
levels as (
    select
        change_date,
        currency,
        aging_bucket,
        lead(change_date) over bucket_days as next_change_date,
        sum(open_items) over bucket_days as open_items,
        sum(items_with_mxn) over bucket_days as items_with_mxn,
        sum(open_amount) over bucket_days as open_amount,
        sum(open_amount_mxn) over bucket_days as open_amount_mxn
    from changes_by_day
    window bucket_days as (partition by currency, aging_bucket order by change_date)
),

final as (
    select
        levels.change_date + days_after as aging_date,
        levels.currency,
        levels.aging_bucket,
        cast(levels.open_items as integer) as open_items,
        {{ money('levels.open_amount') }} as open_amount,
        case when levels.items_with_mxn > 0 then {{ money('levels.open_amount_mxn') }} end as open_amount_mxn
    from levels
    cross join lateral generate_series(0, levels.next_change_date - levels.change_date - 1) as days_after
    where levels.open_items > 0
)

select * from final
