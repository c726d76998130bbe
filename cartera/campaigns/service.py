"""The campaigns stage: :func:`build_batch` turns a day's open items into outbox rows (and
escalations), :func:`dispatch` sends what is due. Both take their instants as arguments; nothing
here reads the clock, so a day can be rebuilt and replayed exactly.

Guarantees:

* build is idempotent: rebuilding a day inserts nothing new (keys + ON CONFLICT DO NOTHING, and
  invoices that already had a step are not candidates again);
* every allow/defer/deny, at build and at send, lands in ops.contact_decisions;
* dispatch is at-most-once per row: rows are claimed (``FOR UPDATE SKIP LOCKED``) and marked
  ``sending`` in a committed transaction before any call; each row is rechecked at `now` against
  the invoices' current state, under a per-customer advisory lock (so two dispatchers cannot both
  send a customer's reminder of the day).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

import jinja2
import psycopg

from cartera.campaigns import contact_data as data
from cartera.campaigns import outbox
from cartera.campaigns.candidates import Candidate, build_candidates, load_covered, load_open_items, load_segments
from cartera.campaigns.contact_check import ContactProfile, Decision, check, invoice_denials, policy_engine
from cartera.campaigns.playbook import DayRange, Playbook, Step, load_playbook
from cartera.campaigns.rendering import render_reminder
from cartera.channels import ChannelError, EmailChannel, OutboundEmail
from cartera.db import connect
from cartera.logs import get_logger
from cartera.policy import audit as policy_audit
from cartera.policy.models import Payment, SentMessage
from cartera.run_dates import BOOKS_TZ

_log = get_logger(__name__)
IMPLEMENTED_CHANNELS = ("email",)  # whatsapp/sms steps fall through to the next channel listed
MAX_SEND_ATTEMPTS = 3


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


@dataclass
class DispatchSummary:
    """Counts of one dispatch run, by final status of the rows it claimed."""

    claimed: int = 0
    sent: int = 0
    cancelled: int = 0
    deferred: int = 0
    failed: int = 0
    cancel_reasons: dict[str, int] = field(default_factory=dict)


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


def _audit(
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
            _audit(conn, decision, "build", planned_at, batch_id=batch_id, key=key)
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


def _step_of(row: outbox.OutboxRow) -> Step:
    # The row carries what was decided at build; the playbook may have changed since, and the
    # segment no longer matters at send time (only the check and the template do).
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


def _send_one(
    conn: psycopg.Connection,
    row: outbox.OutboxRow,
    now: dt.datetime,
    channel: EmailChannel,
    company_name: str,
    summary: DispatchSummary,
) -> None:
    conn.execute("select pg_advisory_xact_lock(hashtextextended(%s, 7))", (f"customer:{row.customer_id}",))
    snapshot_date, current = data.load_current_items(conn, row.invoice_ids)
    items = tuple(current.get(i) or data.closed_placeholder(i, row.customer_id) for i in row.invoice_ids)
    profile = data.load_profiles(conn, [row.customer_id], now)[row.customer_id]
    holds = data.load_holds(conn, [row.customer_id])
    history = data.load_history(conn, row.customer_id, include_scheduled=False, exclude_outbox_id=row.outbox_id)
    candidate = Candidate(row.customer_id, "new", _step_of(row), items, channel=row.channel)
    payments = data.load_recent_payments(conn, row.customer_id, now)
    decision = check(candidate, profile, history, holds, now, payments=payments)
    _audit(conn, decision, "send", now, batch_id=row.batch_id, outbox_id=row.outbox_id, key=row.idempotency_key)
    outbox.record_decision(
        conn,
        decision,
        stage="send",
        at=now,
        customer_id=row.customer_id,
        step=row.step,
        channel=row.channel,
        batch_id=row.batch_id,
        outbox_id=row.outbox_id,
        key=row.idempotency_key,
    )
    if decision.verdict == "deny":
        outbox.mark_cancelled(conn, row.outbox_id, now, decision.reason_code)
        summary.cancelled += 1
        summary.cancel_reasons[decision.reason_code] = summary.cancel_reasons.get(decision.reason_code, 0) + 1
        return
    if decision.verdict == "defer":
        outbox.mark_deferred(conn, row.outbox_id, now, decision.next_allowed_at or now, decision.reason_code)
        summary.deferred += 1
        return
    recipient = data.load_recipient(conn, row.customer_id)
    if recipient is None:  # the check saw an address a moment ago; be safe anyway
        outbox.mark_cancelled(conn, row.outbox_id, now, "no_address")
        summary.cancelled += 1
        return
    try:
        rendered = render_reminder(
            row.template,
            recipient.language,
            invoices=items,
            as_of=snapshot_date or row.as_of_date,
            company_name=company_name,
            contact_name=recipient.contact_name,
            reference=row.idempotency_key[:12],
        )
        result = channel.send(
            OutboundEmail(
                to_email=recipient.email,
                to_name=recipient.contact_name,
                subject=rendered.subject,
                text=rendered.text,
                html=rendered.html,
                idempotency_key=row.idempotency_key,
                categories=("cobranza", row.step),
                custom_args={"outbox_id": str(row.outbox_id), "step": row.step},
            )
        )
    except (ChannelError, jinja2.TemplateError) as exc:
        transient = isinstance(exc, ChannelError) and exc.transient
        code = exc.code if isinstance(exc, ChannelError) else f"template_error {type(exc).__name__}"
        # Transient: retry after a backoff that grows with attempts; permanent: give up now.
        retry_at = now + dt.timedelta(minutes=15 * row.attempts)
        outbox.mark_failed(conn, row.outbox_id, now, code, retry_at, give_up=not transient)
        summary.failed += 1
        return
    outbox.mark_sent(conn, row.outbox_id, now, result.provider_message_id)
    summary.sent += 1


def dispatch(
    dsn: str,
    now: dt.datetime,
    *,
    channel_factory: Callable[[], EmailChannel] | None = None,
    batch_size: int | None = None,
    company_name: str | None = None,
) -> DispatchSummary:
    """Send every outbox row due at `now` (timezone-aware). Each is rechecked at `now` and ends
    'sent' (with the provider's message id), 'cancelled' (reason), 'deferred' (next allowed
    instant) or 'failed' (attempts counted; retried by a later dispatch while attempts remain).
    `channel_factory` defaults to SendGrid configured from settings; batch size and company name
    default to settings too."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    from cartera.config import get_settings

    settings = get_settings()
    batch_size = batch_size or settings.email_batch_size
    company_name = company_name or settings.company_name
    summary = DispatchSummary()
    with connect(dsn) as conn:
        if not outbox.has_due(conn, now, max_attempts=MAX_SEND_ATTEMPTS):
            return summary
        # Build the channel before claiming: a missing key must not strand rows in 'sending'.
        if channel_factory is None:
            from cartera.channels.sendgrid_email import SendGridEmailChannel

            channel_factory = SendGridEmailChannel.from_settings
        channel = channel_factory()  # one client for the whole run
        rows = outbox.claim_due(conn, now, limit=batch_size, max_attempts=MAX_SEND_ATTEMPTS)
        while rows:
            summary.claimed += len(rows)
            for row in rows:
                _send_one(conn, row, now, channel, company_name, summary)
                conn.commit()
            # Rows handled above now sit in a final state or in the future: the loop ends.
            rows = (
                outbox.claim_due(conn, now, limit=batch_size, max_attempts=MAX_SEND_ATTEMPTS)
                if len(rows) == batch_size
                else []
            )
    _log.info(
        "campaign dispatch at %s: claimed=%d sent=%d cancelled=%d deferred=%d failed=%d",
        now.isoformat(),
        summary.claimed,
        summary.sent,
        summary.cancelled,
        summary.deferred,
        summary.failed,
    )
    return summary
