"""Security headers on every answer, and the CSRF check of every action.

Headers: a Content-Security-Policy that allows scripts, styles and images from the app itself only
(no inline script: chart data travels in non-executable JSON blocks), frames only from the same
origin (Airflow's UI shows the plugin's page in its own frame), forms posting only to the app;
X-Frame-Options SAMEORIGIN for older browsers, nosniff, no referrer to other sites.

CSRF: the session is a cookie (Airflow's ``_token``) that the browser attaches to any request to
this host, so an action must prove it comes from our own page. Two checks, both required on every
POST (a double-submit token alone, or SameSite alone, is not enough here):

1. Origin: the ``Origin`` header (or, when a browser omits it, the ``Referer``) must be this
   app's own origin. Airflow sets ``_token`` without a SameSite attribute, which Chrome treats as
   Lax but still sends on cross-site top-level POSTs for two minutes after sign-in, and SameSite
   never separates two ports or two sub-domains of the same site: the origin check does.
2. Token: the form's ``csrf_token`` field (or ``X-CSRF-Token`` header) must equal
   :func:`cartera.dashboard.auth.csrf_token_for` of the session's own JWT: another page cannot
   read it, and it dies with the session.

A request authenticated by an ``Authorization: Bearer`` header (an API client, not a browser
cookie) cannot be forged cross-site and skips the token check, not the origin check when one is
sent.
"""

from __future__ import annotations

import hmac
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'self'"
)
HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", CSP.encode()),
    (b"x-frame-options", b"SAMEORIGIN"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
)


class SecurityHeaders:
    """ASGI middleware adding :data:`HEADERS` to every HTTP response (errors and redirects too)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {name.lower() for name, _ in message.get("headers", [])}
                message["headers"] = [
                    *message.get("headers", []),
                    *((name, value) for name, value in HEADERS if name not in names),
                ]
                if not str(scope.get("path", "")).endswith((".js", ".css")):  # pages hold live figures
                    message["headers"].append((b"cache-control", b"no-store"))
            await send(message)

        await self.app(scope, receive, with_headers)


def same_origin(origin_or_referer: str | None, host: str | None, scheme: str) -> bool:
    """True when the header names this app's own origin (scheme and host, port included)."""
    if not origin_or_referer or not host:
        return False
    parts = urlsplit(origin_or_referer)
    return parts.scheme == scheme and parts.netloc.lower() == host.lower()


def token_matches(given: str | None, expected: str) -> bool:
    return bool(given) and hmac.compare_digest(str(given), expected)
