{%- set weeks = var('cash_forecast_weeks') | int -%}
{%- set reschedule_days = var('cash_forecast_overdue_reschedule_days') | int -%}
{%- set error_lookback_days = var('cash_forecast_error_lookback_days') | int -%}

with open_items as (
    select * from {{ ref('fct_open_items') }}
),

invoices as (
    select * from {{ ref('fct_invoices') }}
),

invoice_scores as (
    select * from {{ ref('stg_ml__invoice_scores') }}
),

fx_rates_daily as (
    select * from {{ ref('int_fx_rates_daily') }}
),

settled_invoices as (
    select
        invoice_id,
        customer_id,
        due_date,
        settled_date,
        -- may be negative: paid before the due date
        settled_date - due_date as days_late
    from invoices
    where is_settled
),

customer_delays as (
    select
        customer_id,
        sum(days_late) as total_days_late,
        count(*) as settled_invoices
    from settled_invoices
    group by customer_id
),

overall_delay as (
    select coalesce(avg(days_late), 0) as mean_days_late
    from settled_invoices
),

-- Scoring runs after the warehouse: the latest score on or before the as-of date.
latest_scores as (
    select distinct on (invoice_id)
        invoice_id,
        expected_payment_date
    from invoice_scores
    where score_date <= {{ as_of_date() }}
    order by invoice_id asc, score_date desc
),

