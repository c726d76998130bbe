"""What a rendered message says, judged by the country's content rules — at build and at send.

The rule packs hold the rules (MX: the creditor's legal name and RFC, the amount owed and the date
it was calculated, the contact of the creditor's complaints unit (UNE); no threats, no mention of
the employer, family or third parties, no false legal claims. US: opt-out instructions in every
electronic message). :func:`check_rendered` runs them on every part the debtor reads, on the
exact text that goes out:

* e-mail: the subject with the text part, and the HTML part read as text (tags dropped,
  entities decoded), each on its own — both must pass, as a mail client shows either;
* SMS and WhatsApp free text: the text;
* a WhatsApp template: its approved body with our variables filled in (the registry's ``body``).
  A template whose approved body we do not hold cannot be checked, and is refused.

The report's SHA-256 is :func:`content_version` of the whole rendering, the same digest the
send attempt stores (ops.send_attempts.content_sha256), so the decision in
ops.contact_decisions names the exact version that was judged and sent. Neither logs nor stores
the text itself (it holds personal data).
"""

from __future__ import annotations

import html
import re
from dataclasses import replace

from cartera.campaigns import attempts
from cartera.campaigns.creditor import Creditor
from cartera.campaigns.rendering import RenderedMessage
from cartera.policy.content import ContentReport, ContentViolation
from cartera.policy.engine import PolicyEngine

# The rule id of a WhatsApp template whose approved text we do not hold (a design rule: the
# content rules cannot be checked on a text we cannot see, and an unchecked message never goes).
TEMPLATE_TEXT_RULE = "CAMPAIGNS/whatsapp_template_body"
_TAG = re.compile(r"<[^>]*>")
_BLOCK_END = re.compile(r"<br\s*/?>|</(?:p|tr|div|h\d|li|table|thead|tbody|tfoot)>", re.IGNORECASE)
_HIDDEN = re.compile(r"<(style|script|head)\b.*?</\1>", re.IGNORECASE | re.DOTALL)


def html_as_text(markup: str) -> str:
    """The words an HTML part shows: hidden blocks and tags removed (a line break where a block
    ends, a space where a cell ends), entities decoded (``&amp;`` → ``&``)."""
    visible = _HIDDEN.sub(" ", markup)
    visible = _BLOCK_END.sub("\n", visible)
    return html.unescape(_TAG.sub(" ", visible))


def content_version(rendered: RenderedMessage) -> str:
    """SHA-256 of the rendering as sent (subject, text, HTML): the version of the content."""
    return attempts.content_hash(rendered.subject, rendered.text, rendered.html)


def judged_parts(rendered: RenderedMessage, channel: str) -> tuple[str, ...] | None:
    """The texts the debtor may read, each judged on its own; None for a WhatsApp template whose
    approved body is not held (it cannot be judged)."""
    if channel == "email":
        parts = [f"{rendered.subject}\n\n{rendered.text}"]
        if rendered.html:
            parts.append(html_as_text(rendered.html))
        return tuple(parts)
    if rendered.template is not None:
        return None if rendered.template_text is None else (rendered.template_text,)
    return (rendered.text,)


def facts_of(creditor: Creditor) -> dict[str, str]:
    """The exact values the rules look for instead of their generic patterns."""
    return {"creditor_legal_name": creditor.legal_name, "creditor_rfc": creditor.rfc}


def check_rendered(
    engine: PolicyEngine,
    rendered: RenderedMessage,
    *,
    channel: str,
    country: str,
    is_consumer: bool,
    creditor: Creditor,
) -> ContentReport:
    """Every content rule of `country`'s pack that `rendered` (on `channel`) breaks, in any part
    the debtor reads; the report's digest is :func:`content_version`. Pass it to
    :func:`cartera.campaigns.contact_check.check` (``content=``): a violation denies the message
    with its rule id. Pure apart from the engine's packs."""
    country = (country or "MX").upper()
    language = rendered.language
    parts = judged_parts(rendered, channel)
    texts = parts if parts is not None else ("",)
    reports = [
        engine.check_content(
            text, language, country, channel=channel, is_consumer=is_consumer, facts=facts_of(creditor)
        )
        for text in texts
    ]
    violations: list[ContentViolation] = []
    if parts is None:
        violations.append(ContentViolation("content_missing", TEMPLATE_TEXT_RULE, "design", "approved_template_text"))
    else:
        for report in reports:
            violations.extend(v for v in report.violations if v not in violations)
    return replace(reports[0], content_sha256=content_version(rendered), violations=tuple(violations))
