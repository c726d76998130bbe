"""What build and dispatch both need around a decision: the policy engine's audit record, and
the playbook step a stored outbox row stands for."""

from __future__ import annotations

import datetime as dt

import psycopg

from cartera.campaigns.contact_check import Decision
from cartera.campaigns.outbox import OutboxRow
from cartera.campaigns.playbook import DayRange, Step
from cartera.policy import audit as policy_audit


def audit_policy(
    conn: psycopg.Connection,
    decision: Decision,
    stage: str,
    at: dt.datetime,
    *,
    batch_id: str | None = None,
    outbox_id: int | None = None,
    key: str | None = None,
) -> None:
    """The policy engine's verdict, with its rule id and rule-pack version, to ops.policy_decisions
    (collectibility denials, decided before the engine, are in ops.contact_decisions only)."""
    if decision.policy is None or decision.policy_candidate is None:
        return
    record = policy_audit.AuditRecord(
        candidate=decision.policy_candidate,
        decision=decision.policy,
        decided_at=at,
        stage=stage,
        batch_id=batch_id,
        outbox_id=outbox_id,
        idempotency_key=key,
    )
    policy_audit.record_decisions(conn, [record])


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
