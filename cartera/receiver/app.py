"""The webhook receiver: the only door from the outside (docs/receiver.md).

Routes (relative to where it is mounted, /cartera-hooks in Airflow's API server):

* ``POST /sendgrid/events`` — SendGrid's Signed Event Webhook (JSON array of events).
* ``POST /sendgrid/inbound/{secret}`` — SendGrid Inbound Parse (multipart form): e-mail replies.
* ``POST /twilio/status`` — Twilio message status callbacks (form-encoded, signed).
* ``POST /twilio/inbound`` — SMS / WhatsApp replies from Twilio (form-encoded, signed).

Every request is verified before anything is read into the database; a refused one gets 403
and writes nothing. A body over ``receiver_max_body_bytes`` gets 413 and one that cannot be read
gets 400; an event of a type we do not know is stored as 'unknown' and changes nothing else.
Events are stored once (unique provider event id), so providers' retries are harmless. Answers
carry no detail an attacker could use, and logs carry codes, counts and ids only.

Run alone: ``python -m cartera.receiver --port 8031`` (or ``uvicorn cartera.receiver.app:create_app
--factory``).
"""

from __future__ import annotations

import datetime as dt
import email.utils
import hashlib
import json
import re
from collections import Counter
from collections.abc import AsyncGenerator, Callable
from email.parser import HeaderParser
from typing import Any
from urllib.parse import parse_qsl

from fastapi import FastAPI, HTTPException, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import ImmutableMultiDict, UploadFile

from cartera.config import Settings
from cartera.logs import get_logger
from cartera.receiver import verify
from cartera.receiver.events import personal_hash, scrub_twilio, sendgrid_event, twilio_channel, twilio_status_event

_log = get_logger(__name__)

SENDGRID_SIGNATURE_HEADER = "X-Twilio-Email-Event-Webhook-Signature"
SENDGRID_TIMESTAMP_HEADER = "X-Twilio-Email-Event-Webhook-Timestamp"
TWILIO_SIGNATURE_HEADER = "X-Twilio-Signature"
TWILIO_SETTINGS_HEADER = "X-Twilio-Webhooks-Signature-Settings"
MAX_EVENTS_PER_REQUEST = 10_000
_EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
_TAGS = re.compile(r"<[^>]+>")


def _refuse(route: str, reason: str) -> Response:
    _log.warning("receiver refused %s: %s", route, reason)
    return JSONResponse({"detail": "forbidden"}, status_code=403)


def _bad_request(route: str, reason: str) -> Response:
    _log.warning("receiver rejected %s: %s", route, reason)
    return JSONResponse({"detail": f"bad request: {reason}"}, status_code=400)


