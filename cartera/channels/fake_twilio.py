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

Run alone: ``python -m cartera.channels.fake_twilio --port 8026``.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import hashlib
import json
import random
import re
import socket
import struct
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

from twilio.request_validator import RequestValidator

from cartera.channels.sms_segments import sms_segments

API_VERSION = "2010-04-01"
DEFAULT_ACCOUNT_SID = "AC" + "0" * 31 + "1"
DEFAULT_AUTH_TOKEN = "fake-twilio-auth-token"
_E164 = re.compile(r"^(whatsapp:)?\+[1-9]\d{7,14}$")
_MESSAGES = re.compile(
    r"^/2010-04-01/Accounts/(?P<account>AC[0-9a-fA-F]{32})/Messages(?:/(?P<sid>[A-Z]{2}[0-9a-f]{32}))?\.json$"
)
_ERRORS = {
    20003: "Authenticate",
    20404: "The requested resource was not found",
    20429: "Too Many Requests",
    21211: "Invalid 'To' Phone Number",
    21602: "Message body is required.",
    21603: "A 'From' phone number is required.",
    21604: "A 'To' phone number is required.",
    21610: "Attempt to send to unsubscribed recipient",
    30003: "Unreachable destination handset",
    30008: "Unknown error",
    63016: "Failed to send freeform message because you are outside the allowed window.",
}


