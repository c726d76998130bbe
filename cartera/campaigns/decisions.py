"""What build and dispatch both need around a decision: the campaigns' own rules decided in the
engine's shape (:func:`ruled`), the audit record of a decision about a campaign message
(:func:`audit_record`, written by :func:`cartera.policy.audit.record_decisions` to
``ops.contact_decisions``), and the playbook step a stored outbox row stands for."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from cartera.campaigns.candidates import Candidate
from cartera.campaigns.outbox import OutboxRow
from cartera.campaigns.playbook import DayRange, Step
from cartera.policy.audit import AuditRecord
from cartera.policy.models import Decision, Reason, Verdict

# The version of the rules written in this package (collectibility, reachability, one message per
# day, escalation) as the audit names it, like a rule pack's: bump it when one of them changes.
RULES_VERSION = "2026.1"


def ruled(
    verdict: Verdict,
    code: str,
    es: str,
    en: str,
    *,
    rule_id: str,
    version: str = RULES_VERSION,
    next_allowed_at: dt.datetime | None = None,
    blocked_invoice_ids: Sequence[str] = (),
) -> Decision:
    """A decision taken by one of the campaigns' rules rather than the engine, in the engine's
    shape: one reason, its rule id (``CAMPAIGNS/invoice_not_open``, ``playbook/escalation``,
    ``learning/strategy``) and, as the rule pack, the rule id's first part with `version`."""
    return Decision(
        verdict,
        (Reason(code, rule_id, verdict, es, en),),
        rule_pack_id=rule_id.split("/")[0],
        rule_pack_version=version,
        next_allowed_at=next_allowed_at,
        blocked_invoice_ids=tuple(blocked_invoice_ids),
    )


def audit_record(
    decision: Decision,
    candidate: Candidate,
    stage: str,
    at: dt.datetime,
    *,
    channel: str | None = None,
    batch_id: str | None = None,
    outbox_id: int | None = None,
    key: str | None = None,
    proposed_at: dt.datetime | None = None,
) -> AuditRecord:
    """The audit row of `decision` about `candidate` (its step, its invoices), decided at `at`
    for the instant `proposed_at` (default `at`), on `channel` (None: before one was chosen)."""
    return AuditRecord(
        decision,
        candidate.customer_id,
        at,
        stage=stage,
        channel=channel,
        invoice_ids=candidate.invoice_ids,
        proposed_at=proposed_at,
        step=candidate.step.name,
        batch_id=batch_id,
        outbox_id=outbox_id,
        idempotency_key=key,
    )


def step_of(row: OutboxRow) -> Step:
    """The step a stored row stands for. The row carries what was decided at build; the playbook
    may have changed since, and the segment no longer matters at send time (only the check and
    the template do)."""
    return Step.model_validate(
        {
            "name": row.step,
            "segments": ["new"],
            "days_past_due": DayRange(min=0),
            "action": "message",
            "tone": row.tone,
            "template": row.template,
            "channels": [row.channel],
        }
    )
