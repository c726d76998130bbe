"""Outbound channels: one module per outside system (``sendgrid_email.py`` for e-mail,
``twilio_messaging.py`` for SMS and WhatsApp), behind the small interface below, so the campaigns
code never speaks a provider's API directly.

Exactly once with providers that do not de-duplicate
----------------------------------------------------
A channel makes **one** request per :meth:`Channel.send` and never retries a request that may
have reached the provider: retrying is the dispatcher's decision, taken only after
reconciliation. So :class:`ChannelError` says *what is known* about the message:

* ``outcome="not_sent"``: the provider certainly did not accept it (connection refused before
  the request left, 400/422 validation, 429 rate limit). ``transient`` says whether a later
  attempt may succeed; ``retry_after`` carries the provider's Retry-After (seconds) if given.
* ``outcome="unknown"``: the request may have been accepted (time-out or reset after the request
  left, a 5xx). The row must be reconciled with :meth:`Channel.find_sent` before anything else.
* ``outcome="auth"``: 401/403, a configuration error. The batch stops; nothing is a bounce.

A channel whose provider takes many messages in one request (SendGrid: up to 1,000
personalizations) also implements :class:`BatchChannel`: :meth:`BatchChannel.request_groups`
says which messages can share a request, :meth:`BatchChannel.send_many` makes the request for
one group and answers per message. Each message still has its own key and its own answer; a
request that may have been accepted makes every message of it ``unknown``.

Error text carries codes and field names only, never an address or a message body.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol, runtime_checkable

ChannelName = Literal["email", "sms", "whatsapp"]
Outcome = Literal["not_sent", "unknown", "auth"]
_HEADER_BREAKS = re.compile(r"[\r\n\u2028\u2029\x85\x0b\x0c]+")
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")


def header_safe(value: str | None, *, max_length: int = 200) -> str | None:
    """A name, address or subject fit for a provider request: line breaks (CR, LF and their
    Unicode cousins) become one space, other control characters are removed, and surrounding
    space is trimmed. None or an empty result gives None. Header injection starts here."""
    if value is None:
        return None
    cleaned = _CONTROL.sub("", _HEADER_BREAKS.sub(" ", value)).strip()
    return cleaned[:max_length] or None


@dataclass(frozen=True)
class OutboundMessage:
    """One message to hand to a provider. Holds personal data: never log it (repr hides it).

    `to` is an e-mail address for e-mail and an E.164 number for SMS/WhatsApp. `subject` and
    `html` matter to e-mail only; WhatsApp outside the 24-hour window sends `template` (an
    approved template's name) with `template_variables` instead of free text, and free text
    only when `window_open` (the debtor wrote to us in the last 24 hours). `content_fingerprint`
    (set by reconciliation, with an empty `text`) names the body that was sent without it."""

    channel: ChannelName
    to: str
    text: str
    idempotency_key: str
    to_name: str | None = None
    subject: str | None = None
    html: str | None = None
    language: str = "es"
    template: str | None = None
    template_variables: dict[str, str] = field(default_factory=dict)
    window_open: bool = False
    content_fingerprint: str | None = None
    categories: tuple[str, ...] = ()
    custom_args: dict[str, str] = field(default_factory=dict)

    def __repr__(self) -> str:
        return f"OutboundMessage(channel={self.channel!r}, idempotency_key={self.idempotency_key!r})"


@dataclass(frozen=True)
class SendResult:
    """What the provider said: its message id (for webhooks and support) and the HTTP status."""

    provider_message_id: str | None
    status_code: int


@dataclass(frozen=True)
class ProviderRecord:
    """What a provider reports about a message it accepted (found by reconciliation)."""

    provider_message_id: str | None
    status: str
    accepted_at: dt.datetime | None = None


class ChannelError(Exception):
    """A message was not (or not knowingly) accepted. `code` is safe to store and log."""

    def __init__(
        self,
        code: str,
        *,
        transient: bool,
        outcome: Outcome = "not_sent",
        retry_after: float | None = None,
        status_code: int | None = None,
    ) -> None:
        self.code = code
        self.transient = transient
        self.outcome: Outcome = outcome
        self.retry_after = retry_after
        self.status_code = status_code
        kind = {"not_sent": "not sent", "unknown": "may have been sent", "auth": "credentials refused"}[outcome]
        super().__init__(f"{code} ({kind}; {'transient' if transient else 'permanent'})")


class ReconciliationUnavailable(Exception):
    """The provider could not tell whether a message was accepted (its search failed or is not
    available on this account): the row stays unknown, never resent on that basis."""


class Channel(Protocol):
    """What dispatch needs from a channel."""

    name: str  # the channel: email, sms or whatsapp
    provider: str  # the outside system: sendgrid, twilio, …

    def send(self, message: OutboundMessage) -> SendResult:
        """Make exactly one request to hand the message over; raise ChannelError if it was not
        (or not knowingly) accepted. Never retries a request that may have left."""
        ...

    def find_sent(self, message: OutboundMessage, since: dt.datetime) -> ProviderRecord | None:
        """Ask the provider whether it accepted `message` (matched by its idempotency key, or
        where the provider cannot carry one, by recipient, time and content) at or after
        `since`. None: it did not. Raises ReconciliationUnavailable when it cannot tell."""
        ...


@runtime_checkable
class BatchChannel(Protocol):
    """Optional: a channel that hands several messages over in one request."""

    name: str
    provider: str

    def request_groups(self, messages: Sequence[OutboundMessage], *, max_size: int) -> list[list[int]]:
        """Indexes of `messages` split into requests (each at most `max_size` messages and
        within the provider's limits; a message that cannot share a request is alone). Every
        index appears exactly once; order is kept inside a group."""
        ...

    def send_many(self, messages: Sequence[OutboundMessage]) -> list[SendResult | ChannelError]:
        """Hand over one group (as :meth:`request_groups` made it) in one request, and say per
        message what is known: a SendResult, or the ChannelError for that message. Never
        retries a request that may have left."""
        ...