async def _read_body(request: Request, limit: int) -> bytes:
    """The body, refused with 413 as soon as it passes `limit` bytes (declared or streamed)."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise HTTPException(status_code=413, detail="body too large")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise HTTPException(status_code=413, detail="body too large")
        chunks.append(chunk)
    return b"".join(chunks)


def create_app(
    settings: Settings | None = None,
    *,
    dsn: str | Callable[[], str] | None = None,
    clock: Callable[[], dt.datetime] | None = None,
) -> FastAPI:
    """The receiver app. Settings and the DSN are resolved per request (never at import or
    plugin load); `clock` (UTC now) decides whether a signed timestamp is fresh and stamps
    received_at."""

    def current_settings() -> Settings:
        if settings is not None:
            return settings
        from cartera.config import get_settings

        return get_settings()

    def current_dsn() -> str:
        if callable(dsn):
            return dsn()
        if dsn is not None:
            return dsn
        return current_settings().warehouse_dsn

    def now() -> dt.datetime:
        return clock() if clock is not None else dt.datetime.now(dt.UTC)

    app = FastAPI(title="cartera webhook receiver", docs_url=None, redoc_url=None, openapi_url=None)

    @app.exception_handler(Exception)
    async def unavailable(request: Request, exc: Exception) -> Response:
        # The database is down or a bug: the provider retries later. Only the type is logged
        # (a message could quote a payload).
        _log.error("receiver failed on %s: %s", request.url.path.rsplit("/", 1)[0], type(exc).__name__)
        return JSONResponse({"detail": "temporarily unavailable"}, status_code=503)

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    # -- SendGrid Event Webhook -----------------------------------------------------------
    @app.post("/sendgrid/events")
    async def sendgrid_events(request: Request) -> Response:
        s = current_settings()
        body = await _read_body(request, s.receiver_max_body_bytes)
        received_at = now()
        signature = request.headers.get(SENDGRID_SIGNATURE_HEADER)
        tolerance = dt.timedelta(seconds=s.receiver_replay_tolerance_seconds)
        refusal = verify.sendgrid_refusal(
            body,
            signature,
            request.headers.get(SENDGRID_TIMESTAMP_HEADER),
            public_key=s.sendgrid_webhook_public_key,
            now=received_at,
            tolerance=tolerance,
        )
        if refusal or signature is None:
            return _refuse("sendgrid/events", refusal or "unsigned")
        try:
            batch = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return _bad_request("sendgrid/events", "not JSON")
        if not isinstance(batch, list) or len(batch) > MAX_EVENTS_PER_REQUEST:
            return _bad_request("sendgrid/events", "not a JSON array of events")
        events = [sendgrid_event(item) for item in batch]
        fingerprint = verify.signature_fingerprint(signature)

        def store() -> Counter[str] | None:
            from cartera.db import connect
            from cartera.receiver.store import record_events, remember_signature

            with connect(current_dsn()) as conn:
                if not remember_signature(conn, "sendgrid", fingerprint, received_at, 2 * tolerance):
                    return None
                return record_events(conn, events, received_at)

        counts = await run_in_threadpool(store)
        if counts is None:
            return _refuse("sendgrid/events", "replayed_signature")
        _log.info("sendgrid events: %s", dict(sorted(counts.items())))
        return Response(status_code=204)

    # -- Twilio ------------------------------------------------------------------------------
    async def twilio_params(request: Request, route: str) -> ImmutableMultiDict[str, str] | Response:
        s = current_settings()
        body = await _read_body(request, s.receiver_max_body_bytes)
        try:
            params = ImmutableMultiDict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
        except (UnicodeDecodeError, ValueError):
            return _bad_request(route, "not a form")
        base = s.twilio_status_callback_base
        if base:
            url = base.rstrip("/") + "/" + route
            if request.url.query:
                url += "?" + request.url.query
        else:
            url = str(request.url)
        token = s.twilio_auth_token.get_secret_value() if s.twilio_auth_token else None
        refusal = verify.twilio_refusal(
            url,
            params,
            request.headers.get(TWILIO_SIGNATURE_HEADER),
            auth_token=token,
            signature_settings=request.headers.get(TWILIO_SETTINGS_HEADER),
        )
        if refusal:
            return _refuse(route, refusal)
        return params

    @app.post("/twilio/status")
    async def twilio_status(request: Request) -> Response:
        params = await twilio_params(request, "twilio/status")
        if isinstance(params, Response):
            return params
        received_at = now()
        event = twilio_status_event(params, received_at)

        def store() -> Counter[str]:
            from cartera.db import connect
            from cartera.receiver.store import record_events

            with connect(current_dsn()) as conn:
                return record_events(conn, [event], received_at)

        counts = await run_in_threadpool(store)
        _log.info("twilio status: %s", dict(sorted(counts.items())))
        return Response(status_code=204)

    @app.post("/twilio/inbound")
    async def twilio_inbound(request: Request) -> Response:
        params = await twilio_params(request, "twilio/inbound")
        if isinstance(params, Response):
            return params
        sid = (params.get("MessageSid") or params.get("SmsSid") or "")[:64]
        if not sid:
            return _bad_request("twilio/inbound", "no MessageSid")
        from cartera.replies.apply import InboundMessage

        message = InboundMessage(
            provider="twilio",
            provider_message_id=sid,
            channel=twilio_channel(params),
            sender=(params.get("From") or "").removeprefix("whatsapp:").strip(),
            text=params.get("Body") or "",
            provider_opt_out=(params.get("OptOutType") or "").upper() == "STOP",
            payload=scrub_twilio(params),
        )
        await _receive_reply(message)
        return Response(_EMPTY_TWIML, media_type="text/xml")

    # -- SendGrid Inbound Parse ---------------------------------------------------------------
    @app.post("/sendgrid/inbound/{secret}")
    async def sendgrid_inbound(secret: str, request: Request) -> Response:
        s = current_settings()
        expected = s.sendgrid_inbound_secret.get_secret_value() if s.sendgrid_inbound_secret else None
        if not verify.secret_matches(secret, expected):
            return _refuse("sendgrid/inbound", "bad_secret")
        body = await _read_body(request, s.receiver_max_body_bytes)
        form = await _multipart(request, body)
        if form is None:
            return _bad_request("sendgrid/inbound", "not a multipart form")
        message = inbound_parse_message(form)
        if message is None:
            return _bad_request("sendgrid/inbound", "no sender")
        await _receive_reply(message)
        return Response(status_code=204)

    async def _receive_reply(message: Any) -> None:
        received_at = now()

        def store() -> None:
            from cartera.db import connect
            from cartera.replies.apply import receive_reply

            with connect(current_dsn()) as conn:
                outcome = receive_reply(conn, message, received_at)
                if outcome is None:
                    _log.info("reply from %s already stored", message.provider)

        await run_in_threadpool(store)

    return app


async def _multipart(request: Request, body: bytes) -> dict[str, str] | None:
    """The text fields of a multipart form (attachments are skipped), None when unreadable."""
    from starlette.formparsers import MultiPartException, MultiPartParser

    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        return None

    async def stream() -> AsyncGenerator[bytes, None]:
        yield body

    parser = MultiPartParser(request.headers, stream(), max_files=50, max_fields=200, max_part_size=len(body) + 1)
    try:
        form = await parser.parse()
    except (MultiPartException, ValueError, KeyError):
        return None
    fields: dict[str, str] = {}
    for name, value in form.multi_items():
        if isinstance(value, UploadFile):
            await value.close()
        elif isinstance(value, str):
            fields.setdefault(name, value)
    return fields


def inbound_parse_message(form: dict[str, str]) -> Any:
    """An :class:`~cartera.replies.apply.InboundMessage` from SendGrid's Inbound Parse fields
    (from, to, subject, text, html, headers, envelope, …); None without a sender."""
    from cartera.replies.apply import InboundMessage
    from cartera.replies.matching import referenced_ids

    sender = email.utils.parseaddr(form.get("from", ""))[1]
    if not sender:
        try:
            sender = str(json.loads(form.get("envelope") or "{}").get("from") or "")
        except (ValueError, AttributeError):
            sender = ""
    if not sender or "@" not in sender:
        return None
    headers = HeaderParser().parsestr(form.get("headers", ""), headersonly=True)
    text = form.get("text") or _TAGS.sub(" ", form.get("html", ""))
    message_id = str(headers.get("Message-ID") or "").strip()
    identity = message_id or f"{sender}\n{form.get('subject', '')}\n{text}"
    provider_message_id = "sha256:" + hashlib.sha256(identity.encode("utf-8")).hexdigest()
    references = referenced_ids(f"{headers.get('In-Reply-To') or ''} {headers.get('References') or ''}")
    payload = {
        "from_sha256": personal_hash(sender),
        "message_id_sha256": provider_message_id.removeprefix("sha256:"),
        "references": list(references)[:20],
        "subject_length": len(form.get("subject", "")),
        "text_length": len(text),
        "spam_score": form.get("spam_score", "")[:20],
        "spf": form.get("SPF", "")[:20],
        "attachments": form.get("attachments", "0")[:5],
    }
    return InboundMessage(
        provider="sendgrid",
        provider_message_id=provider_message_id,
        channel="email",
        sender=sender,
        text=text,
        references=references,
        payload=payload,
    )
