"""E-mail through SendGrid's v3 Mail Send API (``POST /v3/mail/send``) with the official SDK.

Design choices:

* **One request per send, never a retry inside it.** SendGrid does not de-duplicate: a request
  retried after a time-out is a second e-mail. So :meth:`SendGridEmailChannel.send` makes one
  call and says what is known (see :class:`~cartera.channels.ChannelError`): certainly not
  accepted (connection refused, 400, 429 with its Retry-After), maybe accepted (time-out or reset
  after the request left, 5xx), or credentials refused (401/403). Retrying is the dispatcher's
  decision, after reconciliation.
* **Reconciliation** (:meth:`find_sent`) asks the Email Activity API (``GET /v3/messages``,
  an add-on on real accounts) for a message carrying our key in ``unique_args``; the dispatcher
  first looks for the key in the events the receiver stored.
* The **idempotency key travels in ``custom_args``** (an object of strings): every event
  SendGrid posts back can be traced to the outbox row.
* Names and subjects go through :func:`~cartera.channels.header_safe` (no CR/LF reaches a
  header); an address that does not look like one is refused before any request.
* The provider id is the ``X-Message-Id`` response header of the 202.
* **Many messages per request** (:meth:`SendGridEmailChannel.send_many`). Mail Send takes up
  to 1,000 personalizations per request, each with its own ``to``, ``subject``, ``custom_args``
  and ``substitutions``, but the content blocks are shared, and our statements differ per
  customer. So a batched request carries one shared content of two placeholders
  (``-cartera_text-`` in text/plain, ``-cartera_html-`` in text/html) and each personalization
  substitutes its own whole rendered body, subject, key and outbox id. Why not dynamic templates
  (``template_id`` + ``dynamic_template_data``): the template would live at SendGrid, outside
  this repository and its content check; the text judged by the law must be the text that
  leaves, byte for byte, which substitution of the rendered body guarantees. Limits, taken
  from SendGrid's documentation: 1,000 personalizations and recipients per request; the
  substitutions of a personalization at most 10,000 bytes (the Mail Send reference's figure;
  the substitution-tags page says 50,000 — we keep the smaller); a request under 30 MB (we
  stop at 20 MB); an address once per request. A message over a limit, or whose body contains a
  placeholder, goes alone, exactly as :meth:`send` sends it (:func:`request_groups`).
  A batched request is still one request: accepted → every message accepted (one X-Message-Id);
  time-out, reset or 5xx → every message ``unknown`` (reconciled per key); 401/403 → ``auth``
  for all; 429 → ``not_sent`` for all; a 400 whose errors name personalizations fails only
  those, and the others (certainly not accepted: a 400 accepts nothing) go in one more request.
* ``python_http_client`` (under the SDK) logs request payloads and the ``Authorization``
  header at DEBUG: its logger is held at WARNING here so no address or key reaches a log.
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import logging
import re
import socket
import urllib.error
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import python_http_client.exceptions as http_errors  # type: ignore[import-untyped]  # no stubs published
import sendgrid  # type: ignore[import-untyped]  # no stubs published
from sendgrid.helpers.mail import Category, CustomArg, From, Header, Mail, To  # type: ignore[import-untyped]

from cartera.channels import ChannelError, OutboundMessage, ProviderRecord, ReconciliationUnavailable, SendResult
from cartera.channels import header_safe as _header_safe
from cartera.channels.outcomes import http_status_error, retry_after_seconds
from cartera.errors import ConfigurationError
from cartera.logs import get_logger

DEFAULT_HOST = "https://api.sendgrid.com"
logging.getLogger("python_http_client").setLevel(logging.WARNING)  # it logs payloads and the key at DEBUG
_log = get_logger(__name__)
# Deliberately simple: one @, no spaces or control characters, a dot in the domain.
MAX_PERSONALIZATIONS = 1000  # per /v3/mail/send request (SendGrid's limit)
SUBSTITUTION_BYTES = 10_000  # substitutions per personalization (the smaller documented figure)
REQUEST_BYTES = 20 * 1024 * 1024  # a batched request stays well under SendGrid's 30 MB
TEXT_TAG = "-cartera_text-"
HTML_TAG = "-cartera_html-"
_OVERHEAD_BYTES = 600  # a personalization's to, subject, custom_args and JSON punctuation, roughly
_PERSONALIZATION_FIELD = re.compile(r"^personalizations\.(\d+)(?:\.|$)")
_ADDRESS = re.compile(r"^[^@\s\x00-\x1f\x7f<>\"]+@[^@\s\x00-\x1f\x7f<>\"]+\.[^@\s\x00-\x1f\x7f<>\"]+$")


def _field_names(exc: http_errors.HTTPError) -> list[str]:
    try:
        body: Any = exc.to_dict
        return sorted({str(err.get("field")) for err in body.get("errors", []) if err.get("field")})
    except (ValueError, AttributeError, TypeError):
        return []


def classify_error(exc: BaseException) -> ChannelError:
    """What an SDK/network error means for the message (codes and field names only: SendGrid's
    messages can quote the recipient's address)."""
    if isinstance(exc, http_errors.HTTPError):
        status = int(getattr(exc, "status_code", 0) or 0)
        fields = _field_names(exc)
        code = f"sendgrid_http_{status}" + (f" fields={','.join(fields)}" if fields else "")
        headers = getattr(exc, "headers", None)
        retry = retry_after_seconds(headers.get("Retry-After") if headers is not None else None)
        return http_status_error(code, status, retry_after=retry)
    reason: BaseException | object = exc.reason if isinstance(exc, urllib.error.URLError) else exc
    name = type(reason).__name__
    if isinstance(reason, ConnectionRefusedError | socket.gaierror):
        # Nothing was connected, so nothing was sent.
        return ChannelError(f"sendgrid_network_{name}", transient=True, outcome="not_sent")
    if isinstance(reason, TimeoutError | ConnectionError | http.client.HTTPException | OSError):
        # A time-out, reset or broken response: the request may have been read and accepted.
        return ChannelError(f"sendgrid_network_{name}", transient=True, outcome="unknown")
    return ChannelError(f"sendgrid_network_{name}", transient=True, outcome="unknown")


def substitutions_of(message: OutboundMessage, *, limit: int = SUBSTITUTION_BYTES) -> dict[str, str] | None:
    """The substitutions that carry `message`'s whole body in a shared request, or None when it
    cannot share one (over `limit` bytes, or a body that contains a placeholder itself)."""
    sized = _sized_substitutions(message, limit)
    return sized[0] if sized is not None else None


def _sized_substitutions(message: OutboundMessage, limit: int) -> tuple[dict[str, str], int] | None:
    """:func:`substitutions_of` with the bytes of its values (the placeholders are ASCII)."""
    values = {TEXT_TAG: message.text}
    if message.html:
        values[HTML_TAG] = message.html
    size = 0
    for key, value in values.items():
        if TEXT_TAG in value or HTML_TAG in value:
            return None
        size += len(key) + len(value.encode("utf-8"))
    return (values, size) if size <= limit else None


@dataclass
class _Group:
    indexes: list[int]
    size: int = 0
    addresses: set[str] = field(default_factory=set)


def request_groups(
    messages: Sequence[OutboundMessage],
    *,
    max_size: int = MAX_PERSONALIZATIONS,
    substitution_limit: int = SUBSTITUTION_BYTES,
    request_limit: int = REQUEST_BYTES,
) -> list[list[int]]:
    """Split `messages` into requests: messages with the same shared parts (categories, an HTML
    part or not) share a request of at most `max_size` (≤ 1,000) personalizations and
    `request_limit` bytes, each address once per request; a message whose body does not fit in
    `substitution_limit` bytes of substitutions goes alone. Every index once, order kept."""
    max_size = max(1, min(max_size, MAX_PERSONALIZATIONS))
    groups: list[list[int]] = []
    filling: dict[tuple[tuple[str, ...], bool], _Group] = {}
    for index, message in enumerate(messages):
        sized = _sized_substitutions(message, substitution_limit) if max_size > 1 else None
        if sized is None:
            groups.append([index])
            continue
        size = _OVERHEAD_BYTES + sized[1]  # the values with their tags: a little over, never under
        size += len((message.subject or "").encode("utf-8")) + len((message.to_name or "").encode("utf-8"))
        address = (message.to or "").strip().lower()
        shared = (message.categories, bool(message.html))
        group = filling.get(shared)
        if (
            group is None
            or len(group.indexes) >= max_size
            or group.size + size > request_limit
            or address in group.addresses
        ):
            group = _Group([])
            filling[shared] = group
            groups.append(group.indexes)
        group.indexes.append(index)
        group.size += size
        group.addresses.add(address)
    return groups


def _named_personalizations(exc: BaseException) -> set[int]:
    """Indexes of the personalizations a 400's errors name (empty when none is named)."""
    if not isinstance(exc, http_errors.HTTPError):
        return set()
    named = set()
    for name in _field_names(exc):
        match = _PERSONALIZATION_FIELD.match(name)
        if match is None:
            return set()  # an error about the shared parts: it concerns every message
        named.add(int(match.group(1)))
    return named


class SendGridEmailChannel:
    """Sends :class:`OutboundMessage` (channel ``email``) through one reused SDK client."""

    name = "email"
    provider = "sendgrid"

    def __init__(
        self,
        api_key: str,
        *,
        from_email: str,
        from_name: str | None = None,
        host: str | None = None,
        timeout_seconds: float = 30.0,
    ) -> None:
        if not api_key:
            raise ConfigurationError("a SendGrid API key is required: set CARTERA_SENDGRID_API_KEY")
        self._client = sendgrid.SendGridAPIClient(api_key=api_key, host=host or DEFAULT_HOST)
        # The SDK's send() takes no timeout; its HTTP client passes this one to every request.
        self._client.client.timeout = timeout_seconds
        self._from = From(from_email, _header_safe(from_name))
        self._unsubscribe = f"<mailto:{from_email}?subject=BAJA>"

    @classmethod
    def from_settings(cls, **overrides: Any) -> SendGridEmailChannel:
        """A channel configured from :func:`cartera.config.get_settings` (key, host, sender)."""
        from cartera.config import get_settings

        settings = get_settings()
        if settings.sendgrid_api_key is None:
            raise ConfigurationError(
                "no SendGrid API key: set CARTERA_SENDGRID_API_KEY (and CARTERA_SENDGRID_HOST for a local fake server)"
            )
        options: dict[str, Any] = {
            "from_email": settings.from_email,
            "from_name": settings.from_name,
            "host": settings.sendgrid_host,
            "timeout_seconds": settings.provider_timeout_seconds,
        }
        options.update(overrides)
        return cls(settings.sendgrid_api_key.get_secret_value(), **options)

    def build_mail(self, message: OutboundMessage) -> Mail:
        """The SDK's Mail for one message: text first then HTML, custom_args with the key.
        Raises ChannelError (not sent, permanent) for an address or subject unfit to send."""
        address, subject = self._check(message)
        mail = Mail(
            from_email=self._from,
            to_emails=To(address, _header_safe(message.to_name)),
            subject=subject,
            plain_text_content=message.text,
            html_content=message.html or None,
        )
        args = {"idempotency_key": message.idempotency_key, **message.custom_args}
        mail.custom_arg = [CustomArg(key, str(value)) for key, value in sorted(args.items())]
        mail.header = Header("List-Unsubscribe", self._unsubscribe)
        if message.categories:
            mail.category = [Category(c) for c in message.categories]
        return mail

    def send(self, message: OutboundMessage) -> SendResult:
        """One request; returns the X-Message-Id. Raises ChannelError when not (knowingly) accepted."""
        mail = self.build_mail(message)
        try:
            response = self._client.send(mail)
        except (http_errors.HTTPError, urllib.error.URLError, OSError, http.client.HTTPException) as exc:
            error = classify_error(exc)
            _log.warning("sendgrid key=%s: %s", message.idempotency_key[:12], error)
            raise error from None
        headers = response.headers
        provider_id = headers.get("X-Message-Id") if headers is not None else None
        return SendResult(provider_message_id=provider_id, status_code=int(response.status_code))

    def request_groups(self, messages: Sequence[OutboundMessage], *, max_size: int) -> list[list[int]]:
        """See :func:`request_groups`."""
        return request_groups(messages, max_size=max_size)

    def _check(self, message: OutboundMessage) -> tuple[str, str]:
        """(address, subject) fit to send, or ChannelError (not sent, permanent)."""
        address = (message.to or "").strip()
        subject = _header_safe(message.subject, max_length=300)
        if not _ADDRESS.match(address) or len(address) > 254:
            raise ChannelError("invalid_recipient field=to", transient=False, outcome="not_sent")
        if subject is None:
            raise ChannelError("invalid_subject field=subject", transient=False, outcome="not_sent")
        return address, subject

    def build_batch(self, messages: Sequence[OutboundMessage]) -> dict[str, Any]:
        """The Mail Send body of one shared request: one personalization per message (its own
        to, subject, custom_args with the key, and its whole body as substitutions), one shared
        content of placeholders. Every message must be fit to send and share the same
        categories and HTML-or-not (as :func:`request_groups` groups them)."""
        personalizations = []
        for message in messages:
            address, subject = self._check(message)
            values = substitutions_of(message)
            if values is None:
                raise ValueError("a message that cannot share a request was batched")
            to: dict[str, str] = {"email": address}
            name = _header_safe(message.to_name)
            if name:
                to["name"] = name
            args = {"idempotency_key": message.idempotency_key, **message.custom_args}
            personalizations.append(
                {
                    "to": [to],
                    "subject": subject,
                    "custom_args": {key: str(value) for key, value in sorted(args.items())},
                    "substitutions": values,
                }
            )
        first = messages[0]
        content = [{"type": "text/plain", "value": TEXT_TAG}]
        if first.html:
            content.append({"type": "text/html", "value": HTML_TAG})
        body: dict[str, Any] = {
            "from": self._from.get(),
            "personalizations": personalizations,
            "content": content,
            "headers": {"List-Unsubscribe": self._unsubscribe},
        }
        if first.categories:
            body["categories"] = list(first.categories)
        return body

    def send_many(self, messages: Sequence[OutboundMessage]) -> list[SendResult | ChannelError]:
        """One request for a group of :meth:`request_groups` (a lone message goes as :meth:`send`
        sends it); the answer per message. After a 400 naming personalizations, those fail and
        the rest (certainly not accepted) go in one more request."""
        return self._send_many(list(messages), retry_rest=True)

    def _send_many(self, messages: list[OutboundMessage], *, retry_rest: bool) -> list[SendResult | ChannelError]:
        if len(messages) == 1:
            try:
                return [self.send(messages[0])]
            except ChannelError as exc:
                return [exc]
        results: list[SendResult | ChannelError | None] = [None] * len(messages)
        fit: list[int] = []
        for index, message in enumerate(messages):
            try:
                self._check(message)
            except ChannelError as exc:
                results[index] = exc
            else:
                fit.append(index)
        if fit:
            try:
                response = self._client.send(self.build_batch([messages[i] for i in fit]))
            except (http_errors.HTTPError, urllib.error.URLError, OSError, http.client.HTTPException) as exc:
                error = classify_error(exc)
                _log.warning("sendgrid request of %d messages: %s", len(fit), error)
                named = _named_personalizations(exc) if error.status_code == 400 else set()
                if named and all(n < len(fit) for n in named):
                    for n in named:
                        results[fit[n]] = error
                    rest = [i for n, i in enumerate(fit) if n not in named]
                    if rest and retry_rest:
                        for i, answer in zip(
                            rest, self._send_many([messages[i] for i in rest], retry_rest=False), strict=True
                        ):
                            results[i] = answer
                    else:  # not these messages' fault, and certainly not accepted: retried later
                        for i in rest:
                            results[i] = ChannelError(
                                "sendgrid_http_400 batch_rejected", transient=True, outcome="not_sent", status_code=400
                            )
                else:
                    for i in fit:
                        results[i] = error
            else:
                headers = response.headers
                provider_id = headers.get("X-Message-Id") if headers is not None else None
                for i in fit:
                    results[i] = SendResult(provider_message_id=provider_id, status_code=int(response.status_code))
        return [r if r is not None else ChannelError("not_answered", transient=True) for r in results]

    def find_sent(self, message: OutboundMessage, since: dt.datetime) -> ProviderRecord | None:
        """The Email Activity API's record of a message carrying our key (``unique_args``)."""
        query = f"unique_args['idempotency_key']=\"{message.idempotency_key}\""
        try:
            response = self._client.client.messages.get(query_params={"query": query, "limit": 10})
            body = json.loads(response.body or b"{}")
        except (http_errors.HTTPError, urllib.error.URLError, OSError, http.client.HTTPException, ValueError) as exc:
            raise ReconciliationUnavailable(f"sendgrid activity search failed ({type(exc).__name__})") from None
        for found in body.get("messages") or []:
            if not isinstance(found, dict):
                continue
            last = found.get("last_event_time")
            try:
                at = dt.datetime.fromisoformat(str(last).replace("Z", "+00:00")) if last else None
            except ValueError:
                at = None
            if at is not None and at < since - dt.timedelta(minutes=5):
                continue
            return ProviderRecord(found.get("msg_id"), str(found.get("status") or "processed"), at)
        return None
