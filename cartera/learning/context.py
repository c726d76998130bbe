"""The context a learner chooses an arm in, reduced to a bucket of a few coarse bands.

Coarse on purpose: five segments × three risk bands × four due bands × three amount bands ×
three last responses = 540 buckets, each pooled towards its segment and towards the arm's
overall rate (:mod:`cartera.learning.thompson`), so a bucket seen twice still decides sensibly.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from cartera.campaigns.candidates import Candidate

LastResponse = Literal["none", "ignored", "engaged"]
LAST_RESPONSES: tuple[str, ...] = ("none", "ignored", "engaged")


@dataclass(frozen=True)
class Context:
    """What the learner knows when it chooses (no personal data: bands and codes only)."""

    segment: str
    risk_band: str
    due_band: str
    amount_band: str
    last_response: str

    @property
    def bucket(self) -> str:
        return "|".join((self.segment, self.risk_band, self.due_band, self.amount_band, self.last_response))

    def as_dict(self) -> dict[str, str]:
        return {
            "segment": self.segment,
            "risk": self.risk_band,
            "due": self.due_band,
            "amount": self.amount_band,
            "last_response": self.last_response,
        }


def risk_band(p_late: float | None) -> str:
    if p_late is None:
        return "unknown"
    return "low" if p_late < 0.2 else "mid" if p_late < 0.5 else "high"


def due_band(days_past_due: int) -> str:
    """Days to due (negative days past due) as a band: before due, first week, first month, later."""
    if days_past_due <= 0:
        return "pre_due"
    return "d1_7" if days_past_due <= 7 else "d8_30" if days_past_due <= 30 else "d31p"


def amount_band(amount_mxn: Decimal | float) -> str:
    amount = float(amount_mxn)
    return "small" if amount < 20_000 else "medium" if amount < 100_000 else "large"


def context_of(candidate: Candidate, last_response: str = "none") -> Context:
    """The context of a day's message: its customer's segment, the riskiest invoice's p_late, the
    most overdue invoice's days past due, the total open amount in MXN, the last response."""
    items = candidate.invoices
    p_late = max((i.p_late for i in items if i.p_late is not None), default=None)
    dpd = max((i.days_past_due for i in items), default=0)
    amount = sum((i.open_amount_mxn for i in items), Decimal(0))
    last = last_response if last_response in LAST_RESPONSES else "none"
    return Context(candidate.segment, risk_band(p_late), due_band(dpd), amount_band(amount), last)
