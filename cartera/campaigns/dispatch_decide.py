"""A claimed batch decided: under every customer's lock, the law re-checked at the real instant.

Step 3 of :mod:`cartera.campaigns.dispatch`: the batch's data read once (one query each), per row
the clock read just before its decision, the text rendered and judged, the decision recorded, and
one ``prepared`` attempt per message the law lets go. The caller commits.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import psycopg

from cartera.campaigns import attempts, message_context, outbox
from cartera.campaigns import contact_data as data
from cartera.campaigns.candidates import Candidate
from cartera.campaigns.contact_check import check, policy_engine
from cartera.campaigns.content_check import content_version
from cartera.campaigns.decisions import audit_record, step_of
from cartera.campaigns.dispatch_ahead import Ahead, render_job, render_jobs
from cartera.campaigns.dispatch_channels import Channels
from cartera.campaigns.dispatch_options import Clock, DispatchOptions, DispatchSummary, read_clock
from cartera.campaigns.playbook import Step
from cartera.campaigns.prerender import Prerenderer, Rendered, render_and_judge
from cartera.campaigns.rendering import RenderedMessage
from cartera.channels import OutboundMessage
from cartera.policy.audit import AuditRecord, record_decisions
from cartera.policy.models import SentMessage


@dataclass
class Ready:
    """A row the law let go, with its message and the attempt committed before its request."""

    row: outbox.OutboxRow
    message: OutboundMessage
    checked_at: dt.datetime  # the instant of the law: the row's sent_at
    content_sha256: str
    attempt: attempts.Attempt | None = None


def _lock_customers(conn: psycopg.Connection, customer_ids: list[str]) -> None:
    """Every customer's advisory lock (transaction-scoped), taken in one stable order (sorted) so
    two dispatchers locking overlapping batches never deadlock."""
    conn.execute(
        "select count(pg_advisory_xact_lock(hashtextextended('customer:' || c, 7))) "
        "from (select c from unnest(%s::text[]) as c order by c) as ordered",
        (sorted(set(customer_ids)),),
    )


def decide(
    conn: psycopg.Connection,
    rows: list[outbox.OutboxRow],
    clock: Clock,
    registry: Channels,
    opts: DispatchOptions,
    summary: DispatchSummary,
    dispatcher: str,
    prerender: Prerenderer | None,
    ahead: Ahead | None = None,
) -> list[Ready]:
    """Under every customer's lock: read what may have changed (for the whole batch at once),
    then per row read the clock, check the law at that instant, record the decision; start one
    attempt per message the law lets go. A rendering made `ahead` is used only where its job
    equals the one built from the data read here (any other row is rendered here). The caller
    commits."""
    customers = sorted({row.customer_id for row in rows})
    _lock_customers(conn, customers)
    start = read_clock(clock)  # after the locks: everything below is read under them
    snapshot_date, current = data.load_current_items(conn, {i for row in rows for i in row.invoice_ids})
    profiles = data.load_profiles(conn, customers, start)
    holds_by_customer = data.load_holds(conn, customers)
    histories = data.load_histories(conn, customers, exclude_outbox_ids=[row.outbox_id for row in rows])
    payments = data.load_payment_days(conn, customers, start)
    recipients = data.load_recipients(conn, customers)
    references = data.load_payment_references(conn, customers)
    engine = policy_engine()
    prerendered: dict[int, Rendered] = {}
    if prerender is not None:  # e-mails rendered and judged on every core (time-independent)
        audiences = {c: (p.country, p.is_consumer) for c, p in profiles.items()}
        jobs = render_jobs(rows, current, snapshot_date, recipients, audiences, references, opts)
        if ahead is not None:  # rendered ahead from data read without the locks: kept where it still holds
            prerendered = {i: done for i, (job, done) in ahead.rendered().items() if jobs.get(i) == job}
        else:
            prerendered = dict(zip(jobs, prerender.map(list(jobs.values())), strict=True))
    audits: list[AuditRecord] = []
    steps: dict[tuple[str, str, str, str], Step] = {}
    ready: list[Ready] = []
    for row in rows:
        now = read_clock(clock)  # the instant of the law, read just before this row's decision
        items = tuple(current.get(i) or data.closed_placeholder(i, row.customer_id) for i in row.invoice_ids)
        profile = profiles[row.customer_id]
        step_key = (row.step, row.tone, row.template, row.channel)
        step = steps.get(step_key) or steps.setdefault(step_key, step_of(row))  # validated once per kind
        candidate = Candidate(row.customer_id, "new", step, items, channel=row.channel)
        recipient = recipients.get(row.customer_id)
        address = recipient.address_for(row.channel) if recipient else None
        rendered: RenderedMessage | None = None
        template_error: str | None = None
        report = None
        # Render first, so the law judges the exact text that would leave (content rules).
        if row.outbox_id in prerendered:
            rendered, report, template_error = prerendered[row.outbox_id]
        elif recipient is not None and address and all(item.is_open for item in items):
            rendered, report, template_error = render_and_judge(
                render_job(
                    row, items, recipient, (profile.country, profile.is_consumer), snapshot_date, references, opts
                ),
                window_open=row.channel == "whatsapp"
                and message_context.whatsapp_window_open(conn, row.customer_id, now),
            )
        history = histories.setdefault(row.customer_id, [])
        decision = check(
            candidate,
            profile,
            history,
            holds_by_customer.get(row.customer_id, []),
            now,
            payments=payments.recent(row.customer_id, now),
            engine=engine,
            content=report,
        )
        audits.append(
            audit_record(
                decision,
                candidate,
                "send",
                now,
                channel=row.channel,
                batch_id=row.batch_id,
                outbox_id=row.outbox_id,
                key=row.idempotency_key,
            )
        )
        if decision.verdict == "deny":
            outbox.mark_cancelled(conn, row.outbox_id, now, decision.reason_code)
            summary.cancelled += 1
            summary.cancel_reasons[decision.reason_code] = summary.cancel_reasons.get(decision.reason_code, 0) + 1
            continue
        if decision.verdict == "defer":
            outbox.mark_deferred(conn, row.outbox_id, now, decision.next_allowed_at or now, decision.reason_code)
            summary.deferred += 1
            continue
        if recipient is None or not address:
            outbox.mark_cancelled(conn, row.outbox_id, now, "no_address")
            summary.cancelled += 1
            continue
        if rendered is None:  # a template that does not render: a person fixes it, nothing is sent
            outbox.mark_failed(conn, row.outbox_id, now, template_error or "template_error", now, give_up=True)
            summary.failed += 1
            continue
        message = OutboundMessage(
            channel=row.channel,  # type: ignore[arg-type]
            to=address,
            to_name=recipient.contact_name,
            subject=rendered.subject or None,
            text=rendered.text,
            html=rendered.html or None,
            language=recipient.language,
            template=rendered.template,
            template_variables=rendered.template_variables,
            window_open=row.channel == "whatsapp" and rendered.template is None,
            idempotency_key=row.idempotency_key,
            categories=("cobranza", row.step),
            custom_args={"outbox_id": str(row.outbox_id), "step": row.step},
        )
        # The report's digest is content_version(rendered), computed where it was judged.
        digest = report.content_sha256 if report is not None and report.content_sha256 else content_version(rendered)
        ready.append(Ready(row, message, now, digest))
        # The customer's next row in this batch counts this one, as it would once in flight.
        history.append(SentMessage(at=now, channel=row.channel, invoice_ids=row.invoice_ids, outcome="sent"))
    record_decisions(conn, audits)
    by_provider: dict[str, list[Ready]] = {}
    for item in ready:
        channel = registry.get(item.row.channel)
        assert channel is not None
        by_provider.setdefault(channel.provider, []).append(item)
    for provider, going in by_provider.items():
        started = attempts.start_many(
            conn,
            [
                attempts.AttemptStart(
                    i.row.outbox_id, i.row.idempotency_key, i.row.channel, i.checked_at, i.content_sha256
                )
                for i in going
            ],
            provider=provider,
            dispatcher=dispatcher,
        )
        for item, attempt in zip(going, started, strict=True):
            item.attempt = attempt
    return ready
