"""A fake of what SendGrid posts back, for the demo and tests: signed Event Webhook batches about
the messages a :class:`~cartera.channels.fake_sendgrid.FakeSendGrid` accepted, and Inbound Parse
replies from some of their recipients, sent to the receiver over HTTP.

* :class:`EventSigningKey` makes an ECDSA P-256 key pair and signs like SendGrid
  (``base64(DER(ECDSA-SHA256(timestamp + body)))``); its ``public_key`` is the base64 DER
  verification key, as SendGrid's settings page shows it (set it as
  ``CARTERA_SENDGRID_WEBHOOK_PUBLIC_KEY``). The key pair is made with ``cryptography``, which is
  what the installed SendGrid SDK verifies with (older SDKs used starkbank-ecdsa; the format is
  the same).
* :func:`events_for` decides, deterministically from a seed, what happens to each recipient:
  every message is processed; most are delivered (a share bounce, a share are deferred first);
  some delivered ones are opened, some of those clicked, a few reported as spam or unsubscribed.
* :func:`replies_for` writes Inbound Parse forms for a share of recipients: BAJA, a promise
  ("Pago el viernes"), a dispute, "ya pagué", each replying to our Message-ID.
* :func:`post_events` / :func:`post_reply` send them; :func:`play` does all of it.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import random
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import httpx

REPLY_TEXTS = (
    ("opt_out", "BAJA"),
    ("promise_to_pay", "Pago el viernes, gracias."),
    ("dispute", "No reconozco esta factura, favor de revisar."),
    ("payment_reported", "Ya pagué, les envío el comprobante."),
)


class EventSigningKey:
    """An ECDSA P-256 key pair that signs Event Webhook requests as SendGrid does."""

    def __init__(self) -> None:
        from cryptography.hazmat.primitives.asymmetric import ec

        self._private = ec.generate_private_key(ec.SECP256R1())

    @property
    def public_key(self) -> str:
        """The verification key: base64 of the DER SubjectPublicKeyInfo (no PEM armour)."""
        from cryptography.hazmat.primitives import serialization

        der = self._private.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return base64.b64encode(der).decode("ascii")

    def sign(self, payload: str | bytes, timestamp: str) -> str:
        """The X-Twilio-Email-Event-Webhook-Signature value for this body and timestamp."""
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec

        body = payload.encode("utf-8") if isinstance(payload, str) else payload
        signature = self._private.sign(timestamp.encode("utf-8") + body, ec.ECDSA(hashes.SHA256()))
        return base64.b64encode(signature).decode("ascii")

    def headers(self, payload: str | bytes, at: dt.datetime) -> dict[str, str]:
        """Signature and timestamp headers of a request signed at `at`."""
        timestamp = str(int(at.timestamp()))
        return {
            "X-Twilio-Email-Event-Webhook-Signature": self.sign(payload, timestamp),
            "X-Twilio-Email-Event-Webhook-Timestamp": timestamp,
            "Content-Type": "application/json",
        }


@dataclass(frozen=True)
class Shares:
    """What share of recipients each outcome gets (of all messages, or of the delivered)."""

    bounce: float = 0.05
    deferred: float = 0.10
    open: float = 0.50  # of the delivered
    click: float = 0.20  # of the opened
    spamreport: float = 0.01  # of the delivered
    unsubscribe: float = 0.02  # of the delivered
    reply: float = 0.20  # of the delivered: an Inbound Parse reply


def _recipients(messages: Iterable[Mapping[str, Any]]) -> list[tuple[str, str, dict[str, str], dt.datetime]]:
    """(message id, address, custom args, accepted at) for each recipient of each accepted request."""
    found = []
    for message in messages:
        request = message.get("request") or {}
        accepted = dt.datetime.fromisoformat(str(message.get("received_at")))
        for personalization in request.get("personalizations", []):
            args = {**request.get("custom_args", {}), **personalization.get("custom_args", {})}
            for recipient in personalization.get("to", []):
                found.append((str(message["message_id"]), str(recipient["email"]), args, accepted))
    return found


def _draw(seed: int, message_id: str, email: str) -> random.Random:
    digest = hashlib.sha256(f"{seed}:{message_id}:{email}".encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def _event(
    kind: str, message_id: str, email: str, args: Mapping[str, str], at: dt.datetime, **extra: Any
) -> dict[str, Any]:
    event_id = base64.urlsafe_b64encode(hashlib.sha256(f"{message_id}:{email}:{kind}".encode()).digest()[:16])
    return {
        "email": email,
        "timestamp": int(at.timestamp()),
        "event": kind,
        "sg_event_id": event_id.decode("ascii").rstrip("="),
        "sg_message_id": f"{message_id}.filterdrecv-fake.1.{int(at.timestamp())}.0",
        "smtp-id": f"<{message_id}@fake-sendgrid.local>",
        **dict(args),
        **extra,
    }


def events_for(
    messages: Iterable[Mapping[str, Any]], *, seed: int = 7, shares: Shares | None = None
) -> list[dict[str, Any]]:
    """SendGrid-shaped events for each recipient of `messages` (``FakeSendGrid.messages``),
    the same for the same seed. Custom args (idempotency_key, outbox_id, …) are top-level fields,
    as SendGrid posts them."""
    share = shares or Shares()
    events: list[dict[str, Any]] = []
    for message_id, email, args, accepted in _recipients(messages):
        draw = _draw(seed, message_id, email)
        at = accepted + dt.timedelta(seconds=1)
        events.append(_event("processed", message_id, email, args, at))
        if draw.random() < share.deferred:
            at += dt.timedelta(minutes=5)
            events.append(_event("deferred", message_id, email, args, at, response="451 try again later", attempt="1"))
        if draw.random() < share.bounce:
            at += dt.timedelta(seconds=30)
            events.append(
                _event(
                    "bounce",
                    message_id,
                    email,
                    args,
                    at,
                    type="bounce",
                    bounce_classification="Invalid Address",
                    reason="550 5.1.1 The email account that you tried to reach does not exist",
                    status="5.1.1",
                )
            )
            continue
        at += dt.timedelta(seconds=30)
        events.append(_event("delivered", message_id, email, args, at, response="250 OK"))
        if draw.random() < share.open:
            at += dt.timedelta(minutes=draw.randint(5, 600))
            events.append(_event("open", message_id, email, args, at, sg_machine_open=False))
            if draw.random() < share.click:
                at += dt.timedelta(minutes=1)
                events.append(_event("click", message_id, email, args, at, url="https://pagos.example.mx/factura"))
        roll = draw.random()
        if roll < share.spamreport:
            events.append(_event("spamreport", message_id, email, args, at + dt.timedelta(minutes=2)))
        elif roll < share.spamreport + share.unsubscribe:
            events.append(_event("unsubscribe", message_id, email, args, at + dt.timedelta(minutes=2)))
    return events


def replies_for(
    messages: Iterable[Mapping[str, Any]],
    *,
    seed: int = 7,
    shares: Shares | None = None,
    reply_to: str = "cobranza@example.com",
) -> list[dict[str, str]]:
    """Inbound Parse forms (from, to, subject, text, headers, envelope, …) of the recipients who
    reply, each answering our message (In-Reply-To its Message-ID) with one of
    :data:`REPLY_TEXTS`, chosen by the seed."""
    share = shares or Shares()
    forms: list[dict[str, str]] = []
    for message_id, email, _args, accepted in _recipients(messages):
        draw = _draw(seed + 1, message_id, email)
        if draw.random() >= share.reply:
            continue
        _kind, text = REPLY_TEXTS[draw.randrange(len(REPLY_TEXTS))]
        ours = f"<{message_id}@fake-sendgrid.local>"
        theirs = f"<reply-{hashlib.sha256(f'{message_id}:{email}'.encode()).hexdigest()[:16]}@cliente.example.mx>"
        sent = accepted + dt.timedelta(hours=2)
        headers = (
            f"Message-ID: {theirs}\r\nIn-Reply-To: {ours}\r\nReferences: {ours}\r\n"
            f"Date: {sent.strftime('%a, %d %b %Y %H:%M:%S +0000')}\r\nSubject: Re: Recordatorio de pago\r\n"
        )
        forms.append(
            {
                "from": email,
                "to": reply_to,
                "subject": "Re: Recordatorio de pago",
                "text": f"{text}\n\nEl lun, escribió Cobranza <{reply_to}>:\n> Le recordamos su saldo pendiente.",
                "headers": headers,
                "envelope": json.dumps({"to": [reply_to], "from": email}),
                "charsets": json.dumps({"to": "UTF-8", "from": "UTF-8", "subject": "UTF-8", "text": "UTF-8"}),
                "SPF": "pass",
                "spam_score": "0.1",
                "attachments": "0",
            }
        )
    return forms


def post_events(
    receiver_url: str,
    events: Sequence[Mapping[str, Any]],
    key: EventSigningKey,
    *,
    at: dt.datetime | None = None,
    batch_size: int = 500,
    client: httpx.Client | None = None,
) -> list[int]:
    """POST the events to ``<receiver_url>/sendgrid/events`` in signed batches; the status codes.
    `client` may be any httpx client (a FastAPI TestClient in tests)."""
    import httpx

    signed_at = at or dt.datetime.now(dt.UTC)
    statuses = []
    http = client or httpx.Client(timeout=30)
    try:
        for start in range(0, len(events), batch_size):
            body = json.dumps(list(events[start : start + batch_size]))
            response = http.post(
                receiver_url.rstrip("/") + "/sendgrid/events", content=body, headers=key.headers(body, signed_at)
            )
            statuses.append(response.status_code)
    finally:
        if client is None:
            http.close()
    return statuses


def post_reply(receiver_url: str, secret: str, form: Mapping[str, str], *, client: httpx.Client | None = None) -> int:
    """POST one Inbound Parse form (multipart, as SendGrid does) to the receiver; the status."""
    import httpx

    files = {name: (None, value.encode("utf-8")) for name, value in form.items()}
    url = receiver_url.rstrip("/") + f"/sendgrid/inbound/{secret}"
    if client is not None:
        return client.post(url, files=files).status_code
    return httpx.post(url, files=files, timeout=30).status_code


def play(
    receiver_url: str,
    messages: Iterable[Mapping[str, Any]],
    key: EventSigningKey,
    *,
    inbound_secret: str,
    seed: int = 7,
    shares: Shares | None = None,
    at: dt.datetime | None = None,
    client: httpx.Client | None = None,
) -> Counter[str]:
    """Send the events and replies of `messages` to a running receiver. Counts by kind and status."""
    accepted = list(messages)
    counts: Counter[str] = Counter()
    events = events_for(accepted, seed=seed, shares=shares)
    counts.update(str(e["event"]) for e in events)
    counts.update(f"events_http_{status}" for status in post_events(receiver_url, events, key, at=at, client=client))
    for form in replies_for(accepted, seed=seed, shares=shares):
        counts[f"replies_http_{post_reply(receiver_url, inbound_secret, form, client=client)}"] += 1
    return counts