-- The model's date where there is one, else the due date plus the customer's mean delay (all
-- settled invoices' mean for a customer without history).
open_item_predictions as (
    select
        open_items.invoice_id,
        open_items.currency,
        open_items.open_amount,
        latest_scores.invoice_id is not null as is_scored,
        coalesce(
            latest_scores.expected_payment_date,
            open_items.due_date + cast(round(coalesce(
                cast(customer_delays.total_days_late as numeric) / nullif(customer_delays.settled_invoices, 0),
                overall_delay.mean_days_late
            )) as integer)
        ) as predicted_date
    from open_items
    cross join overall_delay
    left join latest_scores
        on open_items.invoice_id = latest_scores.invoice_id
    left join customer_delays
        on open_items.customer_id = customer_delays.customer_id
),

-- The latest score each invoice settled in the lookback had before its settlement, by one join
-- on invoice_id: a lookup per invoice in the scores (a CTE, so without an index) grew with
-- settled invoices × score rows, and scores pile up every day (295k × 332k rows at 1M invoices).
lookback_settled as (
    select
        invoice_id,
        settled_date
    from settled_invoices
    where settled_date > {{ as_of_date() }} - {{ error_lookback_days }}
),

scores_before_settlement as (
    select distinct on (invoice_scores.invoice_id)
        invoice_scores.invoice_id,
        invoice_scores.expected_payment_date
    from invoice_scores
    inner join lookback_settled
        on
            invoice_scores.invoice_id = lookback_settled.invoice_id
            and invoice_scores.score_date < lookback_settled.settled_date
    order by invoice_scores.invoice_id asc, invoice_scores.score_date desc
),

-- Errors of the same method on the invoices settled in the lookback: actual − predicted days,
-- predicted by the latest score before settlement, else the due date plus the customer's mean
-- delay over its other settled invoices (leave-one-out, so an invoice does not predict itself).
settled_predictions as (
    select
        settled_invoices.settled_date,
        coalesce(
            score_before_settlement.expected_payment_date,
            settled_invoices.due_date + cast(round(coalesce(
                cast(customer_delays.total_days_late - settled_invoices.days_late as numeric)
                / nullif(customer_delays.settled_invoices - 1, 0),
                overall_delay.mean_days_late
            )) as integer)
        ) as predicted_date
    from settled_invoices
    cross join overall_delay
    inner join customer_delays
        on settled_invoices.customer_id = customer_delays.customer_id
    left join scores_before_settlement as score_before_settlement
        on settled_invoices.invoice_id = score_before_settlement.invoice_id
    where settled_invoices.settled_date > {{ as_of_date() }} - {{ error_lookback_days }}
),

errors as (
    select
        coalesce(percentile_disc(0.1) within group (order by settled_date - predicted_date), 0) as error_days_p10,
        coalesce(percentile_disc(0.9) within group (order by settled_date - predicted_date), 0) as error_days_p90,
        count(*) as error_sample_size
    from settled_predictions
),

-- An open invoice is collected on or after the as-of date: a date already past is rescheduled
-- `cash_forecast_overdue_reschedule_days` later (the rule ml/payment_date.py applies).
expected_dates as (
    select
        open_item_predictions.*,
        case
            when open_item_predictions.predicted_date < {{ as_of_date() }}
                then {{ as_of_date() }} + {{ reschedule_days }}
            else open_item_predictions.predicted_date
        end as expected_date
    from open_item_predictions
),

-- The early and late scenarios shift every expected date by the p10 and p90 errors.
scenario_dates as (
    select
        expected_dates.*,
        greatest(expected_dates.expected_date + errors.error_days_p10, {{ as_of_date() }}) as early_date,
        greatest(expected_dates.expected_date + errors.error_days_p90, {{ as_of_date() }}) as late_date
    from expected_dates
    cross join errors
),

forecast_weeks as (
    select
        week_number,
        {{ as_of_date() }} + 7 * (week_number - 1) as week_start,
        {{ as_of_date() }} + 7 * week_number - 1 as week_end
    from generate_series(1, {{ weeks }}) as week_number
),

currencies as (
    select
        currency,
        sum(open_amount) as open_amount
    from open_items
    group by currency
),

weekly_amounts as (
    select
        forecast_weeks.week_number,
        currencies.currency,
        coalesce(sum(scenario_dates.open_amount) filter (
            where scenario_dates.expected_date between forecast_weeks.week_start and forecast_weeks.week_end
        ), 0) as expected_collections,
        coalesce(sum(scenario_dates.open_amount) filter (
            where scenario_dates.expected_date between forecast_weeks.week_start and forecast_weeks.week_end
            and scenario_dates.is_scored
        ), 0) as expected_collections_scored,
        coalesce(sum(scenario_dates.open_amount) filter (
            where scenario_dates.early_date between forecast_weeks.week_start and forecast_weeks.week_end
        ), 0) as early_collections,
        coalesce(sum(scenario_dates.open_amount) filter (
            where scenario_dates.late_date between forecast_weeks.week_start and forecast_weeks.week_end
        ), 0) as late_collections,
        count(scenario_dates.invoice_id) filter (
            where scenario_dates.expected_date between forecast_weeks.week_start and forecast_weeks.week_end
        ) as invoices_expected
    from forecast_weeks
    cross join currencies
    left join scenario_dates
        on currencies.currency = scenario_dates.currency
    group by forecast_weeks.week_number, currencies.currency
),

cumulative as (
    select
        weekly_amounts.*,
        sum(weekly_amounts.expected_collections) over currency_weeks as cumulative_expected_collections,
        sum(weekly_amounts.late_collections) over currency_weeks as cumulative_collections_low,
        sum(weekly_amounts.early_collections) over currency_weeks as cumulative_collections_high
    from weekly_amounts
    window currency_weeks as (partition by weekly_amounts.currency order by weekly_amounts.week_number)
),

final as (
    select
        {{ as_of_date() }} as as_of_date,
        forecast_weeks.week_number,
        forecast_weeks.week_start,
        forecast_weeks.week_end,
        cumulative.currency,
        closing_rates.rate_to_mxn as closing_rate_to_mxn,
        {{ money('cumulative.expected_collections') }} as expected_collections,
        {{ money('cumulative.expected_collections * closing_rates.rate_to_mxn') }} as expected_collections_mxn,
        {{ money('cumulative.expected_collections_scored') }} as expected_collections_scored,
        {{ money('cumulative.early_collections') }} as early_collections,
        {{ money('cumulative.late_collections') }} as late_collections,
        {{ money('cumulative.cumulative_expected_collections') }} as cumulative_expected_collections,
        {{ money('cumulative.cumulative_collections_low') }} as cumulative_collections_low,
        {{ money('cumulative.cumulative_collections_high') }} as cumulative_collections_high,
        {{ money('cumulative.cumulative_expected_collections * closing_rates.rate_to_mxn') }}
            as cumulative_expected_collections_mxn,
        {{ money('cumulative.cumulative_collections_low * closing_rates.rate_to_mxn') }}
            as cumulative_collections_low_mxn,
        {{ money('cumulative.cumulative_collections_high * closing_rates.rate_to_mxn') }}
            as cumulative_collections_high_mxn,
        cast(cumulative.invoices_expected as integer) as invoices_expected,
        {{ money('currencies.open_amount') }} as open_amount,
        {{ money('currencies.open_amount * closing_rates.rate_to_mxn') }} as open_amount_mxn,
        errors.error_days_p10,
        errors.error_days_p90,
        cast(errors.error_sample_size as integer) as error_sample_size
    from cumulative
    inner join forecast_weeks
        on cumulative.week_number = forecast_weeks.week_number
    inner join currencies
        on cumulative.currency = currencies.currency
    cross join errors
    left join fx_rates_daily as closing_rates
        on
            cumulative.currency = closing_rates.currency
            and closing_rates.rate_date = {{ as_of_date() }}
)

select * from final
