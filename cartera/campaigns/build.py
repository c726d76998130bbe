"""The campaigns build: :func:`build_batch` turns a day's open items into outbox rows (and
escalations). It takes its instant as an argument and never reads the clock, so a day can be
rebuilt and replayed exactly. Sending is :mod:`cartera.campaigns.dispatch`.

Guarantees:

* one message per customer per day, across channels: the customer's due steps become one row
  listing every open collectible invoice, in the firmest step's tone
  (:mod:`cartera.campaigns.daily_message`); a customer with an escalation due gets none;
* build is idempotent: rebuilding a day inserts nothing new (keys + ON CONFLICT DO NOTHING, a
  customer with a row that day gets no other, and (step, invoice) pairs already fired are not
  candidates again);
* every allow/defer/deny — collectibility, the playbook's, the learner's choice, the policy
  engine's — is one row of ops.contact_decisions (:func:`cartera.policy.audit.record_decisions`);
* the message is rendered for its channel as dispatch will render it and its text checked against
  the country's content rules (:mod:`cartera.campaigns.content_check`): a template that breaks the
  law is denied here, with the rule id, before the batch is approved — and again at send.

It scales with the day's candidates, not with round trips: what the checks read about the
customers is read once per batch, one query per table (:mod:`cartera.campaigns.build_inputs`), the
engine decides in memory, and the rows are written at the end in one round per table
(:mod:`cartera.campaigns.build_writes`), all in the build's one transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import jinja2

from cartera.campaigns import outbox
from cartera.campaigns.build_inputs import BuildInputs, load_build_inputs
from cartera.campaigns.build_writes import BuildWrites
from cartera.campaigns.candidates import (
    Candidate,
    OpenItem,
    build_candidates,
    load_covered,
    load_messaged_on,
    load_open_items,
    load_segments,
)
from cartera.campaigns.contact_check import can_receive, check, invoice_denials, policy_engine
from cartera.campaigns.content_check import check_rendered
from cartera.campaigns.creditor import Creditor, creditor_from_settings
from cartera.campaigns.daily_message import merge_day
from cartera.campaigns.decisions import audit_record, ruled
from cartera.campaigns.playbook import Playbook, Step, load_playbook
from cartera.campaigns.rendering import render_message
from cartera.db import connect
from cartera.logs import get_logger
from cartera.policy.content import ContentReport
from cartera.policy.engine import PolicyEngine
from cartera.policy.models import ContactProfile, Decision, Hold, Payment
from cartera.run_dates import BOOKS_TZ

if TYPE_CHECKING:  # only a learned build loads the learner (and numpy)
    from cartera.learning.production import BuildStrategy

_log = get_logger(__name__)
IMPLEMENTED_CHANNELS = ("email", "sms", "whatsapp")


def _escalated(version: str) -> Decision:
    return ruled(
        "allow",
        "escalated",
        "Escalado a la cola de cobranza manual; sin mensaje automático.",
        "Escalated to the collector queue; no automatic message.",
        rule_id="playbook/escalation",
        version=version,
    )


def _escalated_today(version: str) -> Decision:
    return ruled(
        "deny",
        "customer_escalated_today",
        "El cliente fue escalado hoy a cobranza manual; sin mensaje automático.",
        "The customer was escalated to the collector queue today; no automatic message.",
        rule_id="playbook/escalation",
        version=version,
    )


def _messaged_today(version: str) -> Decision:
    return ruled(
        "deny",
        "one_message_per_day",
        "El cliente ya tiene su mensaje de hoy.",
        "The customer already has today's message.",
        rule_id="playbook/one_message_per_day",
        version=version,
    )


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
    """The first channel of the step we can send on and the contact can receive
    (:func:`~cartera.campaigns.contact_check.can_receive`); else the first we can send on (so the
    check records why it cannot go); None when the step has none."""
    usable = [c for c in step.channels if c in IMPLEMENTED_CHANNELS]
    for channel in usable:
        if can_receive(channel, profile):
            return channel
    return usable[0] if usable else None


def _statement_items(open_items: Sequence[OpenItem]) -> dict[str, list[OpenItem]]:
    """Each customer's open invoices (due today or not): what a statement lists."""
    by_customer: dict[str, list[OpenItem]] = {}
    for item in open_items:
        if item.is_open:
            by_customer.setdefault(item.customer_id, []).append(item)
    return by_customer


