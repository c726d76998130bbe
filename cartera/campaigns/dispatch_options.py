"""What one dispatch run is told and what it counts: its options, its summary, its clock.

Shared by every step of :mod:`cartera.campaigns.dispatch` (recover and reconcile, decide, send).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from dataclasses import dataclass, field

from cartera.channels import Channel
from cartera.errors import ConfigurationError

MAX_SEND_ATTEMPTS = 3
Clock = Callable[[], dt.datetime]
ChannelFactory = Callable[[], Channel]


def system_clock() -> dt.datetime:
    """The real instant (UTC). The law is checked against it just before each send."""
    return dt.datetime.now(dt.UTC)


def _is_local(url: str | None) -> bool:
    from urllib.parse import urlsplit

    return url is not None and (urlsplit(url).hostname or "") in ("127.0.0.1", "localhost", "::1")


def replay_clock(start: dt.datetime, *, sendgrid_host: str | None, twilio_base_url: str | None) -> Clock:
    """A clock that starts at `start` (a run's logical instant) and advances in real time: for
    replaying a past day in the demo and the end-to-end tests. Refused (ConfigurationError)
    unless every provider is a local fake, so no real message is ever sent on a replayed clock."""
    if not _is_local(sendgrid_host) or (twilio_base_url is not None and not _is_local(twilio_base_url)):
        raise ConfigurationError(
            "CARTERA_SIMULATED_CLOCK is for local fakes only: unset it, or point CARTERA_SENDGRID_HOST and "
            "CARTERA_TWILIO_BASE_URL at 127.0.0.1"
        )
    import time

    origin = time.monotonic()
    return lambda: start + dt.timedelta(seconds=time.monotonic() - origin)


@dataclass
class DispatchSummary:
    """Counts of one dispatch run."""

    claimed: int = 0
    sent: int = 0
    cancelled: int = 0
    deferred: int = 0
    failed: int = 0
    unknown: int = 0
    released: int = 0
    reclaimed: int = 0
    reconciled_sent: int = 0
    held_for_review: int = 0
    cancel_reasons: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class DispatchOptions:
    batch_size: int = 100
    company_name: str = "cartera"
    lease: dt.timedelta = dt.timedelta(minutes=5)
    reconcile_window: dt.timedelta = dt.timedelta(minutes=60)
    circuit_threshold: int = 5
    circuit_cooldown: dt.timedelta = dt.timedelta(minutes=5)
    max_attempts: int = MAX_SEND_ATTEMPTS
    # Messages per provider request where the channel can batch (SendGrid: ≤ 1,000
    # personalizations); 1 sends one request per message.
    request_size: int = 1000
    progress_every: int = 1000  # log counts, rate and time left every this many claimed rows
    # E-mails rendered and judged in this many worker processes when at least `prerender_from`
    # rows are due (below that, starting the workers costs more than it saves); 1: in-process.
    render_workers: int = field(default_factory=lambda: min(os.cpu_count() or 1, 4))
    prerender_from: int = 2000


def as_clock(now: dt.datetime | Clock) -> Clock:
    if isinstance(now, dt.datetime):
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        fixed = now
        return lambda: fixed
    return now


def read_clock(clock: Clock) -> dt.datetime:
    instant = clock()
    if instant.tzinfo is None:
        raise ValueError("the clock must return timezone-aware instants")
    return instant


def options_from_settings(batch_size: int | None, company_name: str | None) -> DispatchOptions:
    from cartera.config import get_settings

    s = get_settings()
    return DispatchOptions(
        batch_size=batch_size or s.email_batch_size,
        company_name=company_name or s.company_name,
        lease=dt.timedelta(seconds=s.dispatch_lease_seconds),
        reconcile_window=dt.timedelta(minutes=s.reconcile_window_minutes),
        circuit_threshold=s.circuit_failure_threshold,
        circuit_cooldown=dt.timedelta(seconds=s.circuit_cooldown_seconds),
    )
