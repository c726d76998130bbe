"""Outbound channels: one module per outside system (``sendgrid_email.py`` for e-mail), behind
the small interface below, so the campaigns code never speaks a provider's API directly.

A channel raises :class:`ChannelError` when a message could not be handed over: ``transient``
errors (rate limit, provider outage, network) may be retried later; permanent ones (a rejected
payload, bad credentials) need a person. Error text carries codes and field names only, never an
address or a message body.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class OutboundEmail:
    """One e-mail to hand to a provider. Holds personal data: never log it (repr hides it)."""

    to_email: str
    to_name: str | None
    subject: str
    text: str
    html: str
    idempotency_key: str
    categories: tuple[str, ...] = ()
    custom_args: dict[str, str] = field(default_factory=dict)

    def __repr__(self) -> str:
        return f"OutboundEmail(idempotency_key={self.idempotency_key!r})"


@dataclass(frozen=True)
class SendResult:
    """What the provider said: its message id (for webhooks and support) and the HTTP status."""

    provider_message_id: str | None
    status_code: int


class ChannelError(Exception):
    """A message was not accepted by the provider. `code` is safe to store and log."""

    def __init__(self, code: str, *, transient: bool) -> None:
        self.code = code
        self.transient = transient
        super().__init__(f"{code} ({'transient' if transient else 'permanent'})")


class EmailChannel(Protocol):
    """What dispatch needs from an e-mail channel."""

    name: str

    def send(self, message: OutboundEmail) -> SendResult:
        """Hand one message to the provider; raise ChannelError if it was not accepted."""
        ...
