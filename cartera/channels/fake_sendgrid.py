"""A local stand-in for SendGrid's v3 Mail Send API, for tests and the local demo.

It speaks the real wire protocol, so the real SDK talks to it unchanged (set
``CARTERA_SENDGRID_HOST`` to its base URL):

* ``POST /v3/mail/send``: checks ``Authorization: Bearer <key>``, the JSON shape
  (personalizations with ``to``, ``from.email``, a subject, ``content`` with text/plain first,
  string ``custom_args``); answers 202 with an ``X-Message-Id`` header, or 400/401 with
  SendGrid-shaped ``{"errors": [{"message", "field", "help"}]}``.
* It keeps every accepted request and writes each recipient's copy as an ``.eml`` file
  (named by message id, never by address) so a person can open it as it would arrive.
  A request of many personalizations is rendered per personalization as SendGrid does: its
  ``substitutions`` replaced in the subject and the shared content, its ``custom_args`` over
  the request's. :attr:`FakeSendGrid.messages` and :meth:`FakeSendGrid.copies` count those
  rendered copies (one per personalization); :attr:`FakeSendGrid.requests` keeps the raw bodies.
  Substitutions are checked against SendGrid's documented limits (strings, at most
  ``SUBSTITUTION_BYTES`` per personalization), and an address may appear once per request.
* ``GET /v3/messages?query=…``: the Email Activity API, enough of its query language for
  reconciliation (``unique_args['idempotency_key']="…"``, ``msg_id="…"``, ``to_email="…"``).
* ``GET /_fake/messages``: JSON of what it accepted; ``DELETE /_fake/messages`` clears it;
  ``GET /_fake/counts``: requests, copies and distinct keys (for a benchmark's check).
* Faults, as production meets them: :meth:`FakeSendGrid.fail_next` (429 with Retry-After, 5xx,
  401…, before accepting), :meth:`FakeSendGrid.hang_next` (accept, then answer only after the
  client gave up), :meth:`FakeSendGrid.reset_next` (accept, then drop the connection unanswered),
  :meth:`FakeSendGrid.fail_after_accept_next` (accept, then answer 5xx).

The Mail Send checks and rendering are in :mod:`cartera.channels.fake_sendgrid_mail`, the
activity search in :mod:`cartera.channels.fake_sendgrid_activity`, the events SendGrid posts back
in :mod:`cartera.channels.fake_events`, the server scaffolding in :mod:`cartera.channels.fake_http`.

Run alone: ``python -m cartera.channels.fake_sendgrid --port 8025 --outdir .cartera/outbox``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import secrets
import threading
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cartera.channels.fake_http import Answer, FakeServer, Fault, FaultQueue, Request
from cartera.channels.fake_sendgrid_activity import search_activity
from cartera.channels.fake_sendgrid_mail import eml_copy, mail_error, render_personalization, validate_mail_send

_NOT_FOUND: Answer = (404, {}, {"errors": [{"field": None, "message": "not found", "help": None}]})


class FakeSendGrid(FakeServer):
    """The fake server. ``start()`` returns its base URL (use it as ``sendgrid_host``)."""

    label = "SendGrid"
    server_version = "FakeSendGrid/1.0"
    methods = ("GET", "POST", "DELETE")

    def __init__(
        self,
        outdir: Path | str,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        api_key: str | None = None,
        clock: Callable[[], dt.datetime] | None = None,
        write_eml: bool = True,
        keep_bodies: bool = True,
    ) -> None:
        super().__init__(host, port)
        self.outdir = Path(outdir)
        self.api_key = api_key  # None: any non-empty Bearer token is accepted
        self._clock = clock or (lambda: dt.datetime.now(dt.UTC))  # only stamps the .eml Date header
        self._lock = threading.Lock()
        self._messages: list[dict[str, Any]] = []
        self._requests: list[dict[str, Any]] = []
        self.write_eml = write_eml  # False: no .eml files (benchmarks: measure the client, not this disk)
        self.keep_bodies = keep_bodies  # False: copies kept without their content (benchmarks: memory)
        self._failures = FaultQueue()  # before accepting: "fail"
        self._after_accept = FaultQueue()  # after accepting: "hang", "close", or "fail" (an error answer)
        self.requests_seen = 0

    # -- control ---------------------------------------------------------------------------
    def start(self) -> str:
        """Start serving in a daemon thread; returns ``http://host:port``."""
        self.outdir.mkdir(parents=True, exist_ok=True)
        return super().start()

    def fail_next(self, status: int, times: int = 1, *, retry_after: float | None = None) -> None:
        """Answer the next `times` mail sends with `status` (e.g. 429, 503, 401) without accepting
        them; a 429 carries ``Retry-After: retry_after`` when given."""
        self._failures.add(Fault("fail", status, retry_after=retry_after), times)

    def hang_next(self, seconds: float, times: int = 1) -> None:
        """Accept the next `times` sends, then wait `seconds` before answering (a slow provider:
        the client times out although the e-mail went)."""
        self._after_accept.add(Fault("hang", seconds=seconds), times)

    def reset_next(self, times: int = 1) -> None:
        """Accept the next `times` sends, then close the connection without an answer."""
        self._after_accept.add(Fault("close"), times)

    def fail_after_accept_next(self, status: int = 502, times: int = 1) -> None:
        """Accept the next `times` sends, then answer `status` (a gateway error after queueing)."""
        self._after_accept.add(Fault("fail", status), times)

    def copies(self, idempotency_key: str) -> int:
        """How many accepted copies (one per personalization) carry this key: the exactly-once
        measure."""
        return sum(
            1
            for m in self.messages
            if (m["request"].get("custom_args") or {}).get("idempotency_key") == idempotency_key
        )

    def search_activity(self, query: str) -> list[dict[str, Any]]:
        """The Email Activity API's answer to one ``field="value"`` query."""
        return search_activity(self.messages, query)

    @property
    def messages(self) -> list[dict[str, Any]]:
        """Accepted copies, one per personalization, oldest first: ``{"message_id" (the
        request's X-Message-Id), "personalization" (its index), "received_at", "request" (the
        request as that recipient's copy, see :func:`render_personalization`)}``."""
        with self._lock:
            return list(self._messages)

    @property
    def requests(self) -> list[dict[str, Any]]:
        """The raw bodies of the accepted requests, oldest first."""
        with self._lock:
            return list(self._requests)

    def counts(self) -> dict[str, int]:
        """Accepted requests, copies, and distinct idempotency keys among the copies."""
        with self._lock:
            keys = {(m["request"].get("custom_args") or {}).get("idempotency_key") for m in self._messages}
            return {"requests": len(self._requests), "messages": len(self._messages), "distinct_keys": len(keys)}

    def clear(self) -> None:
        with self._lock:
            self._messages.clear()
            self._requests.clear()

    # -- request handling ------------------------------------------------------------------
    def answer(self, request: Request) -> tuple[Answer, Fault | None]:
        """The routes: mail send (with the faults after acceptance), activity search, and the
        fake's own ``/_fake/messages`` and ``/_fake/counts``."""
        path = request.path.rstrip("/")
        if request.method == "POST":
            if path != "/v3/mail/send":
                return _NOT_FOUND, None
            status, headers, body = self.handle_send(request.authorization, request.body)
            fault = self._after_accept.take() if status == 202 else None
            if fault is not None and fault.kind == "fail":
                return (fault.status, {}, {"errors": [{"field": None, "message": "bad gateway", "help": None}]}), None
            return (status, headers, body), fault
        if request.method == "DELETE":
            if path == "/_fake/messages":
                self.clear()
                return (204, {}, None), None
            return _NOT_FOUND, None
        parsed = urllib.parse.urlsplit(request.path)
        if parsed.path.rstrip("/") == "/v3/messages":
            token = (request.authorization or "").removeprefix("Bearer ").strip()
            if not token or (self.api_key is not None and token != self.api_key):
                return (401, {}, {"errors": [{"field": None, "message": "authorization required", "help": None}]}), None
            query = urllib.parse.parse_qs(parsed.query).get("query", [""])[0]
            return (200, {}, {"messages": self.search_activity(query)}), None
        if path == "/_fake/messages":
            return (200, {}, {"messages": self.messages}), None
        if path == "/_fake/counts":
            return (200, {}, self.counts()), None
        return _NOT_FOUND, None

    def handle_send(self, authorization: str | None, body: bytes) -> tuple[int, dict[str, str], Any]:
        """(status, headers, JSON body or None) for one POST /v3/mail/send."""
        with self._lock:
            self.requests_seen += 1
        injected = self._failures.take()
        token = (
            (authorization or "").removeprefix("Bearer ").strip() if (authorization or "").startswith("Bearer ") else ""
        )
        if not token or (self.api_key is not None and token != self.api_key):
            return (
                401,
                {},
                {
                    "errors": [
                        {
                            "field": None,
                            "message": "The provided authorization grant is invalid, expired, or revoked",
                            "help": None,
                        }
                    ]
                },
            )
        if injected is not None:
            headers = {"Retry-After": f"{injected.retry_after:g}"} if injected.retry_after is not None else {}
            return (
                injected.status,
                headers,
                {"errors": [{"field": None, "message": f"injected failure {injected.status}", "help": None}]},
            )
        try:
            payload = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            return 400, {}, {"errors": [mail_error("Bad Request", None)]}
        errors = validate_mail_send(payload)
        if errors:
            return 400, {}, {"errors": errors}
        message_id = secrets.token_urlsafe(16)
        received_at = self._clock()
        copies = []
        for i, personalization in enumerate(payload["personalizations"]):
            rendered = render_personalization(payload, personalization)
            if self.write_eml:
                eml = eml_copy(rendered, rendered["personalizations"][0], message_id, received_at)
                (self.outdir / f"{message_id}-{i}.eml").write_bytes(bytes(eml))
            if not self.keep_bodies:
                rendered.pop("content", None)
            copies.append(
                {
                    "message_id": message_id,
                    "personalization": i,
                    "received_at": received_at.isoformat(),
                    "request": rendered,
                }
            )
        if not self.keep_bodies:
            payload = {k: v for k, v in payload.items() if k != "personalizations"}
            payload["personalizations"] = [{"to": p["to"]} for p in copies_of(copies)]
        with self._lock:
            self._requests.append(payload)
            self._messages.extend(copies)
        return 202, {"X-Message-Id": message_id}, None


def copies_of(copies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The personalization of each rendered copy."""
    return [copy["request"]["personalizations"][0] for copy in copies]


def main(argv: list[str] | None = None) -> None:
    """Run the fake server in the foreground until interrupted."""
    parser = argparse.ArgumentParser(description="A local fake of SendGrid's v3 mail send API.")
    parser.add_argument("--port", type=int, default=8025)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--outdir", type=Path, required=True, help="where .eml copies are written")
    parser.add_argument("--api-key", default=None, help="accept only this key (default: any Bearer token)")
    parser.add_argument("--lean", action="store_true", help="no .eml files, copies kept without bodies (benchmarks)")
    args = parser.parse_args(argv)
    fake = FakeSendGrid(
        args.outdir,
        host=args.host,
        port=args.port,
        api_key=args.api_key,
        write_eml=not args.lean,
        keep_bodies=not args.lean,
    )
    url = fake.start()
    print(f"fake SendGrid listening on {url} (set CARTERA_SENDGRID_HOST={url}); .eml files in {args.outdir}")
    fake.serve_until_interrupted()


if __name__ == "__main__":
    main()
