"""The rate a message's invoices would have been paid at without it: the baseline of the uplift
reward (:meth:`cartera.learning.thompson.ThompsonLearner.update_uplift`).

From the expected payment date's distribution, not a point: a customer's past days late (paid
date minus due date of its settled invoices) say how likely an invoice open `d` days past due is
to be paid in the next N days, given that it is still open:

    P(d < late <= d + N | late > d)

estimated from the customer's own history pooled towards everyone's (``POOL_STRENGTH``
pseudo-invoices), so a customer with two settled invoices is not certain of anything. A message
naming several invoices is "paid" when any of them is: 1 - prod(1 - p_i), as if they were
independent (they are not quite: it overstates the baseline of a customer with many invoices
open, which makes the reward conservative there).

What this leaves out, on purpose: invoices never paid (censored; they make the rate lower than
it is for the customers who do not pay at all) and how the history itself was collected (past
messages moved some of those dates, so the baseline is "as we used to collect" rather than
"with no contact at all"; the control group measures the same thing live).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence

POOL_STRENGTH = 4.0  # pseudo-invoices of everyone's history behind each customer's estimate
DEFAULT_RATE = 0.3  # when no invoice anywhere is still open at that many days late


def conditional_rate(days_late: Sequence[int], days_past_due: int, window: int) -> tuple[float, float]:
    """(numerator, denominator) of P(d < late <= d + window | late > d) in `days_late`, which
    must be sorted (ascending)."""
    above = bisect_right(days_late, days_past_due)
    within = bisect_right(days_late, days_past_due + window)
    return float(within - above), float(len(days_late) - above)


def paid_without_message(
    own: Sequence[int], pooled: Sequence[int], days_past_due: int, window: int, *, strength: float = POOL_STRENGTH
) -> float:
    """The chance one invoice `days_past_due` days past due (negative before due) is paid in the
    next `window` days with no message, from the customer's own days late (`own`) pooled towards
    everyone's (`pooled`, sorted ascending)."""
    pool_paid, pool_n = conditional_rate(pooled, days_past_due, window)
    prior = pool_paid / pool_n if pool_n else DEFAULT_RATE
    paid, n = conditional_rate(sorted(own), days_past_due, window)
    return (paid + strength * prior) / (n + strength)


def any_paid(rates: Iterable[float]) -> float:
    """The chance at least one of several invoices is paid, as if independent."""
    none = 1.0
    for rate in rates:
        none *= 1.0 - min(max(rate, 0.0), 1.0)
    return 1.0 - none
