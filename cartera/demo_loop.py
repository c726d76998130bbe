"""The demo's contact loop: local fakes of SendGrid and Twilio, the real webhook receiver on a
local port, and a share of debtors who answer (deterministic by seed).

:class:`ContactLoop` starts the fake Twilio (SMS and WhatsApp) and the receiver (uvicorn, in a
thread) and sets the environment the DAG runs read (``CARTERA_TWILIO_*``, the receiver's keys).
After the campaigns ran, :meth:`ContactLoop.answer` plays what providers and debtors would send
back: SendGrid's signed events and Inbound Parse replies, Twilio's signed status callbacks, and
SMS replies (BAJA, a promise, a dispute, "ya pagué") from a share of SMS recipients. Everything
goes through the receiver over HTTP, like in production; nothing is written directly.
"""

from __future__ import annotations

import random
import secrets
import socket
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

from cartera.channels.fake_events import EventSigningKey, play
from cartera.channels.fake_sendgrid import FakeSendGrid
from cartera.channels.fake_twilio import FakeTwilio

DEMO_TEMPLATES = Path(__file__).parent / "channels" / "whatsapp_templates.demo.yml"
SMS_FROM = "+15005550006"  # Twilio's magic test number: never a real person's
WHATSAPP_FROM = "+15005550007"
SMS_REPLIES = (
    ("BAJA", 0.03),
    ("Pago el viernes", 0.04),
    ("No reconozco esta factura", 0.02),
    ("Ya pague, les mando el comprobante", 0.02),
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ContactLoop:
    """Fake providers and the real receiver for one demo run."""

    def __init__(self, sendgrid: FakeSendGrid | None, *, seed: int) -> None:
        self.sendgrid = sendgrid
        self.seed = seed
        self.key = EventSigningKey()
        self.inbound_secret = secrets.token_urlsafe(16)
        self.port = _free_port()
        self.receiver_url = f"http://127.0.0.1:{self.port}"
        self.twilio = FakeTwilio(seed=seed, inbound_url=f"{self.receiver_url}/twilio/inbound")
        self._server: Any = None
        self._thread: threading.Thread | None = None

    def env(self) -> dict[str, str]:
        """What the DAG runs and the receiver read (local fakes only; no real account)."""
        return {
            "CARTERA_TWILIO_ACCOUNT_SID": self.twilio.account_sid,
            "CARTERA_TWILIO_AUTH_TOKEN": self.twilio.auth_token,
            "CARTERA_TWILIO_SMS_FROM": SMS_FROM,
            "CARTERA_TWILIO_WHATSAPP_FROM": WHATSAPP_FROM,
            "CARTERA_TWILIO_BASE_URL": self.twilio.base_url,
            "CARTERA_TWILIO_STATUS_CALLBACK_BASE": self.receiver_url,
            "CARTERA_SENDGRID_WEBHOOK_PUBLIC_KEY": self.key.public_key,
            "CARTERA_SENDGRID_INBOUND_SECRET": self.inbound_secret,
            "CARTERA_WHATSAPP_TEMPLATES_FILE": str(DEMO_TEMPLATES),
        }

    def start(self) -> dict[str, str]:
        """Start the fake Twilio and the receiver; returns the environment to add."""
        import os

        import uvicorn

        from cartera.config import get_settings

        self.twilio.start()
        env = self.env()
        os.environ.update(env)  # the receiver reads its keys from settings, per request
        get_settings.cache_clear()
        config = uvicorn.Config(
            "cartera.receiver.app:create_app",
            factory=True,
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            access_log=False,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="receiver", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 20
        while not getattr(self._server, "started", False):
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the webhook receiver did not start")
            time.sleep(0.05)
        return env

    def answer(self) -> Counter[str]:
        """Play the providers' events and the debtors' replies through the receiver."""
        counts: Counter[str] = Counter()
        if self.sendgrid is not None:
            counts.update(
                play(
                    self.receiver_url,
                    self.sendgrid.messages,
                    self.key,
                    inbound_secret=self.inbound_secret,
                    seed=self.seed,
                )
            )
        for delivery in self.twilio.post_status_callbacks():
            counts[f"twilio_status_http_{delivery.http_status}"] += 1
        draw = random.Random(self.seed)
        for message in self.twilio.messages:
            if not str(message.get("to", "")).startswith("+") or draw.random() > 0.15:
                continue
            text = draw.choices([t for t, _ in SMS_REPLIES], weights=[w for _, w in SMS_REPLIES])[0]
            delivery = self.twilio.post_inbound(str(message["to"]), str(message["from"]), text)
            counts[f"sms_replies_http_{delivery.http_status}"] += 1
        return counts

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        self.twilio.stop()
