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

Run alone: ``python -m cartera.channels.fake_sendgrid --port 8025 --outdir .cartera/outbox``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import secrets
import socket
import threading
import time
import urllib.parse
from collections.abc import Callable
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

SUBSTITUTION_BYTES = 10_000  # per personalization, the smaller of SendGrid's documented figures
_HELP = "http://sendgrid.com/docs/API_Reference/Web_API_v3/Mail/errors.html"


def _error(message: str, field: str | None) -> dict[str, Any]:
    anchor = f"#message.{field}" if field else ""
    return {"message": message, "field": field, "help": f"{_HELP}{anchor}"}


def validate_mail_send(payload: Any) -> list[dict[str, Any]]:
    """The SendGrid-shaped errors of a /v3/mail/send body (empty when it would be accepted)."""
    if not isinstance(payload, dict):
        return [_error("Bad Request", None)]
    errors: list[dict[str, Any]] = []
    personalizations = payload.get("personalizations")
    if not isinstance(personalizations, list) or not personalizations:
        errors.append(
            _error(
                "The personalizations field is required and must have at least one personalization.", "personalizations"
            )
        )
        personalizations = []
    elif len(personalizations) > 1000:
        errors.append(
            _error("The personalization block is limited to 1000 personalizations per API request.", "personalizations")
        )
    seen: set[str] = set()
    for i, p in enumerate(personalizations):
        to = p.get("to") if isinstance(p, dict) else None
        if not isinstance(to, list) or not to:
            errors.append(
                _error(
                    "The to array is required for all personalization objects, and must have at least one email object with a valid email address.",
                    f"personalizations.{i}.to",
                )
            )
        elif any(not isinstance(r, dict) or "@" not in str(r.get("email", "")) for r in to):
            errors.append(_error("Does not contain a valid address.", f"personalizations.{i}.to"))
        if not payload.get("subject") and not (isinstance(p, dict) and p.get("subject")):
            errors.append(
                _error(
                    "The subject is required. You can get around this requirement if you use a template with a subject defined or if every personalization has a subject defined.",
                    "subject",
                )
            )
        if isinstance(p, dict) and any(not isinstance(v, str) for v in (p.get("custom_args") or {}).values()):
            errors.append(_error("Custom args must be strings.", f"personalizations.{i}.custom_args"))
        substitutions = (p.get("substitutions") or {}) if isinstance(p, dict) else {}
        if not isinstance(substitutions, dict) or any(
            not isinstance(k, str) or not isinstance(v, str) for k, v in substitutions.items()
        ):
            errors.append(_error("Substitutions must be strings.", f"personalizations.{i}.substitutions"))
        elif (
            sum(len(k.encode("utf-8")) + len(v.encode("utf-8")) for k, v in substitutions.items()) > SUBSTITUTION_BYTES
        ):
            errors.append(
                _error(
                    f"The total size of substitutions may not exceed {SUBSTITUTION_BYTES} bytes per personalization.",
                    f"personalizations.{i}.substitutions",
                )
            )
        if isinstance(to, list):
            for r in to:
                address = str(r.get("email", "")).strip().lower() if isinstance(r, dict) else ""
                if address and address in seen:
                    errors.append(
                        _error(
                            "Each unique email address in the personalizations array should only be included once.",
                            f"personalizations.{i}.to",
                        )
                    )
                seen.add(address)
    sender = payload.get("from")
    if not isinstance(sender, dict) or "@" not in str(sender.get("email", "")):
        errors.append(
            _error(
                "The from object must be provided for every email send. It is an object that requires the email parameter, but may also contain a name parameter.",
                "from",
            )
        )
    content = payload.get("content")
    if not payload.get("template_id"):
        if not isinstance(content, list) or not content:
            errors.append(
                _error(
                    "Unless a valid template_id is provided, the content parameter is required. There must be at least one defined content block.",
                    "content",
                )
            )
        else:
            for j, block in enumerate(content):
                if (
                    not isinstance(block, dict)
                    or not block.get("type")
                    or not isinstance(block.get("value"), str)
                    or not block["value"]
                ):
                    errors.append(_error("Content blocks must have a type and a non-empty value.", f"content.{j}"))
            types = [b.get("type") for b in content if isinstance(b, dict)]
            if "text/plain" in types and types[0] != "text/plain":
                errors.append(
                    _error("If present, text/plain content must be first, followed by any other content.", "content")
                )
    if any(not isinstance(v, str) for v in (payload.get("custom_args") or {}).values()):
        errors.append(_error("Custom args must be strings.", "custom_args"))
    return errors


