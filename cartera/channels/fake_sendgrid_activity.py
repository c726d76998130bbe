"""SendGrid's Email Activity API (``GET /v3/messages?query=…``) as the fake SendGrid server
(:mod:`cartera.channels.fake_sendgrid`) answers it: enough of the query language for
reconciliation — one ``field="value"`` clause on ``unique_args['<name>']``, ``msg_id`` or
``to_email`` — over the copies the fake accepted, each reported as delivered.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

_QUERY = re.compile(r"\s*(unique_args\['([^']+)'\]|msg_id|to_email)\s*=\s*\"([^\"]*)\"\s*")


def search_activity(messages: Iterable[Mapping[str, Any]], query: str) -> list[dict[str, Any]]:
    """The Email Activity API's answer to one ``field="value"`` query over accepted copies
    (``FakeSendGrid.messages``); an empty list for a query it does not read."""
    match = _QUERY.fullmatch(query)
    if match is None:
        return []
    field_name, arg_name, value = match.group(1), match.group(2), match.group(3)
    found = []
    for kept in messages:
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
