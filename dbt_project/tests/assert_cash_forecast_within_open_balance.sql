-- The 13-week cash forecast never collects more than is open, in any scenario, and the early
-- scenario has collected at least as much as the late one by the end of every week (p10 <= p90).
-- (The expected cumulative may fall outside [low, high] when the method is biased, e.g. every past
-- error positive: that is information, not an error.) Rows returned fail.
select
    currency,
    week_number,
    cumulative_collections_low,
    cumulative_expected_collections,
    cumulative_collections_high,
    open_amount
from {{ ref('fct_cash_forecast_weekly') }}
where
    cumulative_collections_high > open_amount
    or cumulative_expected_collections > open_amount
    or cumulative_collections_low > cumulative_collections_high
