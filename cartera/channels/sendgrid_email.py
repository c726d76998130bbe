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
* ``python_http_client`` (under the SDK) logs request payloads and the ``Authorization``
  header at DEBUG: its logger is held at WARNING here so no address or key reaches a log.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import http.client
import json
import logging
import re
import socket
import urllib.error
from typing import Any

import python_http_client.exceptions as http_errors  # type: ignore[import-untyped]  # no stubs published
import sendgrid  # type: ignore[import-untyped]  # no stubs published
from sendgrid.helpers.mail import Category, CustomArg, From, Header, Mail, To  # type: ignore[import-untyped]

from cartera.channels import ChannelError, OutboundMessage, ProviderRecord, ReconciliationUnavailable, SendResult
from cartera.channels import header_safe as _header_safe
from cartera.errors import ConfigurationError
from cartera.logs import get_logger

DEFAULT_HOST = "https://api.sendgrid.com"
logging.getLogger("python_http_client").setLevel(logging.WARNING)  # it logs payloads and the key at DEBUG
_log = get_logger(__name__)
# Deliberately simple: one @, no spaces or control characters, a dot in the domain.
_ADDRESS = re.compile(r"^[^@\s\x00-\x1f\x7f<>\"]+@[^@\s\x00-\x1f\x7f<>\"]+\.[^@\s\x00-\x1f\x7f<>\"]+$")


def _retry_after(headers: Any) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date), None if absent/bad."""
    value = headers.get("Retry-After") if headers is not None else None
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(str(value))
        except (TypeError, ValueError):
            return None
        return max(0.0, (when - dt.datetime.now(dt.UTC)).total_seconds())


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
        if status in (401, 403):
            return ChannelError(code, transient=False, outcome="auth", status_code=status)
        if status == 429:
            retry = _retry_after(getattr(exc, "headers", None))
            return ChannelError(code, transient=True, outcome="not_sent", retry_after=retry, status_code=status)
        if status >= 500:  # the request arrived; whether it was queued is not known
            return ChannelError(code, transient=True, outcome="unknown", status_code=status)
        return ChannelError(code, transient=False, outcome="not_sent", status_code=status)
    reason: BaseException | object = exc.reason if isinstance(exc, urllib.error.URLError) else exc
    name = type(reason).__name__
    if isinstance(reason, ConnectionRefusedError | socket.gaierror):
        # Nothing was connected, so nothing was sent.
        return ChannelError(f"sendgrid_network_{name}", transient=True, outcome="not_sent")
    if isinstance(reason, TimeoutError | ConnectionError | http.client.HTTPException | OSError):
        # A time-out, reset or broken response: the request may have been read and accepted.
        return ChannelError(f"sendgrid_network_{name}", transient=True, outcome="unknown")
    return ChannelError(f"sendgrid_network_{name}", transient=True, outcome="unknown")


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
        address = (message.to or "").strip()
        subject = _header_safe(message.subject, max_length=300)
        if not _ADDRESS.match(address) or len(address) > 254:
            raise ChannelError("invalid_recipient field=to", transient=False, outcome="not_sent")
        if subject is None:
            raise ChannelError("invalid_subject field=subject", transient=False, outcome="not_sent")
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
