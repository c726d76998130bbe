"""What the fake Twilio server (:mod:`cartera.channels.fake_twilio`) posts to a receiver: status
callbacks and incoming messages as Twilio forms them, signed with ``X-Twilio-Signature`` exactly as
Twilio signs them (the SDK's own :class:`~twilio.request_validator.RequestValidator`).
"""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

from twilio.request_validator import RequestValidator

from cartera.channels.fake_twilio_resources import API_VERSION


@dataclass(frozen=True)
class WebhookDelivery:
    """One webhook the fake posted: to which URL, for which message, what the receiver said."""

    url: str
    message_sid: str
    status: str
    http_status: int


def sign(auth_token: str, url: str, params: dict[str, str]) -> str:
    """``X-Twilio-Signature`` for a POST of `params` to `url`, as Twilio computes it."""
    return str(RequestValidator(auth_token).compute_signature(url, params))


def post_signed(auth_token: str, url: str, params: dict[str, str]) -> int:
    """POST `params` as a form to `url`, signed as Twilio signs; the receiver's HTTP status."""
    data = urllib.parse.urlencode(params).encode("utf-8")
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Twilio-Signature": sign(auth_token, url, params),
        "User-Agent": "TwilioProxy/1.1",
    }
    request = urllib.request.Request(url, data=data, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        with exc:
            return int(exc.code)


def status_callback(account_sid: str, message: dict[str, Any], status: str, error: str) -> dict[str, str]:
    """The status callback form of `message` reaching `status` (with Twilio's `error` code, if any)."""
    return {
        "AccountSid": account_sid,
        "ApiVersion": API_VERSION,
        "From": message["from"],
        "MessageSid": message["sid"],
        "MessageStatus": status,
        "SmsSid": message["sid"],
        "SmsStatus": status,
        "To": message["to"],
        **({"ErrorCode": error} if error else {}),
        **({"ChannelPrefix": "whatsapp"} if message["to"].startswith("whatsapp:") else {}),
    }


def incoming_message(account_sid: str, sid: str, from_: str, to: str, body: str) -> dict[str, str]:
    """The form of an incoming message `sid` (a debtor's reply); a WhatsApp one carries ``WaId``."""
    params = {
        "AccountSid": account_sid,
        "ApiVersion": API_VERSION,
        "Body": body,
        "From": from_,
        "MessageSid": sid,
        "NumMedia": "0",
        "NumSegments": "1",
        "SmsMessageSid": sid,
        "SmsSid": sid,
        "SmsStatus": "received",
        "To": to,
    }
    if from_.startswith("whatsapp:"):
        params["WaId"] = from_.removeprefix("whatsapp:+")
    return params
