"""Twilio's Message resource as the fake Twilio server (:mod:`cartera.channels.fake_twilio`)
writes it: the checks on a creation form and their error codes, the resource Twilio answers with
(``sid`` ``SM`` + 32 hex, ``status`` ``queued``, ``num_segments``, RFC 2822 dates), errors in
Twilio's shape ``{"code", "message", "more_info", "status"}``, and the message list
(``To``, ``From``, ``DateSent``/``DateSent>``/``DateSent<`` filters, newest first, paged like
Twilio with ``next_page_uri``, ``page``, ``page_size``, …).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import urllib.parse
from collections.abc import Sequence
from typing import Any

from cartera.channels.sms_segments import sms_segments

API_VERSION = "2010-04-01"
MESSAGES_PATH = re.compile(
    r"^/2010-04-01/Accounts/(?P<account>AC[0-9a-fA-F]{32})/Messages(?:/(?P<sid>[A-Z]{2}[0-9a-f]{32}))?\.json$"
)
_E164 = re.compile(r"^(whatsapp:)?\+[1-9]\d{7,14}$")
ERRORS = {
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
        "message": ERRORS.get(code, "Error"),
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


def form_refusal(form: dict[str, str]) -> int | None:
    """Twilio's error code for a creation form it refuses before accepting (no ``To``, no
    ``From``, a ``To`` not in E.164, neither ``Body`` nor ``ContentSid``); None when acceptable."""
    to, sender = form.get("To", ""), form.get("From", "")
    if not to:
        return 21604
    if not sender:
        return 21603
    if not _E164.match(to):
        return 21211
    if not form.get("Body") and not form.get("ContentSid"):
        return 21602
    return None


def message_resource(account_sid: str, sid: str, form: dict[str, str], now: str) -> dict[str, Any]:
    """The Message resource for an accepted creation `form`, created at `now` (RFC 2822)."""
    to, sender = form.get("To", ""), form.get("From", "")
    body, content_sid = form.get("Body"), form.get("ContentSid")
    if content_sid:  # Twilio stores the template as rendered; the fake shows the SID and values
        variables = json.loads(form.get("ContentVariables") or "{}")
        body = f"[{content_sid}] " + " | ".join(str(v) for _, v in sorted(variables.items()))
    uri = f"/{API_VERSION}/Accounts/{account_sid}/Messages/{sid}.json"
    return {
        "account_sid": account_sid,
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


def public(message: dict[str, Any]) -> dict[str, Any]:
    """A kept message as the API shows it (without the form it was created from)."""
    return {k: v for k, v in message.items() if k != "request"}


def listed(message: dict[str, Any], params: dict[str, str]) -> bool:
    """Whether the list's filters (``To``, ``From``, ``DateSent``, ``DateSent>``, ``DateSent<``) keep `message`."""
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


def message_page(messages: Sequence[dict[str, Any]], path: str, params: dict[str, str]) -> dict[str, Any]:
    """One page of the message list at `path` (`messages` oldest first; the page newest first)."""
    selected = [m for m in reversed(messages) if listed(m, params)]
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
        "messages": [public(m) for m in rows],
        "next_page_uri": uri(page + 1) if more else None,
        "page": page,
        "page_size": size,
        "previous_page_uri": uri(page - 1) if page > 0 else None,
        "start": page * size,
        "uri": f"{path}?{urllib.parse.urlencode({**filters, 'PageSize': size, 'Page': page})}",
    }