def twilio_error(code: int, status: int) -> dict[str, Any]:
    """An error body in the shape Twilio's REST API returns."""
    return {
        "code": code,
        "message": _ERRORS.get(code, "Error"),
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


@dataclass(frozen=True)
class _Fault:
    """What to do to the next message creation instead of answering normally."""

    kind: Literal["fail", "hang", "reset"]
    status: int = 0
    code: int | None = None
    retry_after: float | None = None
    seconds: float = 0.0


@dataclass(frozen=True)
class WebhookDelivery:
    """One webhook the fake posted: to which URL, for which message, what the receiver said."""

    url: str
    message_sid: str
    status: str
    http_status: int


class FakeTwilio:
    """The fake server. ``start()`` returns its base URL (use it as ``twilio_base_url``)."""

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
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.seed = seed
        self.failure_share = failure_share  # share of numbers whose messages fail or go undelivered
        self.inbound_url = inbound_url
        self.reject_numbers: set[str] = set()  # E.164 numbers that texted STOP: error 21610
        self._address = (host, port)
        self._clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._messages: list[dict[str, Any]] = []
        self._pending: dict[str, list[str]] = {}  # sid → statuses still to report
        self._whatsapp_windows: set[str] = set()  # whatsapp:+52… that wrote in
        self._faults: list[_Fault] = []
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.requests_seen = 0

    # -- control ---------------------------------------------------------------------------
    def start(self) -> str:
        """Start serving in a daemon thread; returns ``http://host:port``."""
        self._stopping.clear()
        self._server = ThreadingHTTPServer(self._address, _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-twilio", daemon=True
        )
        self._thread.start()
        return self.base_url

    def stop(self) -> None:
        self._stopping.set()  # wakes a hanging request
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> FakeTwilio:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the fake Twilio server is not running")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def fail_next(self, status: int, times: int = 1, retry_after: float | None = None, code: int | None = None) -> None:
        """Answer the next `times` message creations with `status` (and Twilio error `code`,
        by default 20429 for 429, 20003 for 401/403, 21211 for other 4xx, 20500 for 5xx) without
        accepting them; `retry_after` sets the Retry-After header."""
        with self._lock:
            self._faults.extend([_Fault("fail", status, code, retry_after)] * times)

    def hang_next(self, seconds: float) -> None:
        """Accept and record the next message, then answer only after `seconds` (longer than the
        client's time-out: a time-out after acceptance)."""
        with self._lock:
            self._faults.append(_Fault("hang", seconds=seconds))

    def reset_next(self) -> None:
        """Accept and record the next message, then drop the connection without answering."""
        with self._lock:
            self._faults.append(_Fault("reset"))

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

    def _create(self, form: dict[str, str]) -> tuple[int, dict[str, str], Any]:
        """(status, headers, body) for one message creation: accepted and kept, or refused."""
        to, sender = form.get("To", ""), form.get("From", "")
        if not to:
            return 400, {}, twilio_error(21604, 400)
        if not sender:
            return 400, {}, twilio_error(21603, 400)
        if not _E164.match(to):
            return 400, {}, twilio_error(21211, 400)
        body, content_sid = form.get("Body"), form.get("ContentSid")
        if not body and not content_sid:
            return 400, {}, twilio_error(21602, 400)
        if to.removeprefix("whatsapp:") in self.reject_numbers:
            return 400, {}, twilio_error(21610, 400)
        with self._lock:
            sid = self._new_sid()
            if content_sid:  # Twilio stores the template as rendered; the fake shows the SID and values
                variables = json.loads(form.get("ContentVariables") or "{}")
                body = f"[{content_sid}] " + " | ".join(str(v) for _, v in sorted(variables.items()))
            now = self._now()
            uri = f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{sid}.json"
            resource = {
                "account_sid": self.account_sid,
                "api_version": API_VERSION,
                "body": body,
                "date_created": now,
                "date_sent": None,
                "date_updated": now,
                "direction": "outbound-api",
                "error_code": None,
                "error_message": None,
                "from": sender,
                "messaging_service_sid": None,
                "num_media": "0",
                "num_segments": "1" if to.startswith("whatsapp:") else str(sms_segments(body or "")[1]),
                "price": None,
                "price_unit": "USD",
                "sid": sid,
                "status": "queued",
                "subresource_uris": {"media": uri.replace(".json", "/Media.json")},
                "to": to,
                "uri": uri,
            }
            self._messages.append({**resource, "request": dict(form)})
            self._pending[sid] = self._lifecycle(to, to.startswith("whatsapp:") and not content_sid)
        return 201, {}, resource

    def handle_post(
        self, path: str, authorization: str | None, body: bytes
    ) -> tuple[int, dict[str, str], Any, _Fault | None]:
        """(status, headers, JSON body, a hang or reset to act out) for one POST."""
        match = _MESSAGES.match(path)
        if match is None or match.group("sid"):
            return 404, {}, twilio_error(20404, 404), None
        if not self._authorized(authorization, match.group("account")):
            return 401, {"WWW-Authenticate": 'Basic realm="Twilio API"'}, twilio_error(20003, 401), None
        with self._lock:
            self.requests_seen += 1
            fault = self._faults.pop(0) if self._faults else None
        if fault is not None and fault.kind == "fail":
            status = fault.status
            code = fault.code or {429: 20429, 401: 20003, 403: 20003}.get(status, 20500 if status >= 500 else 21211)
            headers = {"Retry-After": f"{fault.retry_after:g}"} if fault.retry_after is not None else {}
            return status, headers, twilio_error(code, status), None
        form = {k: v[-1] for k, v in urllib.parse.parse_qs(body.decode("utf-8"), keep_blank_values=True).items()}
        return (*self._create(form), fault)

    def handle_get(self, path: str, query: str, authorization: str | None) -> tuple[int, dict[str, str], Any]:
        match = _MESSAGES.match(path)
        if match is None:
            return 404, {}, twilio_error(20404, 404)
        if not self._authorized(authorization, match.group("account")):
            return 401, {}, twilio_error(20003, 401)
        if match.group("sid"):
            found = [m for m in self.messages if m["sid"] == match.group("sid")]
            return (200, {}, _public(found[0])) if found else (404, {}, twilio_error(20404, 404))
        params = {k: v[-1] for k, v in urllib.parse.parse_qs(query).items()}
        return 200, {}, self._page(path, params)

    def _page(self, path: str, params: dict[str, str]) -> dict[str, Any]:
        selected = [m for m in reversed(self.messages) if _listed(m, params)]
        size = max(1, min(1000, int(params.get("PageSize", "50"))))
        page = int(params.get("Page", "0"))
        rows = selected[page * size : (page + 1) * size]
        filters = {k: v for k, v in params.items() if k not in ("Page", "PageSize", "PageToken")}

        def uri(n: int) -> str:
            token = {"PageToken": f"PA{rows[-1]['sid']}"} if n > page and rows else {}
            return f"{path}?{urllib.parse.urlencode({**filters, 'PageSize': size, 'Page': n, **token})}"

        more = (page + 1) * size < len(selected)
        return {
            "end": page * size + max(len(rows) - 1, 0),
            "first_page_uri": uri(0),
            "messages": [_public(m) for m in rows],
            "next_page_uri": uri(page + 1) if more else None,
            "page": page,
            "page_size": size,
            "previous_page_uri": uri(page - 1) if page > 0 else None,
            "start": page * size,
            "uri": f"{path}?{urllib.parse.urlencode({**filters, 'PageSize': size, 'Page': page})}",
        }

    def _authorized(self, authorization: str | None, account: str) -> bool:
        expected = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        return account == self.account_sid and (authorization or "") == f"Basic {expected}"

    # -- webhooks --------------------------------------------------------------------------
    def sign(self, url: str, params: dict[str, str]) -> str:
        """``X-Twilio-Signature`` for a POST of `params` to `url`, as Twilio computes it."""
        return str(RequestValidator(self.auth_token).compute_signature(url, params))

    def _post(self, url: str, params: dict[str, str]) -> int:
        data = urllib.parse.urlencode(params).encode("utf-8")
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": self.sign(url, params),
            "User-Agent": "TwilioProxy/1.1",
        }
        request = urllib.request.Request(url, data=data, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return int(response.status)
        except urllib.error.HTTPError as exc:
            with exc:
                return int(exc.code)

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
                        message["error_code"], message["error_message"] = int(error), _ERRORS.get(int(error))
                url = message["request"].get("StatusCallback")
                if not url:
                    continue
                params = {
                    "AccountSid": self.account_sid,
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
                deliveries.append(WebhookDelivery(url, message["sid"], status, self._post(url, params)))
        return deliveries

    def post_inbound(self, from_: str, to: str, body: str, url: str | None = None) -> WebhookDelivery:
        """Post an incoming message (a debtor's reply) to `url` or ``inbound_url``. A WhatsApp
        message (``whatsapp:+52…``) opens that number's 24-hour window."""
        target = url or self.inbound_url
        if not target:
            raise ValueError("no inbound URL: pass url= or set FakeTwilio.inbound_url")
        sid = self._new_sid()
        params = {
            "AccountSid": self.account_sid,
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
            with self._lock:
                self._whatsapp_windows.add(from_)
        return WebhookDelivery(target, sid, "received", self._post(target, params))


def _public(message: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in message.items() if k != "request"}


def _listed(message: dict[str, Any], params: dict[str, str]) -> bool:
    if params.get("To") and message["to"] != params["To"]:
        return False
    if params.get("From") and message["from"] != params["From"]:
        return False
    # Like Twilio, the DateSent filters compare the date sent (GMT): a queued message has none.
    for key, keep in (("DateSent", "=="), ("DateSent>", ">="), ("DateSent<", "<=")):
        if key not in params:
            continue
        if message["date_sent"] is None:
            return False
        sent = dt.datetime.strptime(message["date_sent"], "%a, %d %b %Y %H:%M:%S %z").date().isoformat()
        bound = params[key][:10]
        if not {"==": sent == bound, ">=": sent >= bound, "<=": sent <= bound}[keep]:
            return False
    return True


def _handler_for(fake: FakeTwilio) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "FakeTwilio/1.0"

        def _reply(self, status: int, headers: dict[str, str], body: Any) -> None:
            data = b"" if body is None else json.dumps(body).encode("utf-8")
            try:
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except OSError:
                pass  # the client gave up (after a hang): nothing to tell it

        def do_POST(self) -> None:  # noqa: N802  (http.server's naming)
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            status, headers, payload, fault = fake.handle_post(self.path, self.headers.get("Authorization"), body)
            if fault is not None and fault.kind == "reset":
                # SO_LINGER 0: close() sends a reset, not an orderly end.
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.close_connection = True
                self.connection.close()
                return
            if fault is not None and fault.kind == "hang":
                fake._stopping.wait(fault.seconds)
            self._reply(status, headers, payload)

        def do_GET(self) -> None:  # noqa: N802
            path, _, query = self.path.partition("?")
            self._reply(*fake.handle_get(path, query, self.headers.get("Authorization")))

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass  # request lines hold phone numbers (list filters)

    return Handler


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
    try:
        assert fake._thread is not None
        while fake._thread.is_alive():
            fake._thread.join(timeout=1)
    except KeyboardInterrupt:
        pass
    finally:
        fake.stop()


if __name__ == "__main__":
    main()
