"""The campaigns build: :func:`build_batch` turns a day's open items into outbox rows (and
escalations). It takes its instant as an argument and never reads the clock, so a day can be
rebuilt and replayed exactly. Sending is :mod:`cartera.campaigns.dispatch`.

Guarantees:

* build is idempotent: rebuilding a day inserts nothing new (keys + ON CONFLICT DO NOTHING, and
  invoices that already had a step are not candidates again);
* every allow/defer/deny lands in ops.contact_decisions (and the engine's in ops.policy_decisions).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from cartera.campaigns import contact_data as data
from cartera.campaigns import outbox
from cartera.campaigns.candidates import Candidate, build_candidates, load_covered, load_open_items, load_segments
from cartera.campaigns.contact_check import ContactProfile, Decision, check, invoice_denials, policy_engine
from cartera.campaigns.decisions import audit_policy
from cartera.campaigns.playbook import Playbook, Step, load_playbook
from cartera.db import connect
from cartera.logs import get_logger
from cartera.policy.models import Payment, SentMessage
from cartera.run_dates import BOOKS_TZ

_log = get_logger(__name__)
IMPLEMENTED_CHANNELS = ("email",)  # whatsapp/sms steps fall through to the next channel listed


@dataclass(frozen=True)
class BatchSummary:
    """Counts of one build (`enqueued` counts new outbox rows only)."""

    batch_id: str
    as_of: dt.date
    candidates: int
    enqueued: int
    deferred: int
    denied: int
    escalated: int


def default_planned_at(as_of: dt.date) -> dt.datetime:
    """09:00 in the books' zone (Mexico City) on `as_of`, in UTC: inside the window everywhere
    in Mexico, Tijuana included (07:00 there in winter)."""
    return dt.datetime.combine(as_of, dt.time(9, 0), tzinfo=BOOKS_TZ).astimezone(dt.UTC)


def _choose_channel(step: Step, profile: ContactProfile) -> str | None:
    """The first channel of the step we can send on and the contact can receive; else the first
    we can send on (so the check records why it cannot go); None when the step has none."""
    usable = [c for c in step.channels if c in IMPLEMENTED_CHANNELS]
    for channel in usable:
        if (
            channel == "email"
            and profile.has_email
            and not profile.email_opt_out
            and not ({"all", "email"} & profile.opted_out_channels)
        ):
            return channel
    return usable[0] if usable else None


def build_batch(
    dsn: str, as_of: dt.date, *, planned_at: dt.datetime | None = None, playbook: Playbook | None = None
) -> BatchSummary:
    """Build the day's batch: candidates from the marts and ml tables for `as_of`, each checked
    at `planned_at` (default :func:`default_planned_at`) and enqueued to send then, or at the
    next allowed instant when deferred. Escalations go to ops.collection_tasks."""
    playbook = playbook or load_playbook()
    planned_at = planned_at or default_planned_at(as_of)
    if planned_at.tzinfo is None:
        raise ValueError("planned_at must be timezone-aware")
    counts = {"candidates": 0, "enqueued": 0, "escalated": 0, "denied": 0, "deferred": 0}
    with connect(dsn) as conn:
        candidates = build_candidates(
            load_open_items(conn, as_of), load_segments(conn, as_of), playbook, load_covered(conn)
        )
        customer_ids = {c.customer_id for c in candidates}
        profiles = data.load_profiles(conn, customer_ids, planned_at)
        holds = data.load_holds(conn, customer_ids)
        engine = policy_engine()  # loaded before the batch opens: a bad rule pack fails fast
        batch_id = outbox.open_batch(conn, as_of, playbook.version, planned_at)
        history: dict[str, list[SentMessage]] = {}
        payments: dict[str, list[Payment]] = {}

        def record(
            decision: Decision, candidate: Candidate, channel: str | None = None, key: str | None = None
        ) -> None:
            outbox.record_decision(
                conn,
                decision,
                stage="build",
                at=planned_at,
                customer_id=candidate.customer_id,
                step=candidate.step.name,
                channel=channel,
                batch_id=batch_id,
                key=key,
            )

        counts["candidates"] = len(candidates)
        for candidate in candidates:
            customer = candidate.customer_id
            denials = invoice_denials(candidate, holds, planned_at)
            for denial in denials:
                record(denial, candidate)
            denied_ids = {d.invoice_id for d in denials}
            candidate = candidate.with_invoices(i for i in candidate.invoices if i.invoice_id not in denied_ids)
            if not candidate.invoices:
                counts["denied"] += 1
                continue
            if candidate.step.action == "escalate":
                key, inserted = outbox.enqueue_escalation(conn, batch_id, as_of, candidate, planned_at)
                escalation = Decision(
                    "allow",
                    "escalated",
                    "Escalado a la cola de cobranza manual; sin mensaje automático.",
                    "Escalated to the collector queue; no automatic message.",
                    rule_id="playbook/escalation",
                )
                record(escalation, candidate, key=key)
                counts["escalated"] += int(inserted)
                continue
            profile = profiles.get(customer) or ContactProfile(customer_id=customer, timezone=None, has_email=False)
            channel = _choose_channel(candidate.step, profile)
            candidate = candidate.with_channel(channel) if channel else candidate
            if customer not in history:  # once per customer: a customer may have several steps today
                history[customer] = data.load_history(conn, customer, include_scheduled=True)
                payments[customer] = data.load_recent_payments(conn, customer, planned_at)
            decision = check(
                candidate, profile, history[customer], holds, planned_at, payments=payments[customer], engine=engine
            )
            key = outbox.idempotency_key(customer, candidate.invoice_ids, candidate.step.name, channel or "-", as_of)
            audit_policy(conn, decision, "build", planned_at, batch_id=batch_id, key=key)
            record(decision, candidate, channel, key)
            if decision.verdict == "deny":
                counts["denied"] += 1
                continue
            not_before = planned_at if decision.verdict == "allow" else (decision.next_allowed_at or planned_at)
            _, inserted = outbox.enqueue_message(conn, batch_id, as_of, candidate, not_before, planned_at)
            counts["enqueued"] += int(inserted)
            counts["deferred"] += int(inserted and decision.verdict == "defer")
            history[customer].append(SentMessage(not_before, channel or "email", candidate.invoice_ids))
        outbox.close_batch(conn, batch_id, playbook.version, planned_at, counts)
    _log.info("campaign batch %s: %s", batch_id, counts)
    return BatchSummary(batch_id=batch_id, as_of=as_of, **counts)
