"""SMS and WhatsApp through Twilio's Messages API (``POST /2010-04-01/Accounts/{sid}/Messages.json``)
with the official SDK (``twilio.rest.Client``).

Design choices:

* **One request per send, no retries inside.** The SDK's ``TwilioHttpClient`` gets an explicit
  time-out and ``max_retries=0``; retrying is the dispatcher's decision after
  :meth:`TwilioChannel.find_sent`. Failures map to :class:`~cartera.channels.ChannelError`
  outcomes: connection refused or a connect time-out (nothing left) → ``not_sent`` transient;
  400 → ``not_sent`` permanent with Twilio's error code (``twilio_http_400 code=21610``);
  429 → ``not_sent`` transient with ``retry_after``; 401/403 → ``auth``; a read time-out, a
  reset connection, a 5xx or an unreadable answer → ``unknown``.
* **The API base URL is configurable** (the local fake in tests and the demo): the SDK builds
  every URL as ``https://api.twilio.com/…`` (``edge``/``region`` can only change the host name
  within twilio.com), so :class:`_TwilioHttp` — the SDK's own extension point, a custom
  ``http_client`` — swaps that origin for ``base_url``, next-page links included.
* **Nothing personal reaches a log**: the SDK's HTTP client logs query strings (``To=+52…``) at
  INFO, and urllib3 logs request lines at DEBUG; ours logs nothing and urllib3's connection pool
  is held at INFO. Error codes carry Twilio's numeric code, never its message (which can
  quote the number).
* **Status callbacks** go to ``<status_callback_base>/twilio/status`` on every send; another
  module receives and verifies them (``X-Twilio-Signature``).
* **WhatsApp**: inside the 24-hour customer-service window free text (``Body``); outside it only
  an approved template (``ContentSid`` + ``ContentVariables``, see
  :mod:`cartera.channels.whatsapp_templates`). Opt-in is the caller's check; the channel only
  refuses a message that is neither a template nor marked as inside the window.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
import threading
import unicodedata
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import requests
import urllib3.exceptions
from requests.adapters import HTTPAdapter
from twilio.base.exceptions import TwilioException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from cartera.channels import (
    ChannelError,
    OutboundMessage,
    ProviderRecord,
    ReconciliationUnavailable,
    SendResult,
)
from cartera.channels.outcomes import http_status_error, retry_after_seconds
from cartera.channels.phones import to_e164
from cartera.channels.sms_segments import Encoding, sms_segments
from cartera.channels.whatsapp_templates import TemplateRegistry
from cartera.errors import ConfigurationError
from cartera.logs import get_logger

__all__ = ["TwilioSmsChannel", "TwilioWhatsAppChannel", "content_fingerprint", "sms_segments"]

DEFAULT_BASE_URL = "https://api.twilio.com"
STATUS_CALLBACK_PATH = "/twilio/status"
_TWILIO_API_ORIGIN = re.compile(r"^https://api(\.[a-z0-9-]+)*\.twilio\.com")
_RECONCILE_CLOCK_SLACK = dt.timedelta(minutes=5)  # Twilio's clock against ours
_log = get_logger(__name__)
# urllib3 logs each request line at DEBUG, and the list's query string holds phone numbers.
logging.getLogger("urllib3.connectionpool").setLevel(logging.INFO)


def content_fingerprint(text: str) -> str:
    """SHA-256 of a message body as Twilio stores it (NFC, surrounding space trimmed): lets
    reconciliation match bodies, and a row store what it sent, without keeping the text."""
    return hashlib.sha256(unicodedata.normalize("NFC", text).strip().encode("utf-8")).hexdigest()


class _TwilioHttp(TwilioHttpClient):  # type: ignore[misc]  # the SDK ships no type information
    """The SDK's HTTP client with a fixed time-out, no retries, another API origin (a fake), no
    request logging, and the last response's headers per thread (the SDK's exception drops them,
    and 429's Retry-After is among them)."""

    def __init__(self, *, base_url: str | None, timeout: float) -> None:
        super().__init__(pool_connections=True, timeout=timeout, max_retries=0)
        # max_retries=0 only mounts https://; the fake is served over http://.
        self.session.mount("http://", HTTPAdapter(max_retries=0))
        self._base = base_url.rstrip("/") if base_url and base_url.rstrip("/") != DEFAULT_BASE_URL else None
        self._local = threading.local()

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Response:
        if self._base is not None:
            url = _TWILIO_API_ORIGIN.sub(self._base, url, count=1)
        self._local.headers = {}
        response: Response = super().request(method, url, *args, **kwargs)
        self._local.headers = dict(response.headers or {})
        return response

    def last_headers(self) -> Mapping[str, str]:
        return getattr(self._local, "headers", {})  # type: ignore[no-any-return]

    def log_request(self, kwargs: dict[str, Any]) -> None:
        pass  # the SDK logs the query string at INFO, and ours holds phone numbers

    def log_response(self, status_code: int, response: Any) -> None:
        pass

    def close(self) -> None:
        if self.session is not None:
            self.session.close()