def _substitute(text: str, substitutions: dict[str, str]) -> str:
    for tag in sorted(substitutions, key=len, reverse=True):  # a longer tag first: no partial match
        text = text.replace(tag, substitutions[tag])
    return text


def render_personalization(payload: dict[str, Any], personalization: dict[str, Any]) -> dict[str, Any]:
    """The request as one recipient's copy: this personalization only, its substitutions applied
    to the subject and content, its custom_args and headers over the request's."""
    values = personalization.get("substitutions") or {}
    alone = {k: v for k, v in personalization.items() if k != "substitutions"}
    rendered = {k: v for k, v in payload.items() if k != "personalizations"}
    rendered["personalizations"] = [alone]
    subject = personalization.get("subject") or payload.get("subject", "")
    rendered["subject"] = _substitute(subject, values)
    rendered["content"] = [
        {**block, "value": _substitute(str(block.get("value", "")), values)} for block in payload.get("content", [])
    ]
    args = {**(payload.get("custom_args") or {}), **(personalization.get("custom_args") or {})}
    if args:
        rendered["custom_args"] = args
    return rendered


def _eml(
    payload: dict[str, Any], personalization: dict[str, Any], message_id: str, received_at: dt.datetime
) -> EmailMessage:
    sender = payload["from"]
    msg = EmailMessage()
    msg["From"] = formataddr((sender.get("name") or "", sender["email"]))
    msg["To"] = ", ".join(formataddr((r.get("name") or "", r["email"])) for r in personalization["to"])
    msg["Subject"] = personalization.get("subject") or payload.get("subject", "")
    msg["Date"] = format_datetime(received_at)
    msg["Message-ID"] = f"<{message_id}@fake-sendgrid.local>"
    msg["X-Message-Id"] = message_id
    for name, value in {**payload.get("headers", {}), **personalization.get("headers", {})}.items():
        msg[name] = value
    args = {**payload.get("custom_args", {}), **personalization.get("custom_args", {})}
    if args:
        msg["X-SendGrid-Custom-Args"] = json.dumps(args, sort_keys=True)
    blocks = {b["type"]: b["value"] for b in payload.get("content", [])}
    msg.set_content(blocks.get("text/plain", ""))
    if "text/html" in blocks:
        msg.add_alternative(blocks["text/html"], subtype="html")
    return msg


class FakeSendGrid:
    """The fake server. ``start()`` returns its base URL (use it as ``sendgrid_host``)."""

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
        self.outdir = Path(outdir)
        self.api_key = api_key  # None: any non-empty Bearer token is accepted
        self._address = (host, port)
        self._clock = clock or (lambda: dt.datetime.now(dt.UTC))  # only stamps the .eml Date header
        self._lock = threading.Lock()
        self._messages: list[dict[str, Any]] = []
        self._requests: list[dict[str, Any]] = []
        self.write_eml = write_eml  # False: no .eml files (benchmarks: measure the client, not this disk)
        self.keep_bodies = keep_bodies  # False: copies kept without their content (benchmarks: memory)
        self._failures: list[tuple[int, float | None]] = []
        self._after_accept: list[tuple[str, float]] = []  # ("hang", seconds) | ("reset", 0) | ("5xx", status)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.requests_seen = 0

    # -- control ---------------------------------------------------------------------------
    def start(self) -> str:
        """Start serving in a daemon thread; returns ``http://host:port``."""
        self.outdir.mkdir(parents=True, exist_ok=True)
        self._server = ThreadingHTTPServer(self._address, _handler_for(self))
        self._server.daemon_threads = True
        # A short poll interval keeps stop() quick (shutdown waits for the next poll).
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-sendgrid", daemon=True
        )
        self._thread.start()
        return self.base_url

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> FakeSendGrid:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the fake SendGrid server is not running")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def fail_next(self, status: int, times: int = 1, *, retry_after: float | None = None) -> None:
        """Answer the next `times` mail sends with `status` (e.g. 429, 503, 401) without accepting
        them; a 429 carries ``Retry-After: retry_after`` when given."""
        with self._lock:
            self._failures.extend([(status, retry_after)] * times)

    def hang_next(self, seconds: float, times: int = 1) -> None:
        """Accept the next `times` sends, then wait `seconds` before answering (a slow provider:
        the client times out although the e-mail went)."""
        with self._lock:
            self._after_accept.extend([("hang", seconds)] * times)

    def reset_next(self, times: int = 1) -> None:
        """Accept the next `times` sends, then close the connection without an answer."""
        with self._lock:
            self._after_accept.extend([("reset", 0.0)] * times)

    def fail_after_accept_next(self, status: int = 502, times: int = 1) -> None:
        """Accept the next `times` sends, then answer `status` (a gateway error after queueing)."""
        with self._lock:
            self._after_accept.extend([("5xx", float(status))] * times)

    def take_after_accept(self) -> tuple[str, float] | None:
        with self._lock:
            return self._after_accept.pop(0) if self._after_accept else None

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
        import re

        match = re.fullmatch(r"\s*(unique_args\['([^']+)'\]|msg_id|to_email)\s*=\s*\"([^\"]*)\"\s*", query)
        if match is None:
            return []
        field_name, arg_name, value = match.group(1), match.group(2), match.group(3)
        found = []
        for kept in self.messages:
            request = kept["request"]
            args = request.get("custom_args") or {}
            recipients = [r.get("email") for p in request.get("personalizations", []) for r in p.get("to", [])]
            if (
                (arg_name is not None and args.get(arg_name) == value)
                or (field_name == "msg_id" and kept["message_id"] == value)
                or (field_name == "to_email" and value in recipients)
            ):
                found.append(
                    {
                        "from_email": request["from"]["email"],
                        "msg_id": kept["message_id"],
                        "subject": request.get("subject", ""),
                        "to_email": recipients[0] if recipients else "",
                        "status": "delivered",
                        "opens_count": 0,
                        "clicks_count": 0,
                        "last_event_time": kept["received_at"],
                    }
                )
        return found

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
    def handle_send(self, authorization: str | None, body: bytes) -> tuple[int, dict[str, str], Any]:
        """(status, headers, JSON body or None) for one POST /v3/mail/send."""
        with self._lock:
            self.requests_seen += 1
            injected, retry_after = self._failures.pop(0) if self._failures else (None, None)
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
            headers = {"Retry-After": f"{retry_after:g}"} if retry_after is not None else {}
            return (
                injected,
                headers,
                {"errors": [{"field": None, "message": f"injected failure {injected}", "help": None}]},
            )
        try:
            payload = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            return 400, {}, {"errors": [_error("Bad Request", None)]}
        errors = validate_mail_send(payload)
        if errors:
            return 400, {}, {"errors": errors}
        message_id = secrets.token_urlsafe(16)
        received_at = self._clock()
        copies = []
        for i, personalization in enumerate(payload["personalizations"]):
            rendered = render_personalization(payload, personalization)
            if self.write_eml:
                eml = _eml(rendered, rendered["personalizations"][0], message_id, received_at)
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