def _collectible(
    due: Sequence[Candidate], statement: Sequence[OpenItem], holds: Sequence[Hold], at: dt.datetime
) -> tuple[list[tuple[Decision, Candidate]], list[Candidate], list[OpenItem]]:
    """(denials with the step they are recorded under, the due steps with only collectible
    invoices (steps left with none dropped), the collectible statement)."""
    step_of = {item.invoice_id: c for c in due for item in c.invoices}
    items = {item.invoice_id: item for item in statement}
    for candidate in due:
        items.update({item.invoice_id: item for item in candidate.invoices})
    everything = due[0].with_invoices(items.values())
    denials = [(d, step_of.get(d.blocked_invoice_ids[0], due[0])) for d in invoice_denials(everything, holds, at)]
    denied = {invoice for d, _ in denials for invoice in d.blocked_invoice_ids}
    live = [c.with_invoices(i for i in c.invoices if i.invoice_id not in denied) for c in due]
    listed = [i for i in items.values() if i.invoice_id not in denied]
    return denials, [c for c in live if c.invoices], listed


def build_batch(
    dsn: str,
    as_of: dt.date,
    *,
    planned_at: dt.datetime | None = None,
    playbook: Playbook | None = None,
    strategy: BuildStrategy | None = None,
) -> BatchSummary:
    """Build the day's batch: candidates from the marts and ml tables for `as_of`, each checked
    at `planned_at` (default :func:`default_planned_at`) and enqueued to send then, or at the
    next allowed instant when deferred. Escalations go to ops.collection_tasks.
    `strategy` (default: the fixed playbook) may change the day's steps (a learned strategy's
    preventive plan) and pick each message's channel, hour and tone among the arms the policy
    engine allows (:mod:`cartera.learning.production`); the check below still decides."""
    playbook = playbook or load_playbook()
    planned_at = planned_at or default_planned_at(as_of)
    if planned_at.tzinfo is None:
        raise ValueError("planned_at must be timezone-aware")
    counts = {"candidates": 0, "enqueued": 0, "escalated": 0, "denied": 0, "deferred": 0}
    creditor = creditor_from_settings()  # a malformed CLABE or RFC fails the build, not each send
    with connect(dsn) as conn:
        open_items = load_open_items(conn, as_of)
        candidates = build_candidates(open_items, load_segments(conn, as_of), playbook, load_covered(conn))
        if strategy is not None:
            candidates = strategy.plan(conn, as_of, candidates)
        statements = _statement_items(open_items)
        due_by_customer: dict[str, list[Candidate]] = {}
        for candidate in candidates:
            due_by_customer.setdefault(candidate.customer_id, []).append(candidate)
        messaged_today = load_messaged_on(conn, as_of)
        inputs = load_build_inputs(conn, due_by_customer, as_of, planned_at, messaged_today)
        engine = policy_engine()  # loaded before the batch opens: a bad rule pack fails fast
        batch_id = outbox.open_batch(conn, as_of, playbook.version, planned_at)
        writes = BuildWrites(batch_id, as_of, planned_at)
        verdicts: dict[str, str] = {}  # outbox key -> the verdict it was enqueued under

        def record(
            decision: Decision, candidate: Candidate, channel: str | None = None, key: str | None = None
        ) -> None:
            writes.decision(
                audit_record(decision, candidate, "build", planned_at, channel=channel, batch_id=batch_id, key=key)
            )

        counts["candidates"] = len(candidates)
        for customer, due in sorted(due_by_customer.items()):
            customer_holds = inputs.holds.get(customer, [])
            denials, live, listed = _collectible(due, statements.get(customer, []), customer_holds, planned_at)
            for denial, under in denials:
                record(denial, under)
            if not live:
                counts["denied"] += 1
                continue
            escalations = [c for c in live if c.step.action == "escalate"]
            if escalations:  # the collector takes the customer today: no automatic message
                for candidate in escalations:
                    record(_escalated(playbook.version), candidate, key=writes.escalation(candidate))
                for candidate in live:
                    if candidate.step.action != "escalate":
                        record(_escalated_today(playbook.version), candidate)
                continue
            daily = merge_day(live, listed)
            message = daily.candidate
            profile = inputs.profile(customer)
            channel = _choose_channel(message.step, profile)
            message = message.with_channel(channel) if channel else message
            at = planned_at
            if strategy is not None and channel is not None:
                writes.flush_decisions(conn)  # the learner records its own: keep the audit in order
                message, at = strategy.choose(
                    conn, message, profile, customer_holds, planned_at, engine, batch_id, as_of
                )
                channel = message.channel
            key = outbox.idempotency_key(customer, channel or "-", as_of)
            if customer in messaged_today and key not in inputs.existing_keys:
                record(_messaged_today(playbook.version), message, channel)
                continue
            history = inputs.history(customer)
            payments: list[Payment] = inputs.payments(customer, planned_at)
            report = _content_report(inputs, engine, message, profile, creditor, as_of, planned_at)
            decision = check(
                message, profile, history, customer_holds, planned_at, payments=payments, engine=engine, content=report
            )
            record(decision, message, channel, key)
            for covered in live:  # the other due steps say where they went
                if covered.step.name != message.step.name:
                    record(_merged(decision, message.step.name, playbook.version), covered, channel, key)
            if decision.verdict == "deny":
                counts["denied"] += 1
                continue
            not_before = at if decision.verdict == "allow" else max(at, decision.next_allowed_at or planned_at)
            key = writes.message(message, not_before, steps=daily.steps, step_invoices=daily.step_invoices)
            verdicts[key] = decision.verdict
        new_messages, new_tasks = writes.flush(conn)
        counts["escalated"] = len(new_tasks)
        counts["enqueued"] = len(new_messages)
        counts["deferred"] = sum(1 for key in new_messages if verdicts[key] == "defer")
        outbox.close_batch(conn, batch_id, playbook.version, planned_at, counts)
    _log.info("campaign batch %s: %s", batch_id, counts)
    return BatchSummary(batch_id=batch_id, as_of=as_of, **counts)