def _retry_after(headers: Mapping[str, str]) -> float | None:
    return retry_after_seconds(next((v for k, v in headers.items() if k.lower() == "retry-after"), None))


def _refused_before_sending(exc: requests.exceptions.ConnectionError) -> bool:
    """True when the connection was never made (refused, no route, DNS), so nothing left."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    reason = exc.args[0] if exc.args else None
    if isinstance(reason, urllib3.exceptions.MaxRetryError):
        reason = reason.reason
    return isinstance(reason, urllib3.exceptions.NewConnectionError)


def _channel_error(exc: Exception, headers: Mapping[str, str]) -> ChannelError:
    status = getattr(exc, "status", None)
    if isinstance(exc, TwilioException) and isinstance(status, int):
        twilio_code = getattr(exc, "code", None)
        code = f"twilio_http_{status}" + (f" code={twilio_code}" if twilio_code and twilio_code != status else "")
        return http_status_error(code, status, retry_after=_retry_after(headers))
    if isinstance(exc, requests.exceptions.ConnectionError) and _refused_before_sending(exc):
        return ChannelError("twilio_network_not_connected", transient=True)
    if isinstance(exc, requests.exceptions.Timeout):
        return ChannelError("twilio_network_timeout", transient=True, outcome="unknown")
    if isinstance(exc, requests.exceptions.ConnectionError):
        return ChannelError("twilio_network_reset", transient=True, outcome="unknown")
    # An answer we cannot read (not JSON, a TwilioException without a status): it may have been accepted.
    return ChannelError(f"twilio_unreadable_{type(exc).__name__}", transient=True, outcome="unknown")


class TwilioChannel:
    """What SMS and WhatsApp share: one reused SDK client, the error mapping, reconciliation."""

    name = ""
    provider = "twilio"

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        *,
        from_number: str,
        base_url: str | None = None,
        status_callback_base: str | None = None,
        timeout_seconds: float = 30.0,
        reconcile_max_records: int = 200,
    ) -> None:
        if not account_sid or not auth_token:
            raise ConfigurationError(
                "a Twilio account SID and auth token are required: set CARTERA_TWILIO_ACCOUNT_SID and "
                "CARTERA_TWILIO_AUTH_TOKEN"
            )
        sender = to_e164(from_number, default_region="MX") if from_number else None
        if sender is None:
            raise ConfigurationError(f"the Twilio {self.name} sender must be a phone number in E.164 (+52…)")
        self._http = _TwilioHttp(base_url=base_url, timeout=timeout_seconds)
        # A non-empty environment keeps TWILIO_EDGE/TWILIO_REGION from os.environ out of URL building.
        self._client = Client(account_sid, auth_token, http_client=self._http, environment={"CARTERA": "1"})
        self._from = sender
        self._status_callback = (
            status_callback_base.rstrip("/") + STATUS_CALLBACK_PATH if status_callback_base else None
        )
        self._reconcile_max_records = reconcile_max_records

    def close(self) -> None:
        """Close the pooled HTTP connections."""
        self._http.close()

    def __enter__(self) -> TwilioChannel:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- per channel -------------------------------------------------------------------------
    def _address(self, e164: str) -> str:
        return e164

    def _create_params(self, message: OutboundMessage) -> dict[str, Any]:
        raise NotImplementedError

    def _matches(self, message: OutboundMessage, body: str | None) -> bool:
        if body is None:
            return False
        wanted = message.content_fingerprint or content_fingerprint(message.text)
        return content_fingerprint(body) == wanted

    # -- the Channel protocol ----------------------------------------------------------------
    def _recipient(self, message: OutboundMessage) -> str:
        if message.channel != self.name:
            raise ChannelError(f"twilio_wrong_channel channel={message.channel}", transient=False)
        e164 = to_e164(message.to)
        if e164 is None:
            raise ChannelError("twilio_invalid_to", transient=False)
        return self._address(e164)

    def send(self, message: OutboundMessage) -> SendResult:
        """Make one Messages API request; returns Twilio's Message SID (``SM…``/``MM…``).
        Raises ChannelError (see the module docstring for the outcomes)."""
        params = {"to": self._recipient(message), "from_": self._address(self._from), **self._create_params(message)}
        if self._status_callback is not None:
            params["status_callback"] = self._status_callback
        try:
            created = self._client.messages.create(**params)
        except (TwilioException, requests.exceptions.RequestException, OSError, ValueError) as exc:
            error = _channel_error(exc, self._http.last_headers())
            _log.warning("twilio %s refused key=%s: %s", self.name, message.idempotency_key[:12], error)
            raise error from None
        return SendResult(provider_message_id=created.sid, status_code=201)

    def find_sent(self, message: OutboundMessage, since: dt.datetime) -> ProviderRecord | None:
        """The Message Twilio accepted for `message` at or after `since` (give or take five
        minutes of clock difference), or None.

        Twilio's Message resource cannot carry our idempotency key, so a message is matched by
        sender, recipient and content: free text by :func:`content_fingerprint` of the body,
        a WhatsApp template by its variables appearing in the rendered body Twilio stores. The
        list is filtered by ``To``/``From`` only — not ``DateSent``, which a still-queued
        message does not have yet — and read newest first until records are a day older than
        `since`; more than ``reconcile_max_records`` newer ones raise ReconciliationUnavailable
        rather than answer None on a partial read. A Twilio or network error raises it too."""
        to = self._recipient(message)
        oldest = since - _RECONCILE_CLOCK_SLACK
        seen = 0
        try:
            for record in self._client.messages.stream(to=to, from_=self._address(self._from), page_size=50):
                created: dt.datetime | None = record.date_created
                if created is not None and created < since - dt.timedelta(days=1):
                    return None
                if (created is None or created >= oldest) and self._matches(message, record.body):
                    return ProviderRecord(
                        provider_message_id=record.sid, status=str(record.status), accepted_at=created
                    )
                seen += 1
                if seen >= self._reconcile_max_records:
                    raise ReconciliationUnavailable(f"twilio_reconcile_limit records={seen}")
        except (TwilioException, requests.exceptions.RequestException, OSError, ValueError) as exc:
            status = getattr(exc, "status", None)
            raise ReconciliationUnavailable(
                f"twilio_list_failed {type(exc).__name__}" + (f" status={status}" if status else "")
            ) from None
        return None


class TwilioSmsChannel(TwilioChannel):
    """SMS: GSM-7/UCS-2 aware, refusing a text longer than ``max_segments``."""

    name = "sms"

    def __init__(self, account_sid: str, auth_token: str, *, max_segments: int = 4, **options: Any) -> None:
        super().__init__(account_sid, auth_token, **options)
        self.max_segments = max_segments

    def segments(self, text: str) -> tuple[Encoding, int]:
        return sms_segments(text)

    def _create_params(self, message: OutboundMessage) -> dict[str, Any]:
        if not message.text.strip():
            raise ChannelError("sms_empty_body", transient=False)
        encoding, segments = sms_segments(message.text)
        if segments > self.max_segments:
            raise ChannelError(
                f"sms_too_long encoding={encoding} segments={segments} max={self.max_segments}", transient=False
            )
        return {"body": message.text}

    @classmethod
    def from_settings(cls, **overrides: Any) -> TwilioSmsChannel:
        """A channel from :func:`cartera.config.get_settings` (sender CARTERA_TWILIO_SMS_FROM)."""
        from cartera.config import get_settings

        settings = get_settings()
        options = {
            **_common_options(settings, settings.twilio_sms_from, "SMS"),
            "max_segments": settings.sms_max_segments,
        }
        options.update(overrides)
        return cls(*_credentials(settings), **options)


class TwilioWhatsAppChannel(TwilioChannel):
    """WhatsApp: ``whatsapp:+52…`` addresses; free text inside the 24-hour window, an approved
    template (Content SID) outside it."""

    name = "whatsapp"

    def __init__(
        self, account_sid: str, auth_token: str, *, templates: TemplateRegistry | None = None, **options: Any
    ) -> None:
        super().__init__(account_sid, auth_token, **options)
        self.templates = templates or TemplateRegistry()

    def _address(self, e164: str) -> str:
        return f"whatsapp:{e164}"

    def _create_params(self, message: OutboundMessage) -> dict[str, Any]:
        if message.template:
            template = self.templates.get(message.template, message.language)
            if template is None:
                raise ChannelError(
                    f"whatsapp_template_unknown name={message.template} language={message.language}", transient=False
                )
            try:
                variables = template.content_variables(message.template_variables)
            except KeyError as missing:
                raise ChannelError(
                    f"whatsapp_template_variable_missing name={missing.args[0]}", transient=False
                ) from None
            return {"content_sid": template.content_sid, "content_variables": variables}
        if not message.window_open:
            raise ChannelError("whatsapp_outside_window_needs_template", transient=False)
        if not message.text.strip():
            raise ChannelError("whatsapp_empty_body", transient=False)
        return {"body": message.text}

    def _matches(self, message: OutboundMessage, body: str | None) -> bool:
        if not message.template:
            return super()._matches(message, body)
        # Twilio stores the template as rendered; our variables must all appear in it.
        return body is not None and all(value in body for value in message.template_variables.values())

    @classmethod
    def from_settings(cls, **overrides: Any) -> TwilioWhatsAppChannel:
        """A channel from :func:`cartera.config.get_settings` (sender CARTERA_TWILIO_WHATSAPP_FROM,
        templates from CARTERA_WHATSAPP_TEMPLATES_FILE)."""
        from cartera.config import get_settings

        settings = get_settings()
        path: Path | None = settings.whatsapp_templates_file
        options: dict[str, Any] = {
            **_common_options(settings, settings.twilio_whatsapp_from, "WhatsApp"),
            "templates": TemplateRegistry.from_file(path) if path is not None else TemplateRegistry(),
        }
        options.update(overrides)
        return cls(*_credentials(settings), **options)


def _credentials(settings: Any) -> tuple[str, str]:
    if not settings.twilio_account_sid or settings.twilio_auth_token is None:
        raise ConfigurationError(
            "no Twilio credentials: set CARTERA_TWILIO_ACCOUNT_SID and CARTERA_TWILIO_AUTH_TOKEN "
            "(and CARTERA_TWILIO_BASE_URL for a local fake server)"
        )
    return settings.twilio_account_sid, settings.twilio_auth_token.get_secret_value()


def _common_options(settings: Any, sender: str | None, label: str) -> dict[str, Any]:
    if not sender:
        raise ConfigurationError(f"no Twilio {label} sender: set CARTERA_TWILIO_{label.upper()}_FROM")
    return {
        "from_number": sender,
        "base_url": settings.twilio_base_url,
        "status_callback_base": settings.twilio_status_callback_base,
        "timeout_seconds": settings.provider_timeout_seconds,
    }
