"""SendGrid's v3 Mail Send body as the fake SendGrid server (:mod:`cartera.channels.fake_sendgrid`)
reads it: the checks SendGrid makes before accepting a request (answered in its error shape
``{"message", "field", "help"}``), and each personalization rendered as its recipient's copy, as
SendGrid renders it (substitutions in the subject and the shared content, its ``custom_args``
over the request's), and written as an e-mail a person can open.
"""

from __future__ import annotations

import datetime as dt
import json
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from typing import Any

SUBSTITUTION_BYTES = 10_000  # per personalization, the smaller of SendGrid's documented figures
_HELP = "http://sendgrid.com/docs/API_Reference/Web_API_v3/Mail/errors.html"


def mail_error(message: str, field: str | None) -> dict[str, Any]:
    """One error in SendGrid's shape, its help link anchored on the field."""
    anchor = f"#message.{field}" if field else ""
    return {"message": message, "field": field, "help": f"{_HELP}{anchor}"}


def validate_mail_send(payload: Any) -> list[dict[str, Any]]:
    """The SendGrid-shaped errors of a /v3/mail/send body (empty when it would be accepted)."""
    if not isinstance(payload, dict):
        return [mail_error("Bad Request", None)]
    errors: list[dict[str, Any]] = []
    personalizations = payload.get("personalizations")
    if not isinstance(personalizations, list) or not personalizations:
        errors.append(
            mail_error(
                "The personalizations field is required and must have at least one personalization.", "personalizations"
            )
        )
        personalizations = []
    elif len(personalizations) > 1000:
        errors.append(
            mail_error(
                "The personalization block is limited to 1000 personalizations per API request.", "personalizations"
            )
        )
    seen: set[str] = set()
    for i, p in enumerate(personalizations):
        to = p.get("to") if isinstance(p, dict) else None
        if not isinstance(to, list) or not to:
            errors.append(
                mail_error(
                    "The to array is required for all personalization objects, and must have at least one email object with a valid email address.",
                    f"personalizations.{i}.to",
                )
            )
        elif any(not isinstance(r, dict) or "@" not in str(r.get("email", "")) for r in to):
            errors.append(mail_error("Does not contain a valid address.", f"personalizations.{i}.to"))
        if not payload.get("subject") and not (isinstance(p, dict) and p.get("subject")):
            errors.append(
                mail_error(
                    "The subject is required. You can get around this requirement if you use a template with a subject defined or if every personalization has a subject defined.",
                    "subject",
                )
            )
        if isinstance(p, dict) and any(not isinstance(v, str) for v in (p.get("custom_args") or {}).values()):
            errors.append(mail_error("Custom args must be strings.", f"personalizations.{i}.custom_args"))
        substitutions = (p.get("substitutions") or {}) if isinstance(p, dict) else {}
        if not isinstance(substitutions, dict) or any(
            not isinstance(k, str) or not isinstance(v, str) for k, v in substitutions.items()
        ):
            errors.append(mail_error("Substitutions must be strings.", f"personalizations.{i}.substitutions"))
        elif (
            sum(len(k.encode("utf-8")) + len(v.encode("utf-8")) for k, v in substitutions.items()) > SUBSTITUTION_BYTES
        ):
            errors.append(
                mail_error(
                    f"The total size of substitutions may not exceed {SUBSTITUTION_BYTES} bytes per personalization.",
                    f"personalizations.{i}.substitutions",
                )
            )
        if isinstance(to, list):
            for r in to:
                address = str(r.get("email", "")).strip().lower() if isinstance(r, dict) else ""
                if address and address in seen:
                    errors.append(
                        mail_error(
                            "Each unique email address in the personalizations array should only be included once.",
                            f"personalizations.{i}.to",
                        )
                    )
                seen.add(address)
    sender = payload.get("from")
    if not isinstance(sender, dict) or "@" not in str(sender.get("email", "")):
        errors.append(
            mail_error(
                "The from object must be provided for every email send. It is an object that requires the email parameter, but may also contain a name parameter.",
                "from",
            )
        )
    content = payload.get("content")
    if not payload.get("template_id"):
        if not isinstance(content, list) or not content:
            errors.append(
                mail_error(
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
                    errors.append(mail_error("Content blocks must have a type and a non-empty value.", f"content.{j}"))
            types = [b.get("type") for b in content if isinstance(b, dict)]
            if "text/plain" in types and types[0] != "text/plain":
                errors.append(
                    mail_error(
                        "If present, text/plain content must be first, followed by any other content.", "content"
                    )
                )
    if any(not isinstance(v, str) for v in (payload.get("custom_args") or {}).values()):
        errors.append(mail_error("Custom args must be strings.", "custom_args"))
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


def eml_copy(
    payload: dict[str, Any], personalization: dict[str, Any], message_id: str, received_at: dt.datetime
) -> EmailMessage:
    """One recipient's copy as an e-mail (text first, then HTML), our key in a header."""
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
