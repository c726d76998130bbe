"""A local stand-in for Twilio's Messages API (2010-04-01), for tests and the local demo.

It speaks the real wire protocol, so the real SDK talks to it unchanged (set
``CARTERA_TWILIO_BASE_URL`` to its base URL):

* ``POST /2010-04-01/Accounts/{AccountSid}/Messages.json``: HTTP Basic auth (account SID, auth
  token), form fields ``To``, ``From``, ``Body`` or ``ContentSid`` (+ ``ContentVariables``),
  ``StatusCallback``; answers 201 with a Message resource (``sid`` ``SM`` + 32 hex,
  ``status`` ``queued``, ``num_segments``, RFC 2822 dates) or an error in Twilio's shape
  ``{"code", "message", "more_info", "status"}`` (21211 invalid To, 21610 unsubscribed
  recipient, 21602 no body, 20003 authentication).
* ``GET …/Messages.json`` with ``To``, ``From``, ``DateSent``/``DateSent>``/``DateSent<``, paged
  like Twilio (``messages``, ``next_page_uri``, ``page``, ``page_size``, …), newest first; and
  ``GET …/Messages/{Sid}.json``.
* Fault controls: :meth:`FakeTwilio.fail_next`, :meth:`~FakeTwilio.hang_next` (accept, then answer
  after the client gave up), :meth:`~FakeTwilio.reset_next` (accept, then drop the connection)
  and :attr:`~FakeTwilio.reject_numbers` (error 21610).
* Webhooks signed with ``X-Twilio-Signature`` exactly as Twilio signs them:
  :meth:`~FakeTwilio.post_status_callbacks` (sent → delivered, or failed/undelivered for a
  deterministic share of numbers chosen by ``seed``) and :meth:`~FakeTwilio.post_inbound`.
  WhatsApp free text to a number that has not written in (no :meth:`post_inbound` from it) is
  accepted and then fails with 63016, as Twilio does outside the 24-hour window.

The Message resource, its errors and the list are in :mod:`cartera.channels.fake_twilio_resources`,
the webhook forms and signing in :mod:`cartera.channels.fake_twilio_webhooks`, the server
scaffolding in :mod:`cartera.channels.fake_http`.

Run alone: ``python -m cartera.channels.fake_twilio --port 8026``.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import hashlib
import random
import threading
import urllib.parse
from collections.abc import Callable
from email.utils import format_datetime
from typing import Any

from cartera.channels.fake_http import Answer, FakeServer, Fault, FaultQueue, Request
from cartera.channels.fake_twilio_resources import (
    ERRORS,
    MESSAGES_PATH,
    form_refusal,
    message_page,
    message_resource,
    public,
    twilio_error,
)
from cartera.channels.fake_twilio_webhooks import (
    WebhookDelivery,
    incoming_message,
    post_signed,
    sign,
    status_callback,
)

DEFAULT_ACCOUNT_SID = "AC" + "0" * 31 + "1"
DEFAULT_AUTH_TOKEN = "fake-twilio-auth-token"


class FakeTwilio(FakeServer):
    """The fake server. ``start()`` returns its base URL (use it as ``twilio_base_url``)."""

    label = "Twilio"
    server_version = "FakeTwilio/1.0"
    content_type = "application/json; charset=utf-8"

    def __init__(
        self,
        *,
        account_sid: str = DEFAULT_ACCOUNT_SID,
        auth_token: str = DEFAULT_AUTH_TOKEN,
        host: str = "127.0.0.1",
        port: int = 0,
        seed: int = 0,
        failure_share: float = 0.1,
        inbound_url: str | None = None,
        clock: Callable[[], dt.datetime] | None = None,
    ) -> None:
        super().__init__(host, port)
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.seed = seed
        self.failure_share = failure_share  # share of numbers whose messages fail or go undelivered
        self.inbound_url = inbound_url
        self.reject_numbers: set[str] = set()  # E.164 numbers that texted STOP: error 21610
        self._clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._messages: list[dict[str, Any]] = []
        self._pending: dict[str, list[str]] = {}  # sid → statuses still to report
        self._whatsapp_windows: set[str] = set()  # whatsapp:+52… that wrote in
        self._faults = FaultQueue()
        self.requests_seen = 0

    # -- control ---------------------------------------------------------------------------
    def fail_next(self, status: int, times: int = 1, retry_after: float | None = None, code: int | None = None) -> None:
        """Answer the next `times` message creations with `status` (and Twilio error `code`,
        by default 20429 for 429, 20003 for 401/403, 21211 for other 4xx, 20500 for 5xx) without
        accepting them; `retry_after` sets the Retry-After header."""
        self._faults.add(Fault("fail", status, code, retry_after), times)

    def hang_next(self, seconds: float) -> None:
        """Accept and record the next message, then answer only after `seconds` (longer than the
        client's time-out: a time-out after acceptance)."""
        self._faults.add(Fault("hang", seconds=seconds))

    def reset_next(self) -> None:
        """Accept and record the next message, then drop the connection without answering."""
        self._faults.add(Fault("reset"))

    @property
    def messages(self) -> list[dict[str, Any]]:
        """Accepted messages, oldest first: the Message resource plus ``request`` (the form)."""
        with self._lock:
            return [dict(m) for m in self._messages]

    def clear(self) -> None:
        with self._lock:
            self._messages.clear()
            self._pending.clear()

    # -- message store ---------------------------------------------------------------------
    def _now(self) -> str:
        return format_datetime(self._clock().astimezone(dt.UTC))

    def _new_sid(self, prefix: str = "SM") -> str:
        return f"{prefix}{self._rng.getrandbits(128):032x}"

    def _lifecycle(self, to: str, whatsapp_free_text: bool) -> list[str]:
        """Statuses Twilio would report after ``queued`` (none is posted for the first status)."""
        if whatsapp_free_text and to not in self._whatsapp_windows:
            return ["failed:63016"]
        draw = int.from_bytes(hashlib.sha256(f"{self.seed}:{to}".encode()).digest()[:8], "big") / 2**64
        if draw < self.failure_share / 2:
            return ["failed:30008"]
        if draw < self.failure_share:
            return ["sent", "undelivered:30003"]
        return ["sent", "delivered", "read"] if to.startswith("whatsapp:") else ["sent", "delivered"]

    def _create(self, form: dict[str, str]) -> Answer:
        """(status, headers, body) for one message creation: accepted and kept, or refused."""
        refusal = form_refusal(form)
        if refusal is not None:
            return 400, {}, twilio_error(refusal, 400)
        to = form["To"]
        if to.removeprefix("whatsapp:") in self.reject_numbers:
            return 400, {}, twilio_error(21610, 400)
        with self._lock:
            sid = self._new_sid()
            resource = message_resource(self.account_sid, sid, form, self._now())
            self._messages.append({**resource, "request": dict(form)})
            self._pending[sid] = self._lifecycle(to, to.startswith("whatsapp:") and not form.get("ContentSid"))
        return 201, {}, resource

    # -- request handling ------------------------------------------------------------------
    def answer(self, request: Request) -> tuple[Answer, Fault | None]:
        if request.method == "POST":
            return self.handle_post(request.path, request.authorization, request.body)
        path, _, query = request.path.partition("?")
        return self.handle_get(path, query, request.authorization), None

    def handle_post(self, path: str, authorization: str | None, body: bytes) -> tuple[Answer, Fault | None]:
        """(status, headers, JSON body) for one POST, and a hang or reset to act out."""
        match = MESSAGES_PATH.match(path)
        if match is None or match.group("sid"):
            return (404, {}, twilio_error(20404, 404)), None
        if not self._authorized(authorization, match.group("account")):
            return (401, {"WWW-Authenticate": 'Basic realm="Twilio API"'}, twilio_error(20003, 401)), None
        with self._lock:
            self.requests_seen += 1
        fault = self._faults.take()
        if fault is not None and fault.kind == "fail":
            status = fault.status
            code = fault.code or {429: 20429, 401: 20003, 403: 20003}.get(status, 20500 if status >= 500 else 21211)
            headers = {"Retry-After": f"{fault.retry_after:g}"} if fault.retry_after is not None else {}
            return (status, headers, twilio_error(code, status)), None
        form = {k: v[-1] for k, v in urllib.parse.parse_qs(body.decode("utf-8"), keep_blank_values=True).items()}
        return self._create(form), fault

    def handle_get(self, path: str, query: str, authorization: str | None) -> Answer:
        match = MESSAGES_PATH.match(path)
        if match is None:
            return 404, {}, twilio_error(20404, 404)
        if not self._authorized(authorization, match.group("account")):
            return 401, {}, twilio_error(20003, 401)
        if match.group("sid"):
            found = [m for m in self.messages if m["sid"] == match.group("sid")]
            return (200, {}, public(found[0])) if found else (404, {}, twilio_error(20404, 404))
        params = {k: v[-1] for k, v in urllib.parse.parse_qs(query).items()}
        return 200, {}, message_page(self.messages, path, params)

    def _authorized(self, authorization: str | None, account: str) -> bool:
        expected = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        return account == self.account_sid and (authorization or "") == f"Basic {expected}"

    # -- webhooks --------------------------------------------------------------------------
    def sign(self, url: str, params: dict[str, str]) -> str:
        """``X-Twilio-Signature`` for a POST of `params` to `url`, as Twilio computes it."""
        return sign(self.auth_token, url, params)

    def post_status_callbacks(self) -> list[WebhookDelivery]:
        """Advance every accepted message through the rest of its lifecycle and post each status
        to its ``StatusCallback`` (messages sent without one advance silently)."""
        deliveries: list[WebhookDelivery] = []
        with self._lock:
            work = [(m, self._pending.pop(m["sid"], [])) for m in self._messages]
        for message, statuses in work:
            for step in statuses:
                status, _, error = step.partition(":")
                with self._lock:
                    message["status"], message["date_updated"] = status, self._now()
                    if status == "sent":
                        message["date_sent"] = message["date_updated"]
                    if error:
                        message["error_code"], message["error_message"] = int(error), ERRORS.get(int(error))
                url = message["request"].get("StatusCallback")
                if not url:
                    continue
                params = status_callback(self.account_sid, message, status, error)
                deliveries.append(
                    WebhookDelivery(url, message["sid"], status, post_signed(self.auth_token, url, params))
                )
        return deliveries

    def post_inbound(self, from_: str, to: str, body: str, url: str | None = None) -> WebhookDelivery:
        """Post an incoming message (a debtor's reply) to `url` or ``inbound_url``. A WhatsApp
        message (``whatsapp:+52…``) opens that number's 24-hour window."""
        target = url or self.inbound_url
        if not target:
            raise ValueError("no inbound URL: pass url= or set FakeTwilio.inbound_url")
        sid = self._new_sid()
        params = incoming_message(self.account_sid, sid, from_, to, body)
        if from_.startswith("whatsapp:"):
            with self._lock:
                self._whatsapp_windows.add(from_)
        return WebhookDelivery(target, sid, "received", post_signed(self.auth_token, target, params))


def main(argv: list[str] | None = None) -> None:
    """Run the fake server in the foreground until interrupted."""
    parser = argparse.ArgumentParser(description="A local fake of Twilio's Messages API.")
    parser.add_argument("--port", type=int, default=8026)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--account-sid", default=DEFAULT_ACCOUNT_SID)
    parser.add_argument("--auth-token", default=DEFAULT_AUTH_TOKEN)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    fake = FakeTwilio(
        account_sid=args.account_sid, auth_token=args.auth_token, host=args.host, port=args.port, seed=args.seed
    )
    url = fake.start()
    print(f"fake Twilio listening on {url} (set CARTERA_TWILIO_BASE_URL={url}, account {args.account_sid})")
    fake.serve_until_interrupted()


if __name__ == "__main__":
    main()
