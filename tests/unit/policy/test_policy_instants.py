"""Airflow hands tasks pendulum DateTimes: the engine must decide on them exactly as on plain ones."""

from __future__ import annotations

import datetime as dt

import pendulum
import pytest

from cartera.policy.engine import PolicyEngine
from cartera.policy.models import Candidate, ContactProfile, Payment, SentMessage
from cartera.run_dates import run_instant

ENGINE = PolicyEngine.load(["MX"])
PLAIN = dt.datetime(2026, 11, 24, 13, 30, tzinfo=dt.UTC)  # 07:30 Mexico City, 05:30 Tijuana


@pytest.mark.parametrize(
    ("timezone", "state"), [(None, None), ("America/Tijuana", "BCN"), ("America/Mexico_City", "CMX")]
)
def test_a_pendulum_instant_gets_the_same_decision_as_a_plain_one(timezone: str | None, state: str | None) -> None:
    profile = ContactProfile("C1", "MX", False, timezone=timezone, state=state)
    history = [SentMessage(PLAIN - dt.timedelta(hours=1), "email", ("I0",))]
    payments = [Payment("P1", pendulum.instance(PLAIN) - dt.timedelta(days=5), settles_invoice=False)]
    decisions = [
        ENGINE.decide(Candidate("C1", "email", ("I1",), at), profile, history, [], payments)
        for at in (PLAIN, pendulum.instance(PLAIN), pendulum.instance(PLAIN).in_timezone("America/Mexico_City"))
    ]
    assert decisions[0].verdict == "defer"
    assert {(d.verdict, d.next_allowed_at, d.reason_codes) for d in decisions} == {
        (decisions[0].verdict, decisions[0].next_allowed_at, decisions[0].reason_codes)
    }
    assert type(decisions[1].next_allowed_at) is dt.datetime


def test_the_run_instant_is_a_plain_utc_datetime() -> None:
    instant = run_instant({"logical_date": pendulum.datetime(2026, 11, 24, 7, 30, tz="America/Mexico_City")})
    assert type(instant) is dt.datetime and instant == PLAIN and instant.tzinfo is dt.UTC
