"""Expected payment date of an open invoice: a rule, on purpose.

``expected = due_date + the customer's median days late`` (over its invoices settled by the score
date; negative when it usually pays early). A customer with no settled history gets the median
days late of all settled invoices in the model's training data. When that date is already past
(the invoice is open beyond the customer's usual lateness), the invoice is expected
``OVERDUE_RESCHEDULE_DAYS`` after the score date: it now needs a collection contact, and a date
in the past would be meaningless for cash forecasting.

Why a rule and not a regressor: the median is what a collector would say, it is explainable in
one sentence and robust to the few invoices paid months late. A regressor on days-to-settle is
the natural next step once it is measured against this rule. The fitted parameter is stored
with the model (``ml.models.payment_date_rule``).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import asdict, dataclass
from typing import Any

import pandas as pd

OVERDUE_RESCHEDULE_DAYS = 7


@dataclass(frozen=True)
class PaymentDateRule:
    """The fitted rule: fallback lateness for customers without history."""

    fallback_days_late: float
    overdue_reschedule_days: int = OVERDUE_RESCHEDULE_DAYS
    kind: str = "due_date_plus_customer_median_days_late"

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> PaymentDateRule:
        data = data or {}
        return cls(
            fallback_days_late=float(data.get("fallback_days_late", 0.0)),
            overdue_reschedule_days=int(data.get("overdue_reschedule_days", OVERDUE_RESCHEDULE_DAYS)),
        )


def fit_payment_date_rule(days_late: pd.Series) -> PaymentDateRule:
    """The rule fitted on the days late (settled − due, may be negative) of settled invoices."""
    clean = days_late.dropna()
    median = float(clean.median()) if len(clean) else 0.0
    return PaymentDateRule(fallback_days_late=0.0 if math.isnan(median) else median)


def expected_payment_dates(features: pd.DataFrame, rule: PaymentDateRule) -> list[dt.date]:
    """One expected payment date per feature row (columns as_of_date, due_date, cust_median_days_late)."""
    lateness = features["cust_median_days_late"].fillna(rule.fallback_days_late).round()
    expected = features["due_date"] + pd.to_timedelta(lateness, unit="D")
    floor = features["as_of_date"] + pd.Timedelta(days=rule.overdue_reschedule_days)
    expected = expected.where(expected > features["as_of_date"], floor)
    return [ts.date() for ts in expected]
