"""Provider callbacks as :class:`MessageEvent` values: pure functions, no database.

Each event gets our name for what happened (``event_type``), the provider's own name
(``provider_event_type``), and what it does to the message: the delivery status it implies and
whether it pauses the address (a hard bounce) or opts the customer out (spam report,
unsubscribe). What the provider sent is kept as ``payload`` without personal data: addresses and
numbers become sha256 hashes (:func:`personal_hash`), IPs, user agents, URLs and message text
are dropped, and free text (a bounce reason) has anything that looks like an address or number
masked.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# Delivery status of a message, by how far it got; a later event never moves it back.
DELIVERY_RANK = {
    "processed": 1,
    "queued": 1,
    "sent": 2,
    "deferred": 2,
    "delivered": 3,
    "opened": 4,
    "read": 4,
    "clicked": 5,
    "blocked": 6,
    "undelivered": 6,
    "failed": 6,
    "dropped": 6,
    "bounced": 6,
    "spamreport": 7,
    "unsubscribed": 7,
}

_SENDGRID_TYPES = {
    "processed": "processed",
    "delivered": "delivered",
    "deferred": "deferred",
    "dropped": "dropped",
    "open": "opened",
    "click": "clicked",
    "spamreport": "spamreport",
    "unsubscribe": "unsubscribed",
    "group_unsubscribe": "unsubscribed",
    "group_resubscribe": "resubscribed",
}
# Twilio MessageStatus values (status callbacks).
_TWILIO_TYPES = {
    "accepted": "queued",
    "scheduled": "queued",
    "queued": "queued",
    "sending": "queued",
    "sent": "sent",
    "delivered": "delivered",
    "read": "read",
    "undelivered": "undelivered",
    "failed": "failed",
    "canceled": "canceled",
}
# Twilio error codes that mean the number cannot receive messages at all (a hard bounce):
# invalid 'To', not a mobile number, unknown destination, landline or unreachable carrier.
TWILIO_HARD_BOUNCE_CODES = frozenset({"21211", "21614", "30005", "30006"})
TWILIO_OPTED_OUT_CODE = "21610"  # the recipient replied STOP to Twilio: it refuses to send

_SAFE_SENDGRID_FIELDS = frozenset(
    {
        "event",
        "timestamp",
        "sg_event_id",
        "sg_message_id",
        "smtp-id",
        "category",
        "type",
        "bounce_classification",
        "status",
        "attempt",
        "sg_machine_open",
        "asm_group_id",
        "tls",
        "cert_err",
        "marketing_campaign_id",
        "idempotency_key",
        "outbox_id",
        "step",
    }
)
_MASKED_TEXT_FIELDS = frozenset({"reason", "response"})
_SAFE_TWILIO_FIELDS = frozenset(
    {
        "MessageSid",
        "SmsSid",
        "MessageStatus",
        "SmsStatus",
        "AccountSid",
        "MessagingServiceSid",
        "ApiVersion",
        "ErrorCode",
        "NumMedia",
        "NumSegments",
        "OptOutType",
        "ChannelPrefix",
        "ChannelStatusMessage",
        "RawDlrDoneDate",
    }
)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
_NUMBER = re.compile(r"\+?\d[\d ().-]{7,}\d")


@dataclass(frozen=True)
class MessageEvent:
    """One provider event about one message (holds no personal data)."""

    provider: str
    provider_event_id: str
    event_type: str
    provider_event_type: str | None
    channel: str | None
    occurred_at: dt.datetime | None
    provider_message_id: str | None
    outbox_id: int | None
    idempotency_key: str | None
    payload: dict[str, Any]
    opt_out_source: str | None = None  # 'hard_bounce', 'spamreport', 'unsubscribe'

    @property
    def delivery_status(self) -> str | None:
        return self.event_type if self.event_type in DELIVERY_RANK else None


def personal_hash(value: str) -> str:
    """sha256 (hex) of an address or number, trimmed and lower-cased: lets a person check "is
    this the event of that address?" without the table holding the address."""
    return hashlib.sha256(value.strip().lower().encode("utf-8")).hexdigest()


def mask_text(value: str) -> str:
    """Free text with anything shaped like an e-mail address or a phone number masked."""
    return _NUMBER.sub("<number>", _EMAIL.sub("<email>", value))[:500]


def _short(value: Any, limit: int = 200) -> str | None:
    if value is None:
        return None
    return str(value)[:limit]