def _content_report(
    inputs: BuildInputs,
    engine: PolicyEngine,
    message: Candidate,
    profile: ContactProfile,
    creditor: Creditor,
    as_of: dt.date,
    planned_at: dt.datetime,
) -> ContentReport | None:
    """The content check of `message` rendered as dispatch would render it at `planned_at`
    (same function, channel, language and template); None when it cannot be rendered for want of
    a channel or an address (the check then denies for that reason). A template that fails to
    render is left to dispatch, which fails the row for a person to fix."""
    channel = message.channel
    if channel is None or not message.invoices or message.step.template is None:
        return None
    recipient = inputs.recipients.get(message.customer_id)
    if recipient is None or not recipient.address_for(channel):
        return None
    try:
        rendered = render_message(
            channel,
            message.step.template,
            recipient.language,
            invoices=message.invoices,
            as_of=as_of,
            creditor=creditor,
            contact_name=recipient.contact_name,
            reference=inputs.reference(message.customer_id),
            window_open=channel == "whatsapp" and message.customer_id in inputs.whatsapp_open,
        )
    except jinja2.TemplateError as exc:
        _log.warning("build: template %s does not render (%s)", message.step.template, type(exc).__name__)
        return None
    return check_rendered(
        engine, rendered, channel=channel, country=profile.country, is_consumer=profile.is_consumer, creditor=creditor
    )


def _merged(decision: Decision, into: str, version: str) -> Decision:
    """The audit line of a due step merged into the day's message of step `into`."""
    return ruled(
        decision.verdict,
        "merged_into_daily_message",
        f"Incluido en el mensaje del día (paso {into}).",
        f"Included in the day's message (step {into}).",
        rule_id="playbook/one_message_per_day",
        version=version,
        next_allowed_at=decision.next_allowed_at,
    )