def _handler_for(fake: FakeSendGrid) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "FakeSendGrid/1.0"

        def _reply(self, status: int, headers: dict[str, str], body: Any) -> None:
            data = b"" if body is None else json.dumps(body).encode("utf-8")
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            if body is not None:
                self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:  # noqa: N802  (http.server's naming)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            if self.path.rstrip("/") != "/v3/mail/send":
                self._reply(404, {}, {"errors": [{"field": None, "message": "not found", "help": None}]})
                return
            status, headers, answer = fake.handle_send(self.headers.get("Authorization"), body)
            fault = fake.take_after_accept() if status == 202 else None
            if fault is not None:
                kind, value = fault
                if kind == "hang":
                    time.sleep(value)  # the client has given up by now; the message was accepted
                elif kind == "reset":
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                else:
                    status, headers, answer = (
                        int(value),
                        {},
                        {"errors": [{"field": None, "message": "bad gateway", "help": None}]},
                    )
            try:
                self._reply(status, headers, answer)
            except OSError:
                pass  # the client went away (after a time-out)

        def do_GET(self) -> None:  # noqa: N802
            parsed = urllib.parse.urlsplit(self.path)
            if parsed.path.rstrip("/") == "/v3/messages":
                token = (self.headers.get("Authorization") or "").removeprefix("Bearer ").strip()
                if not token or (fake.api_key is not None and token != fake.api_key):
                    self._reply(
                        401, {}, {"errors": [{"field": None, "message": "authorization required", "help": None}]}
                    )
                    return
                query = urllib.parse.parse_qs(parsed.query).get("query", [""])[0]
                self._reply(200, {}, {"messages": fake.search_activity(query)})
            elif self.path.rstrip("/") == "/_fake/messages":
                self._reply(200, {}, {"messages": fake.messages})
            elif self.path.rstrip("/") == "/_fake/counts":
                self._reply(200, {}, fake.counts())
            else:
                self._reply(404, {}, {"errors": [{"field": None, "message": "not found", "help": None}]})

        def do_DELETE(self) -> None:  # noqa: N802
            if self.path.rstrip("/") == "/_fake/messages":
                fake.clear()
                self._reply(204, {}, None)
            else:
                self._reply(404, {}, {"errors": [{"field": None, "message": "not found", "help": None}]})

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass  # the default writes every request line to stderr; nothing useful, nothing personal

    return Handler


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
