"""Each payment behaviour produces the lateness distribution its name promises (the ground truth)."""

from __future__ import annotations

import datetime as dt
import random
import statistics

from cartera.synthetic.behaviours import Behaviour, lateness_days

AS_OF = dt.date(2026, 4, 30)
ONSET = dt.date(2025, 11, 1)
EARLY_ISSUE = dt.date(2025, 1, 15)


def _draws(behaviour: Behaviour, issue: dt.date = EARLY_ISSUE, n: int = 5000) -> list[int | None]:
    rng = random.Random(11)
    return [lateness_days(behaviour, rng, issue_date=issue, as_of=AS_OF, onset=ONSET) for _ in range(n)]


def test_exemplary_customers_always_pay_on_or_before_the_due_date() -> None:
    draws = _draws(Behaviour.EXEMPLARY)
    assert all(d is not None and -15 <= d <= 0 for d in draws)


def test_occasional_slips_are_a_minority_and_short() -> None:
    draws = [d for d in _draws(Behaviour.OCCASIONAL_SLIP) if d is not None]
    late = [d for d in draws if d > 0]
    assert 0.08 < len(late) / len(draws) < 0.16
    assert statistics.mean(late) < 15 and max(late) <= 45


def test_chronic_late_customers_mostly_pay_20_to_90_days_late_and_sometimes_never() -> None:
    draws = _draws(Behaviour.CHRONIC_LATE)
    paid = [d for d in draws if d is not None]
    assert 0.02 < (len(draws) - len(paid)) / len(draws) < 0.06
    assert sum(20 <= d <= 90 for d in paid) / len(paid) > 0.75
    assert all(d > 0 for d in paid)


def test_deteriorating_customers_are_punctual_before_the_onset_and_later_and_later_after() -> None:
    before = [d for d in _draws(Behaviour.DETERIORATING, EARLY_ISSUE) if d is not None]
    soon_after = [d for d in _draws(Behaviour.DETERIORATING, ONSET + dt.timedelta(days=30)) if d is not None]
    near_as_of = _draws(Behaviour.DETERIORATING, AS_OF - dt.timedelta(days=10))
    near_paid = [d for d in near_as_of if d is not None]
    assert sum(d <= 0 for d in before) / len(before) > 0.9
    assert statistics.mean(before) < statistics.mean(soon_after) < statistics.mean(near_paid)
    assert statistics.mean(near_paid) > 60
    assert near_as_of.count(None) > 0  # some of the newest invoices will never be paid


def test_new_customers_pay_like_occasional_slippers() -> None:
    new = [d for d in _draws(Behaviour.NEW_CUSTOMER) if d is not None]
    assert 0.08 < sum(d > 0 for d in new) / len(new) < 0.16
