"""E-mail through SendGrid's v3 Mail Send API (``POST /v3/mail/send``) with the official SDK.

Design choices:

* **One API call per message, one client for the whole dispatch.** Each reminder has its own
  body (the debtor's invoices) and its own ``custom_args`` (the idempotency key), so
  personalizations — which share one body — would not save calls without moving our templates
  into SendGrid dynamic templates. The client (and its settings) is built once and reused.
* **Retries with tenacity** on 429 and 5xx and on network errors (exponential backoff), then a
  transient :class:`~cartera.channels.ChannelError`; other 4xx are permanent at once.
* The **idempotency key travels in ``custom_args``**: every event SendGrid posts back (and a
  retried call that did reach SendGrid) can be traced to the outbox row.
* The provider id is the ``X-Message-Id`` response header of the 202.
* ``python_http_client`` (under the SDK) logs request payloads and the ``Authorization``
  header at DEBUG: its logger is held at WARNING here so no address or key reaches a log.
"""

from __future__ import annotations

import logging
import socket
import urllib.error
from typing import Any

import python_http_client.exceptions as http_errors  # type: ignore[import-untyped]  # no stubs published
import sendgrid  # type: ignore[import-untyped]  # no stubs published
from sendgrid.helpers.mail import Category, CustomArg, From, Header, Mail, To  # type: ignore[import-untyped]
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential
from tenacity.wait import wait_base

from cartera.channels import ChannelError, OutboundEmail, SendResult
from cartera.errors import ConfigurationError
from cartera.logs import get_logger

DEFAULT_HOST = "https://api.sendgrid.com"
logging.getLogger("python_http_client").setLevel(logging.WARNING)  # it logs payloads and the key at DEBUG
_log = get_logger(__name__)


def _is_transient(exc: BaseException) -> bool:
    if isinstance(exc, http_errors.HTTPError):
        status = int(getattr(exc, "status_code", 0) or 0)
        return status == 429 or status >= 500
    return isinstance(exc, urllib.error.URLError | socket.timeout | ConnectionError | TimeoutError)


def _error_code(exc: BaseException) -> str:
    """A loggable code: the HTTP status and the failing field names, never SendGrid's messages
    (they can quote the recipient's address)."""
    if isinstance(exc, http_errors.HTTPError):
        fields: list[str] = []
        try:
            body: Any = exc.to_dict
            fields = sorted({str(err.get("field")) for err in body.get("errors", []) if err.get("field")})
        except (ValueError, AttributeError, TypeError):
            pass
        return f"sendgrid_http_{exc.status_code}" + (f" fields={','.join(fields)}" if fields else "")
    return f"sendgrid_network_{type(exc).__name__}"


class SendGridEmailChannel:
    """Sends :class:`OutboundEmail` through one reused ``sendgrid.SendGridAPIClient``."""

    name = "email"

    def __init__(
        self,
        api_key: str,
        *,
        from_email: str,
        from_name: str | None = None,
        host: str | None = None,
        max_attempts: int = 4,
        wait: wait_base | None = None,
        timeout_seconds: float = 30.0,
    ) -> None:
        if not api_key:
            raise ConfigurationError("a SendGrid API key is required: set CARTERA_SENDGRID_API_KEY")
        self._client = sendgrid.SendGridAPIClient(api_key=api_key, host=host or DEFAULT_HOST)
        # The SDK's send() takes no timeout; its HTTP client passes this one to every request.
        self._client.client.timeout = timeout_seconds
        self._from = From(from_email, from_name)
        self._unsubscribe = f"<mailto:{from_email}?subject=BAJA>"
        self._max_attempts = max_attempts
        self._wait = wait if wait is not None else wait_exponential(multiplier=1, min=1, max=30)

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
        }
        options.update(overrides)
        return cls(settings.sendgrid_api_key.get_secret_value(), **options)

    def build_mail(self, message: OutboundEmail) -> Mail:
        """The SDK's Mail for one message: text first then HTML, custom_args with the key."""
        mail = Mail(
            from_email=self._from,
            to_emails=To(message.to_email, message.to_name or None),
            subject=message.subject,
            plain_text_content=message.text,
            html_content=message.html,
        )
        args = {"idempotency_key": message.idempotency_key, **message.custom_args}
        mail.custom_arg = [CustomArg(key, str(value)) for key, value in sorted(args.items())]
        mail.header = Header("List-Unsubscribe", self._unsubscribe)
        if message.categories:
            mail.category = [Category(c) for c in message.categories]
        return mail

    def send(self, message: OutboundEmail) -> SendResult:
        """Send one message; returns the X-Message-Id. Raises ChannelError when not accepted."""
        mail = self.build_mail(message)
        retrying = Retrying(
            retry=retry_if_exception(_is_transient),
            stop=stop_after_attempt(self._max_attempts),
            wait=self._wait,
            reraise=True,
        )
        try:
            response = retrying(self._client.send, mail)
        except (http_errors.HTTPError, urllib.error.URLError, OSError) as exc:
            code = _error_code(exc)
            _log.warning("sendgrid refused key=%s: %s", message.idempotency_key[:12], code)
            raise ChannelError(code, transient=_is_transient(exc)) from None
        headers = response.headers
        provider_id = headers.get("X-Message-Id") if headers is not None else None
        return SendResult(provider_message_id=provider_id, status_code=int(response.status_code))
