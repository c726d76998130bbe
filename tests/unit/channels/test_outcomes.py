"""What a provider's HTTP error status and Retry-After mean for a message (cartera/channels/outcomes.py)."""

from __future__ import annotations

import datetime as dt
import email.utils

import pytest

from cartera.channels.outcomes import http_status_error, retry_after_seconds


@pytest.mark.parametrize(
    ("status", "outcome", "transient"),
    [(401, "auth", False), (403, "auth", False), (429, "not_sent", True), (400, "not_sent", False),
     (500, "unknown", True), (503, "unknown", True)],
)  # fmt: skip
def test_each_status_says_what_is_known_about_the_message(status: int, outcome: str, transient: bool) -> None:
    error = http_status_error(f"x_http_{status}", status, retry_after=30.0)
    assert (error.outcome, error.transient, error.status_code) == (outcome, transient, status)
    assert error.retry_after == (30.0 if status == 429 else None)


def test_retry_after_reads_seconds_and_http_dates_and_never_goes_negative() -> None:
    assert retry_after_seconds("120") == 120.0
    assert retry_after_seconds("-5") == 0.0
    assert retry_after_seconds(None) is None and retry_after_seconds("") is None
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past
    later = email.utils.format_datetime(dt.datetime.now(dt.UTC) + dt.timedelta(minutes=10), usegmt=True)
    assert 500 < (retry_after_seconds(later) or 0) <= 600


def test_a_date_without_a_zone_is_read_as_gmt_not_an_error() -> None:
    later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=10)
    assert 500 < (retry_after_seconds(later.strftime("%a, %d %b %Y %H:%M:%S -0000")) or 0) <= 600
