"""Contact policy engine: legal contact windows, frequency caps and holds as per-country rule
packs (``rulepacks/*.yml``), with an audited reason for every decision.

Typical use (the campaigns stage, at build and again just before sending)::

    engine = PolicyEngine.load(creditor={"creditor_id": "acme", ...})   # once per run
    decision = engine.decide(candidate, profile, history, holds, payments)   # at build
    report = engine.check_content(rendered_text, "es", "MX", channel="email", facts={...})
    decision = engine.decide(candidate, profile, history, holds, payments, content=report)  # at send
    record_decisions(conn, [AuditRecord.of(candidate, decision, now, stage="send")])   # ops.contact_decisions

See docs/contact_policy.md.
"""

from cartera.policy.content import ContentReport, ContentViolation, check_content, content_sha256
from cartera.policy.creditor import CreditorSettings, apply_creditor, parse_creditor_settings
from cartera.policy.engine import PolicyEngine
from cartera.policy.inputs import PolicyInputError
from cartera.policy.models import (
    RECIPIENT_ROLES,
    Candidate,
    ContactProfile,
    Decision,
    Hold,
    Payment,
    Reason,
    SentMessage,
)
from cartera.policy.rulepack import available_countries, load_rule_pack

__all__ = [
    "RECIPIENT_ROLES",
    "Candidate",
    "ContactProfile",
    "ContentReport",
    "ContentViolation",
    "CreditorSettings",
    "Decision",
    "Hold",
    "Payment",
    "PolicyEngine",
    "PolicyInputError",
    "Reason",
    "SentMessage",
    "apply_creditor",
    "available_countries",
    "check_content",
    "content_sha256",
    "load_rule_pack",
    "parse_creditor_settings",
]