def _instant(value: Any) -> dt.datetime | None:
    try:
        return dt.datetime.fromtimestamp(int(value), tz=dt.UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def _int_or_none(value: Any) -> int | None:
    try:
        number = int(str(value))
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**63 else None


def scrub_sendgrid(event: Mapping[str, Any]) -> dict[str, Any]:
    """A SendGrid event without personal data (see the module docstring)."""
    kept: dict[str, Any] = {}
    dropped: list[str] = []
    for key, value in event.items():
        name = str(key)[:100]
        if name in _SAFE_SENDGRID_FIELDS and isinstance(value, str | int | float | bool | list | type(None)):
            kept[name] = value if not isinstance(value, str) else value[:500]
        elif name in _MASKED_TEXT_FIELDS and isinstance(value, str):
            kept[name] = mask_text(value)
        elif name == "email" and isinstance(value, str):
            kept["email_sha256"] = personal_hash(value)
        elif name == "url" and isinstance(value, str):
            kept["url_host"] = _short(re.sub(r"^[a-z]+://([^/?#]*).*$", r"\1", value, flags=re.I), 200)
        else:
            dropped.append(name)
    if dropped:
        kept["dropped_fields"] = sorted(dropped)[:50]
    return kept


def sendgrid_event(event: Any) -> MessageEvent:
    """One element of a SendGrid Event Webhook batch. Anything unreadable is type 'unknown'."""
    if not isinstance(event, dict):
        digest = hashlib.sha256(json.dumps(event, sort_keys=True, default=str).encode()).hexdigest()
        return MessageEvent(
            "sendgrid", f"malformed:{digest}", "unknown", None, "email", None, None, None, None, {"malformed": True}
        )
    name = _short(event.get("event"), 50)
    event_type = _SENDGRID_TYPES.get(name or "", "unknown")
    opt_out: str | None = None
    reason = str(event.get("reason") or "").lower()
    if name == "bounce":
        # type "bounce" is a hard bounce; "blocked" a refusal that may pass later
        bounce_type = str(event.get("type") or "bounce").lower()
        event_type = "blocked" if bounce_type == "blocked" else "bounced"
        opt_out = "hard_bounce" if event_type == "bounced" else None
    elif event_type == "dropped":
        # SendGrid drops a message to an address on its suppression lists: keep ours in step
        if "bounced address" in reason:
            opt_out = "hard_bounce"
        elif "spam reporting address" in reason:
            opt_out = "spamreport"
        elif "unsubscribed address" in reason:
            opt_out = "unsubscribe"
    elif event_type == "spamreport":
        opt_out = "spamreport"
    elif event_type == "unsubscribed":
        opt_out = "unsubscribe"
    payload = scrub_sendgrid(event)
    event_id = _short(event.get("sg_event_id"), 200)
    if not event_id:
        event_id = "sha256:" + hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()
    message_id = _short(event.get("sg_message_id"), 200)
    return MessageEvent(
        provider="sendgrid",
        provider_event_id=event_id,
        event_type=event_type,
        provider_event_type=name,
        channel="email",
        occurred_at=_instant(event.get("timestamp")),
        # sg_message_id is the X-Message-Id of the send plus ".filter…" routing parts
        provider_message_id=message_id.split(".", 1)[0] if message_id else None,
        outbox_id=_int_or_none(event.get("outbox_id")),
        idempotency_key=_short(event.get("idempotency_key"), 200),
        payload=payload,
        opt_out_source=opt_out,
    )


def scrub_twilio(params: Mapping[str, str]) -> dict[str, Any]:
    """Twilio form parameters without personal data: To/From hashed, Body and media dropped."""
    kept: dict[str, Any] = {}
    dropped: list[str] = []
    for key, value in params.items():
        if key in _SAFE_TWILIO_FIELDS:
            kept[key] = mask_text(str(value))[:200]
        elif key in ("To", "From"):
            kept[f"{key.lower()}_sha256"] = personal_hash(str(value).removeprefix("whatsapp:"))
        elif key == "Body":
            kept["body_length"] = len(str(value))
        else:
            dropped.append(key[:100])
    if dropped:
        kept["dropped_fields"] = sorted(dropped)[:50]
    return kept


def twilio_channel(params: Mapping[str, str]) -> str:
    """'whatsapp' when Twilio's addresses carry the whatsapp: prefix, else 'sms'."""
    addresses = (str(params.get("From", "")), str(params.get("To", "")))
    return "whatsapp" if any(a.startswith("whatsapp:") for a in addresses) else "sms"


def twilio_status_event(params: Mapping[str, str], received_at: dt.datetime) -> MessageEvent:
    """A Twilio status callback. Its id is MessageSid + MessageStatus (Twilio posts each status
    once, and again on retry); the instant is when we received it (Twilio sends none)."""
    sid = _short(params.get("MessageSid") or params.get("SmsSid"), 64) or ""
    status = (_short(params.get("MessageStatus") or params.get("SmsStatus"), 30) or "").lower()
    event_type = _TWILIO_TYPES.get(status, "unknown") if sid else "unknown"
    error = _short(params.get("ErrorCode"), 10) or ""
    opt_out: str | None = None
    if event_type in ("undelivered", "failed") and error in TWILIO_HARD_BOUNCE_CODES:
        event_type, opt_out = "bounced", "hard_bounce"
    elif error == TWILIO_OPTED_OUT_CODE:
        opt_out = "unsubscribe"
    payload = scrub_twilio(params)
    event_id = (
        f"{sid}:{status}"
        if sid
        else "sha256:" + hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()
    )
    return MessageEvent(
        provider="twilio",
        provider_event_id=event_id,
        event_type=event_type,
        provider_event_type=status or None,
        channel=twilio_channel(params),
        occurred_at=received_at,
        provider_message_id=sid or None,
        outbox_id=None,
        idempotency_key=None,
        payload=payload,
        opt_out_source=opt_out,
    )
