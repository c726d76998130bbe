"""Small builders for the learning tests: open items, candidates and profiles."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from cartera.campaigns.candidates import Candidate, OpenItem
from cartera.campaigns.contact_data import contact_profile
from cartera.campaigns.playbook import Playbook, Segment, load_playbook
from cartera.policy.models import ContactProfile

AS_OF = dt.date(2026, 3, 10)


def playbook() -> Playbook:
    return load_playbook()


def item(customer: str, dpd: int, amount: int = 50_000, p_late: float | None = 0.6, n: int = 1) -> OpenItem:
    due = AS_OF - dt.timedelta(days=dpd)
    return OpenItem(
        invoice_id=f"{customer}-i{n}",
        invoice_number=f"F-{n}",
        customer_id=customer,
        due_date=due,
        currency="MXN",
        open_amount=Decimal(amount),
        open_amount_mxn=Decimal(amount),
        days_past_due=dpd,
        is_disputed=False,
        p_late=p_late,
    )


def candidate(segment: Segment, dpd: int, customer: str = "c1", **kwargs: object) -> Candidate:
    book = playbook()
    step = book.step_for(segment, dpd)
    assert step is not None, (segment, dpd)
    return Candidate(customer, segment, step, (item(customer, dpd, **kwargs),))  # type: ignore[arg-type]


def profile(customer: str = "c1", **kwargs: object) -> ContactProfile:
    values: dict[str, object] = {
        "timezone": "America/Mexico_City",
        "has_email": True,
        "has_mobile": True,
        "whatsapp_opt_in": True,
        "state": "CMX",
    }
    values.update(kwargs)
    return contact_profile(customer, **values)  # type: ignore[arg-type]
