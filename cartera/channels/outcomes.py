"""What a provider's HTTP error answer means for a message, the same for every provider (see
:class:`~cartera.channels.ChannelError` for the outcomes): each channel module names the error
its own way and reads its own SDK's exception, then asks here what is known.
"""

from __future__ import annotations

import datetime as dt
import email.utils

from cartera.channels import ChannelError


def retry_after_seconds(value: str | None) -> float | None:
    """Seconds from a Retry-After header's value (delta-seconds, or an HTTP date counted from
    now); None when absent or unreadable. Never negative."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(str(value))
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # "-0000": no zone given; an HTTP date is GMT
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - dt.datetime.now(dt.UTC)).total_seconds())


def http_status_error(code: str, status: int, *, retry_after: float | None = None) -> ChannelError:
    """The error for a provider's HTTP `status`: 401/403 → ``auth`` (a configuration error);
    429 → ``not_sent``, transient, with `retry_after`; 5xx → ``unknown`` (the request arrived;
    whether it was queued is not known); any other status → ``not_sent``, permanent."""
    if status in (401, 403):
        return ChannelError(code, transient=False, outcome="auth", status_code=status)
    if status == 429:
        return ChannelError(code, transient=True, outcome="not_sent", retry_after=retry_after, status_code=status)
    if status >= 500:
        return ChannelError(code, transient=True, outcome="unknown", status_code=status)
    return ChannelError(code, transient=False, outcome="not_sent", status_code=status)
