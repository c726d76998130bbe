"""Is this request really from the provider? One function per scheme, each returning the reason
it refuses (a short code, safe to log) or None when the request is genuine.

* SendGrid's Signed Event Webhook: ECDSA (P-256, SHA-256) over ``timestamp + body``, checked
  with the SDK's ``EventWebhook`` against the verification key SendGrid shows (base64 DER). The
  timestamp must be within the tolerance of our clock (either side); the replay of an accepted
  signature is refused by the caller, which remembers them in ``ops.webhook_signatures``.
* Twilio: HMAC over the URL Twilio called and the sorted form parameters, checked with the SDK's
  ``RequestValidator`` (SHA-1 with the auth token, or the algorithm the
  ``X-Twilio-Webhooks-Signature-Settings`` header names). The URL must be the public one: a
  reverse proxy changes scheme, host and path, so it comes from settings.
* SendGrid Inbound Parse has no signature: a secret path segment, compared in constant time.
"""

from __future__ import annotations

import binascii
import datetime as dt
import hashlib
import hmac
from collections.abc import Mapping
from functools import lru_cache
from typing import Any


@lru_cache(maxsize=4)
def _sendgrid_key(public_key: str) -> Any:
    from sendgrid.helpers.eventwebhook import EventWebhook  # type: ignore[import-untyped]  # no stubs published

    return EventWebhook().convert_public_key_to_ecdsa(public_key.strip())


def sendgrid_refusal(
    body: bytes,
    signature: str | None,
    timestamp: str | None,
    *,
    public_key: str | None,
    now: dt.datetime,
    tolerance: dt.timedelta,
) -> str | None:
    """Why a SendGrid event request is refused, or None when its signature is good and fresh."""
    from sendgrid.helpers.eventwebhook import EventWebhook

    if not public_key:
        return "no_verification_key_configured"
    if not signature or not timestamp:
        return "unsigned"
    try:
        signed_at = dt.datetime.fromtimestamp(int(timestamp), tz=dt.UTC)
    except (ValueError, OverflowError, OSError):
        return "bad_timestamp"
    if abs(now - signed_at) > tolerance:
        return "stale_timestamp"
    try:
        payload = body.decode("utf-8")
        key = _sendgrid_key(public_key)
        valid = EventWebhook().verify_signature(payload, signature, timestamp, public_key=key)
    except (UnicodeDecodeError, binascii.Error, ValueError, TypeError):
        return "bad_signature"
    return None if valid else "bad_signature"


def twilio_refusal(
    url: str,
    params: Mapping[str, Any],
    signature: str | None,
    *,
    auth_token: str | None,
    signature_settings: str | None = None,
) -> str | None:
    """Why a Twilio webhook is refused, or None when `signature` matches `url` and `params`."""
    from twilio.request_validator import RequestValidator, get_signature_algorithm

    if not auth_token:
        return "no_auth_token_configured"
    if not signature:
        return "unsigned"
    validator = RequestValidator(auth_token)
    if validator.validate(url, params, signature, algorithm=get_signature_algorithm(signature_settings)):
        return None
    return "bad_signature"


def secret_matches(given: str, expected: str | None) -> bool:
    """Constant-time comparison of a URL secret (False when none is configured)."""
    if not expected:
        return False
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def signature_fingerprint(signature: str) -> str:
    """What ops.webhook_signatures keeps of a signature (its sha256, hex)."""
    return hashlib.sha256(signature.strip().encode("utf-8")).hexdigest()
