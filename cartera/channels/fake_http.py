"""What the local fake provider servers (:mod:`cartera.channels.fake_sendgrid`,
:mod:`cartera.channels.fake_twilio`) share: an HTTP server on a daemon thread, a request handler
that hands each request to the fake and writes its JSON answer, queues of injected faults, and
acting those faults out on the connection.

A fake subclasses :class:`FakeServer` and answers :meth:`FakeServer.answer`; the handler does the
rest. Request lines are never logged: they can hold a recipient's address or number.
"""

from __future__ import annotations

import json
import socket
import struct
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal, Self

# (HTTP status, response headers, JSON body or None for an empty body)
Answer = tuple[int, dict[str, str], Any]


@dataclass(frozen=True)
class Request:
    """One request as a fake sees it: the method, the path with its query string, the
    Authorization header and the body."""

    method: str
    path: str
    authorization: str | None
    body: bytes


@dataclass(frozen=True)
class Fault:
    """What to do to a request instead of answering it normally.

    ``fail``: answer ``status`` (a provider error ``code``, a ``retry_after`` header) without
    accepting; ``hang``: accept, then answer after ``seconds``; ``reset``: accept, then abort the
    connection (a TCP reset); ``close``: accept, then close the connection unanswered."""

    kind: Literal["fail", "hang", "reset", "close"]
    status: int = 0
    code: int | None = None
    retry_after: float | None = None
    seconds: float = 0.0


class FaultQueue:
    """Faults to apply to the next requests, oldest first (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, fault: Fault, times: int = 1) -> None:
        with self._lock:
            self._faults.extend([fault] * times)

    def take(self) -> Fault | None:
        """The next fault, removed from the queue; None when there is none."""
        with self._lock:
            return self._faults.pop(0) if self._faults else None


class FakeServer:
    """A fake provider's server: :meth:`start` serves on a daemon thread and returns the base
    URL, :meth:`stop` (or leaving a ``with`` block) shuts it down and wakes a hanging request."""

    label = "fake"  # the provider's name, in the thread name and errors
    server_version = "Fake/1.0"
    content_type = "application/json"
    methods: tuple[str, ...] = ("GET", "POST")

    def __init__(self, host: str, port: int) -> None:
        self._address = (host, port)
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def answer(self, request: Request) -> tuple[Answer, Fault | None]:
        """The answer to `request`, and a ``hang``, ``reset`` or ``close`` fault to act out
        instead of answering at once (None: answer now)."""
        raise NotImplementedError

    def start(self) -> str:
        """Start serving in a daemon thread; returns ``http://host:port``."""
        self._stopping.clear()
        self._server = ThreadingHTTPServer(self._address, _handler_for(self))
        self._server.daemon_threads = True
        # A short poll interval keeps stop() quick (shutdown waits for the next poll).
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"fake-{self.label.lower()}",
            daemon=True,
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

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError(f"the fake {self.label} server is not running")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def serve_until_interrupted(self) -> None:
        """Block while the server runs (a command's foreground), then stop it."""
        try:
            while self._thread is not None and self._thread.is_alive():
                self._thread.join(timeout=1)
        except KeyboardInterrupt:
            pass
        finally:
            self.stop()


def _handler_for(fake: FakeServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = fake.server_version

        def _reply(self, status: int, headers: dict[str, str], body: Any) -> None:
            data = b"" if body is None else json.dumps(body).encode("utf-8")
            try:
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                if body is not None:
                    self.send_header("Content-Type", fake.content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except OSError:
                pass  # the client gave up (after a hang): nothing to tell it

        def _drop(self, fault: Fault) -> None:
            if fault.kind == "reset":
                # SO_LINGER 0: close() sends a reset, not an orderly end.
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.close_connection = True
                self.connection.close()
            else:
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)

        def _serve(self) -> None:
            if self.command not in fake.methods:
                self.send_error(501, f"Unsupported method ({self.command!r})")
                return
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            request = Request(self.command, self.path, self.headers.get("Authorization"), body)
            (status, headers, payload), fault = fake.answer(request)
            if fault is not None and fault.kind in ("reset", "close"):
                self._drop(fault)
                return
            if fault is not None and fault.kind == "hang":
                fake._stopping.wait(fault.seconds)  # the client has given up by now; the request was accepted
            self._reply(status, headers, payload)

        do_GET = do_POST = do_DELETE = _serve  # noqa: N815  (http.server's naming)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass  # request lines can hold addresses and phone numbers (list filters)

    return Handler
