"""Batch approval: the first batch of a new playbook or policy version, or a batch over a
threshold (messages, amount), waits for an admin before anything of it is sent.

After the build, :func:`assess` decides whether the day's batch needs approval and, if so,
writes an ``ops.batch_approvals`` row ``pending`` with the reasons and a preview (counts by step,
channel and segment, the amount named, sample message ids, the difference from the previous
batch). Dispatch claims a batch's rows only when it has no approval row or an ``approved`` one
(the claim in :func:`cartera.campaigns.outbox.claim_due` checks it). :func:`decide` records who approved or rejected and
when; a rejection cancels the batch's unsent messages with the reason ``batch_rejected``.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

import psycopg

from cartera.logs import get_logger

_log = get_logger(__name__)


@dataclass(frozen=True)
class ApprovalRules:
    """When a batch waits for a person (settings CARTERA_APPROVAL_*)."""

    new_versions: bool = True
    max_messages: int = 1000
    max_amount_mxn: Decimal = Decimal("50000000")

    @classmethod
    def from_settings(cls) -> ApprovalRules:
        from cartera.config import get_settings

        s = get_settings()
        return cls(s.approval_new_versions, s.approval_max_messages, Decimal(str(s.approval_max_amount_mxn)))


def policy_version() -> str:
    """The rule packs in force, as one comparable string (pack id and version per country)."""
    from cartera.campaigns.contact_check import policy_engine

    engine = policy_engine()
    return ",".join(sorted(f"{pack.id}:{pack.version}" for pack in engine.packs.values()))


def preview(conn: psycopg.Connection, batch_id: str) -> dict[str, Any]:
    """What an approver sees: counts by step, channel and segment, the amount named (MXN), sample
    message ids to open, and the difference in messages from the previous batch."""

    def grouped(column: str) -> dict[str, int]:
        rows = conn.execute(
            f"select {column}, count(*) from ops.outbox o "  # noqa: S608 - column names are fixed here
            "left join ml.customer_segments s on s.customer_id = o.customer_id and s.score_date = o.as_of_date "
            "where o.batch_id = %s and o.status not in ('cancelled') group by 1 order by 1",
            (batch_id,),
        ).fetchall()
        return {str(k): int(n) for k, n in rows}

    segments_exist = conn.execute("select to_regclass('ml.customer_segments') is not null").fetchone()
    total = conn.execute(
        "select count(*), coalesce(sum((select sum(i.open_amount_mxn) from marts.fct_open_items i "
        "where i.invoice_id = any(o.invoice_ids) and i.as_of_date = o.as_of_date)), 0) "
        "from ops.outbox o where o.batch_id = %s and o.status not in ('cancelled')",
        (batch_id,),
    ).fetchone()
    previous = conn.execute(
        "select b.batch_id, count(o.outbox_id) from ops.campaign_batches b left join ops.outbox o using (batch_id) "
        "where b.as_of_date < (select as_of_date from ops.campaign_batches where batch_id = %s) "
        "group by b.batch_id, b.as_of_date order by b.as_of_date desc limit 1",
        (batch_id,),
    ).fetchone()
    samples = conn.execute(
        "select min(outbox_id) from ops.outbox where batch_id = %s group by channel, step order by 1 limit 5",
        (batch_id,),
    ).fetchall()
    messages = int(total[0]) if total else 0
    return {
        "messages": messages,
        "amount_mxn": str(Decimal(total[1]).quantize(Decimal("0.01"))) if total else "0.00",
        "by_step": grouped("o.step"),
        "by_channel": grouped("o.channel"),
        "by_segment": grouped("coalesce(s.segment, 'unscored')") if segments_exist and segments_exist[0] else {},
        "sample_outbox_ids": [int(r[0]) for r in samples],
        "previous_batch": previous[0] if previous else None,
        "change_in_messages": messages - int(previous[1]) if previous else None,
    }


def assess(conn: psycopg.Connection, batch_id: str, at: dt.datetime, *, rules: ApprovalRules, policy: str) -> list[str]:
    """Decide whether the batch waits for a person; request it if so. Returns the reasons (empty:
    no approval needed). A batch already approved or rejected keeps its decision."""
    row = conn.execute(
        "select playbook_version, as_of_date from ops.campaign_batches where batch_id = %s", (batch_id,)
    ).fetchone()
    if row is None:
        raise ValueError(f"no campaign batch {batch_id}")
    playbook_version, as_of = row
    conn.execute("update ops.campaign_batches set policy_version = %s where batch_id = %s", (policy, batch_id))
    shown = preview(conn, batch_id)
    reasons: list[str] = []
    if rules.new_versions:
        seen = conn.execute(
            "select exists (select 1 from ops.campaign_batches b where b.as_of_date < %s "
            "and b.playbook_version = %s and b.policy_version = %s "
            "and not exists (select 1 from ops.batch_approvals a where a.batch_id = b.batch_id and a.status <> 'approved'))",
            (as_of, playbook_version, policy),
        ).fetchone()
        if not (seen and seen[0]):
            reasons.append(f"first batch of playbook {playbook_version} with these rule packs")
    if shown["messages"] > rules.max_messages:
        reasons.append(f"{shown['messages']} messages, over the threshold of {rules.max_messages}")
    if Decimal(shown["amount_mxn"]) > rules.max_amount_mxn:
        reasons.append(
            f"{Decimal(shown['amount_mxn']):,.2f} MXN named, over the threshold of {rules.max_amount_mxn:,.2f}"
        )
    if not reasons or shown["messages"] == 0:
        return []
    conn.execute(
        """
        insert into ops.batch_approvals (batch_id, status, reasons, preview, requested_at)
        values (%s, 'pending', %s::jsonb, %s::jsonb, %s)
        on conflict (batch_id) do update set reasons = excluded.reasons, preview = excluded.preview
            where ops.batch_approvals.status = 'pending'
        """,
        (batch_id, json.dumps(reasons), json.dumps(shown), at),
    )
    _log.info("batch %s waits for approval: %d reasons", batch_id, len(reasons))
    return reasons


def status_of(conn: psycopg.Connection, batch_id: str) -> str | None:
    row = conn.execute("select status from ops.batch_approvals where batch_id = %s", (batch_id,)).fetchone()
    return str(row[0]) if row else None


def decide(
    conn: psycopg.Connection,
    batch_id: str,
    decision: Literal["approved", "rejected"],
    by: str,
    at: dt.datetime,
    note: str | None = None,
) -> bool:
    """Record an admin's decision on a pending batch (False when none is pending). A rejection
    cancels the batch's unsent messages."""
    cur = conn.execute(
        "update ops.batch_approvals set status = %s, decided_by = %s, decided_at = %s, note = %s "
        "where batch_id = %s and status = 'pending'",
        (decision, by[:64], at, (note or None) and note[:500], batch_id),
    )
    if cur.rowcount != 1:
        return False
    if decision == "rejected":
        conn.execute(
            "update ops.outbox set status = 'cancelled', status_reason = 'batch_rejected', updated_at = %s "
            "where batch_id = %s and status in ('pending', 'deferred', 'failed')",
            (at, batch_id),
        )
    return True
