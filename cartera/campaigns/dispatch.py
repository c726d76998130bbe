"""Dispatch: send what is due, exactly once in effect, at the instant the law is checked.

What "exactly once" means with providers that do not de-duplicate (docs/reliability.md):

1. **Recover first.** Rows left ``sending`` past their lease (a dispatcher was killed or lost
   its database) become ``unknown`` when an attempt had started, ``pending`` when none had.
2. **Reconcile** every ``unknown`` row before sending anything: the provider's events (stored by
   the receiver) or its search API say whether it was accepted → ``sent``; no confirmation inside
   the reconciliation window → ``review`` for a person, never a blind resend.
3. **Claim** a batch of due rows with a lease (``FOR UPDATE SKIP LOCKED``), then take every
   customer's advisory lock of the batch, in sorted order (two dispatchers never deadlock), and
   under them read what the check needs for the whole batch at once (current invoices,
   profiles, holds, histories, recent payments, recipients, payment references: one query
   each, not one per row). Then, row by row, re-check the law **at the real instant** (the
   injected `clock`, read just before that row's decision), record the decision, and render
   (large dispatches render and judge their e-mails on every core first: :mod:`prerender`).
   Every message the law lets go gets an attempt row, ``prepared``, and all of it is committed
   together — decisions and attempts under the locks. A message let go counts in its
   customer's history at once, so the customer's next row in the same batch sees it.
4. **Send**: the messages are grouped into requests (:meth:`~cartera.channels.BatchChannel.request_groups`:
   SendGrid takes up to 1,000 personalizations per request; a channel without batching, or
   ``request_size=1``, sends one request each). Before each request its attempts are marked
   requested and committed; a dispatcher that dies before that leaves attempts that certainly
   sent nothing, and recovery gives those rows back ``pending``. The request's outcome, per
   message: accepted → ``sent`` with ``sent_at`` = its own instant of the law; certainly not
   accepted → ``failed`` with a backoff (Retry-After honoured); maybe accepted (time-out, reset,
   5xx) → every message of the request ``unknown``, reconciled per key; 401/403 → every row not
   yet sent goes back untouched, an alert is raised and :class:`~cartera.errors.ConfigurationError`
   stops the task. Nothing is ever counted as a bounce for a configuration error.
5. A **circuit per provider** opens after consecutive failed requests (a batched request counts
   once), or at once on 429 for its Retry-After; while open, claimed rows go back to wait.
6. **Progress**: every ``progress_every`` claimed rows the log says claimed/due, sent, cancelled,
   deferred, failed, unknown, the rate per second and the time left (counts only).

Decisions and attempts are committed per batch before any request, and each request's outcome
right after it, so a crash at any point leaves each row sent, pending, unknown (reconciled next
run) or held for review — never lost, never twice.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import psycopg

from cartera import alerts
from cartera.campaigns import attempts, message_context, outbox
from cartera.campaigns import contact_data as data
from cartera.campaigns.candidates import Candidate, OpenItem
from cartera.campaigns.contact_check import check, policy_engine
from cartera.campaigns.content_check import content_version
from cartera.campaigns.decisions import audit_record, step_of
from cartera.campaigns.playbook import Step
from cartera.campaigns.prerender import Prerenderer, Rendered, RenderJob, render_and_judge
from cartera.campaigns.rendering import RenderedMessage
from cartera.channels import (
    BatchChannel,
    Channel,
    ChannelError,
    OutboundMessage,
    ReconciliationUnavailable,
    SendResult,
)
from cartera.db import connect
from cartera.errors import ConfigurationError
from cartera.logs import get_logger
from cartera.policy.audit import AuditRecord, record_decisions
from cartera.policy.models import ContactProfile, SentMessage

_log = get_logger(__name__)
MAX_SEND_ATTEMPTS = 3
Clock = Callable[[], dt.datetime]
ChannelFactory = Callable[[], Channel]


def system_clock() -> dt.datetime:
    """The real instant (UTC). The law is checked against it just before each send."""
    return dt.datetime.now(dt.UTC)


def _is_local(url: str | None) -> bool:
    from urllib.parse import urlsplit

    return url is not None and (urlsplit(url).hostname or "") in ("127.0.0.1", "localhost", "::1")


def replay_clock(start: dt.datetime, *, sendgrid_host: str | None, twilio_base_url: str | None) -> Clock:
    """A clock that starts at `start` (a run's logical instant) and advances in real time: for
    replaying a past day in the demo and the end-to-end tests. Refused (ConfigurationError)
    unless every provider is a local fake, so no real message is ever sent on a replayed clock."""
    if not _is_local(sendgrid_host) or (twilio_base_url is not None and not _is_local(twilio_base_url)):
        raise ConfigurationError(
            "CARTERA_SIMULATED_CLOCK is for local fakes only: unset it, or point CARTERA_SENDGRID_HOST and "
            "CARTERA_TWILIO_BASE_URL at 127.0.0.1"
        )
    import time

    origin = time.monotonic()
    return lambda: start + dt.timedelta(seconds=time.monotonic() - origin)


@dataclass
class DispatchSummary:
    """Counts of one dispatch run."""

    claimed: int = 0
    sent: int = 0
    cancelled: int = 0
    deferred: int = 0
    failed: int = 0
    unknown: int = 0
    released: int = 0
    reclaimed: int = 0
    reconciled_sent: int = 0
    held_for_review: int = 0
    cancel_reasons: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class DispatchOptions:
    batch_size: int = 100
    company_name: str = "cartera"
    lease: dt.timedelta = dt.timedelta(minutes=5)
    reconcile_window: dt.timedelta = dt.timedelta(minutes=60)
    circuit_threshold: int = 5
    circuit_cooldown: dt.timedelta = dt.timedelta(minutes=5)
    max_attempts: int = MAX_SEND_ATTEMPTS
    # Messages per provider request where the channel can batch (SendGrid: ≤ 1,000
    # personalizations); 1 sends one request per message.
    request_size: int = 1000
    progress_every: int = 1000  # log counts, rate and time left every this many claimed rows
    # E-mails rendered and judged in this many worker processes when at least `prerender_from`
    # rows are due (below that, starting the workers costs more than it saves); 1: in-process.
    render_workers: int = field(default_factory=lambda: min(os.cpu_count() or 1, 4))
    prerender_from: int = 2000


class _Channels:
    """Channels built on first use (a dispatch with nothing for SMS needs no Twilio credentials)."""

    def __init__(self, factories: Mapping[str, ChannelFactory]) -> None:
        self._factories = dict(factories)
        self._built: dict[str, Channel] = {}

    @property
    def names(self) -> list[str]:
        return sorted(self._factories)

    def get(self, name: str) -> Channel | None:
        if name not in self._built:
            factory = self._factories.get(name)
            if factory is None:
                return None
            self._built[name] = factory()
        return self._built[name]


def _as_clock(now: dt.datetime | Clock) -> Clock:
    if isinstance(now, dt.datetime):
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        fixed = now
        return lambda: fixed
    return now


def _now(clock: Clock) -> dt.datetime:
    instant = clock()
    if instant.tzinfo is None:
        raise ValueError("the clock must return timezone-aware instants")
    return instant


def dispatch(
    dsn: str,
    now: dt.datetime | Clock | None = None,
    *,
    channel_factory: ChannelFactory | None = None,
    channels: Mapping[str, ChannelFactory] | None = None,
    batch_size: int | None = None,
    company_name: str | None = None,
    options: DispatchOptions | None = None,
) -> DispatchSummary:
    """Recover, reconcile, then send every row due now. `now` is a clock (called before each
    send; default the system clock) or a fixed instant (tests, replays). `channels` maps a
    channel name to a factory; `channel_factory` is the e-mail one (default: SendGrid from
    settings). Raises ConfigurationError when a provider refuses the credentials."""
    clock = _as_clock(now) if now is not None else system_clock
    opts = options or _options_from_settings(batch_size, company_name)
    factories: dict[str, ChannelFactory] = dict(channels or {})
    if channel_factory is not None:
        factories["email"] = channel_factory
    _default_factories(factories)
    registry = _Channels(factories)
    summary = DispatchSummary()
    with connect(dsn) as conn:
        _recover_expired(conn, _now(clock), summary)
        _reconcile_unknown(dsn, conn, clock, registry, opts, summary)
        if outbox.has_due(conn, _now(clock), max_attempts=opts.max_attempts):
            _send_due(dsn, conn, clock, registry, opts, summary)
        _alert_on_stuck(dsn, conn, _now(clock))
    _log.info(
        "dispatch: claimed=%d sent=%d cancelled=%d deferred=%d failed=%d unknown=%d released=%d reclaimed=%d "
        "reconciled_sent=%d review=%d",
        summary.claimed,
        summary.sent,
        summary.cancelled,
        summary.deferred,
        summary.failed,
        summary.unknown,
        summary.released,
        summary.reclaimed,
        summary.reconciled_sent,
        summary.held_for_review,
    )
    return summary


def _default_factories(factories: dict[str, ChannelFactory]) -> None:
    """E-mail through SendGrid; SMS and WhatsApp through Twilio when an account is configured
    (rows on a channel without a configured provider wait, released, and are never failed)."""
    from cartera.config import get_settings

    settings = get_settings()
    if "email" not in factories:
        from cartera.channels.sendgrid_email import SendGridEmailChannel

        factories["email"] = SendGridEmailChannel.from_settings
    if settings.twilio_account_sid:
        from cartera.channels.twilio_messaging import TwilioSmsChannel, TwilioWhatsAppChannel

        if "sms" not in factories and settings.twilio_sms_from:
            factories["sms"] = TwilioSmsChannel.from_settings
        if "whatsapp" not in factories and settings.twilio_whatsapp_from:
            factories["whatsapp"] = TwilioWhatsAppChannel.from_settings


def _options_from_settings(batch_size: int | None, company_name: str | None) -> DispatchOptions:
    from cartera.config import get_settings

    s = get_settings()
    return DispatchOptions(
        batch_size=batch_size or s.email_batch_size,
        company_name=company_name or s.company_name,
        lease=dt.timedelta(seconds=s.dispatch_lease_seconds),
        reconcile_window=dt.timedelta(minutes=s.reconcile_window_minutes),
        circuit_threshold=s.circuit_failure_threshold,
        circuit_cooldown=dt.timedelta(seconds=s.circuit_cooldown_seconds),
    )


# -- 1. recover ------------------------------------------------------------------------------


def _recover_expired(conn: psycopg.Connection, now: dt.datetime, summary: DispatchSummary) -> None:
    for outbox_id, started in outbox.expired_leases(conn, now):
        summary.reclaimed += 1
        if started:
            # The request may have left before the dispatcher died: reconcile, never resend.
            attempts.close_open(conn, outbox_id, now, "unknown", "lease_expired")
            conn.execute(
                "update ops.outbox set status = 'unknown', last_error = 'lease_expired', lease_until = null, "
                "updated_at = %s where outbox_id = %s and status = 'sending'",
                (now, outbox_id),
            )
        else:
            # Claimed, maybe decided with its attempt prepared, but no request made: nothing left.
            attempts.close_open(conn, outbox_id, now, "not_sent", "lease_expired_before_request")
            outbox.release(conn, outbox_id, now, now, "lease_expired_before_send")
    conn.commit()


# -- 2. reconcile ----------------------------------------------------------------------------


def _event_confirmation(conn: psycopg.Connection, key: str) -> str | None:
    """The provider message id from an event the receiver stored for this key, if any."""
    exists = conn.execute("select to_regclass('ops.message_events') is not null").fetchone()
    if not exists or not exists[0]:
        return None
    row = conn.execute(
        "select coalesce(provider_message_id, '') from ops.message_events where idempotency_key = %s "
        "and event_type not in ('unknown') order by occurred_at limit 1",
        (key,),
    ).fetchone()
    return str(row[0]) or "event" if row else None


def _reconcile_unknown(
    dsn: str,
    conn: psycopg.Connection,
    clock: Clock,
    registry: _Channels,
    opts: DispatchOptions,
    summary: DispatchSummary,
) -> None:
    rows = outbox.load_rows(conn, "unknown")
    for row in rows:
        now = _now(clock)
        attempt = attempts.last_started(conn, row.outbox_id)
        since = attempt.started_at if attempt else now
        found_id = _event_confirmation(conn, row.idempotency_key)
        if found_id is None:
            found_id = _ask_provider(conn, row, registry, since, attempt)
        if found_id is not None:
            provider_id = None if found_id in ("event", "") else found_id
            outbox.mark_sent(conn, row.outbox_id, now, provider_id, sent_at=since, from_statuses=("unknown",))
            if attempt is not None:
                attempts.finish(conn, attempt.attempt_id, now, "found", provider_message_id=provider_id)
            summary.reconciled_sent += 1
        elif now - since >= opts.reconcile_window:
            outbox.mark_review(conn, row.outbox_id, now, "no_confirmation_in_window")
            if attempt is not None:
                attempts.finish(conn, attempt.attempt_id, now, "not_found", error_code="no_confirmation_in_window")
            summary.held_for_review += 1
        conn.commit()


def _ask_provider(
    conn: psycopg.Connection,
    row: outbox.OutboxRow,
    registry: _Channels,
    since: dt.datetime,
    attempt: attempts.Attempt | None,
) -> str | None:
    channel = registry.get(row.channel)
    if channel is None:
        return None
    recipient = data.load_recipient(conn, row.customer_id)
    message = OutboundMessage(
        channel=row.channel,  # type: ignore[arg-type]
        to=(recipient.address_for(row.channel) or "") if recipient else "",
        text="",
        idempotency_key=row.idempotency_key,
        custom_args={"content_sha256": attempt.content_sha256 or ""} if attempt else {},
    )
    try:
        record = channel.find_sent(message, since)
    except ReconciliationUnavailable as exc:
        _log.warning("reconcile outbox_id=%d: %s", row.outbox_id, exc)
        return None
    if record is None:
        return None
    return record.provider_message_id or "event"


# -- 3. send ---------------------------------------------------------------------------------


class _Progress:
    """Counts, rate and time left, logged every `every` claimed rows (counts only: no personal data)."""

    def __init__(self, due: int, every: int) -> None:
        import time

        self._time = time.monotonic
        self.started = self._time()
        self.due = due
        self.every = max(1, every)
        self._next = self.every
        self._logged = -1

    def tick(self, summary: DispatchSummary, *, final: bool = False) -> None:
        if (not final and summary.claimed < self._next) or (final and summary.claimed == self._logged):
            return
        self._logged = summary.claimed
        while self._next <= summary.claimed:
            self._next += self.every
        elapsed = max(self._time() - self.started, 1e-9)
        rate = summary.claimed / elapsed
        left = max(self.due - summary.claimed, 0)
        _log.info(
            "dispatch progress: claimed=%d/%d sent=%d cancelled=%d deferred=%d failed=%d unknown=%d "
            "rate=%.1f/s left=%d eta=%.0fs",
            summary.claimed,
            self.due,
            summary.sent,
            summary.cancelled,
            summary.deferred,
            summary.failed,
            summary.unknown,
            rate,
            left,
            left / rate if rate > 0 else 0.0,
        )


def _send_due(
    dsn: str,
    conn: psycopg.Connection,
    clock: Clock,
    registry: _Channels,
    opts: DispatchOptions,
    summary: DispatchSummary,
) -> None:
    dispatcher = f"{socket.gethostname()}:{os.getpid()}"
    due = outbox.count_due(conn, _now(clock), max_attempts=opts.max_attempts)
    progress = _Progress(due, opts.progress_every)
    prerender = Prerenderer(opts.render_workers) if opts.render_workers > 1 and due >= opts.prerender_from else None
    try:
        while True:
            rows = outbox.claim_due(
                conn, _now(clock), limit=opts.batch_size, max_attempts=opts.max_attempts, lease=opts.lease
            )
            if not rows:
                return
            summary.claimed += len(rows)
            try:
                _send_batch(dsn, conn, rows, clock, registry, opts, summary, dispatcher, prerender)
            except ConfigurationError:
                # The rest of the claimed rows go back untouched, then the task fails loudly.
                conn.rollback()
                now = _now(clock)
                for rest in rows:  # only rows still 'sending' (without an attempt) are given back
                    cur = conn.execute(
                        "select 1 from ops.outbox where outbox_id = %s and status = 'sending'", (rest.outbox_id,)
                    ).fetchone()
                    if cur is not None:
                        outbox.release(conn, rest.outbox_id, now, now, "stopped_configuration_error")
                        summary.released += 1
                conn.commit()
                raise
            conn.commit()
            progress.tick(summary)
            if len(rows) < opts.batch_size:
                return
    finally:
        if prerender is not None:
            prerender.close()
        progress.tick(summary, final=True)


@dataclass
class _Ready:
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


def _send_batch(
    dsn: str,
    conn: psycopg.Connection,
    rows: list[outbox.OutboxRow],
    clock: Clock,
    registry: _Channels,
    opts: DispatchOptions,
    summary: DispatchSummary,
    dispatcher: str,
    prerender: Prerenderer | None = None,
) -> None:
    """Decide every claimed row under its customer's lock with the batch's data read once, commit
    the decisions and one attempt row per message, then make the requests."""
    by_channel: dict[str, list[outbox.OutboxRow]] = {}
    for row in rows:
        by_channel.setdefault(row.channel, []).append(row)
    sendable: list[outbox.OutboxRow] = []
    for name, channel_rows in sorted(by_channel.items()):
        channel = registry.get(name)
        now = _now(clock)
        if channel is None:
            for row in channel_rows:
                outbox.release(conn, row.outbox_id, now, now + dt.timedelta(hours=1), f"no_{name}_channel_configured")
                summary.released += 1
            conn.commit()
            _dispatch_alert(
                dsn, now, "channel_not_configured", "high",
                f"messages planned on {name} wait: no provider is configured for that channel.",
                [name], entity=("channel", name),
            )  # fmt: skip
            continue
        open_until = attempts.circuit_open_until(conn, channel.provider, now)
        if open_until is not None:
            for row in channel_rows:
                outbox.release(conn, row.outbox_id, now, open_until, f"circuit_open_{channel.provider}")
                summary.released += 1
            continue
        sendable.extend(channel_rows)
    conn.commit()
    if not sendable:
        return
    ready = _decide(conn, sendable, clock, registry, opts, summary, dispatcher, prerender)
    conn.commit()  # decisions and attempts durable before any request leaves (and the locks released)
    by_provider: dict[str, list[_Ready]] = {}
    for item in ready:
        by_provider.setdefault(item.row.channel, []).append(item)
    for name, items in sorted(by_provider.items()):
        channel = registry.get(name)
        assert channel is not None
        _deliver(dsn, conn, channel, items, clock, opts, summary)


def _decide(
    conn: psycopg.Connection,
    rows: list[outbox.OutboxRow],
    clock: Clock,
    registry: _Channels,
    opts: DispatchOptions,
    summary: DispatchSummary,
    dispatcher: str,
    prerender: Prerenderer | None,
) -> list[_Ready]:
    """Under every customer's lock: read what may have changed (for the whole batch at once),
    then per row read the clock, check the law at that instant, record the decision; start one
    attempt per message the law lets go. The caller commits."""
    customers = sorted({row.customer_id for row in rows})
    _lock_customers(conn, customers)
    start = _now(clock)  # after the locks: everything below is read under them
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
        jobs: dict[int, RenderJob] = {}
        for row in rows:
            recipient = recipients.get(row.customer_id)
            items = tuple(current.get(i) or data.closed_placeholder(i, row.customer_id) for i in row.invoice_ids)
            if row.channel == "email" and recipient and recipient.email and all(i.is_open for i in items):
                profile = profiles[row.customer_id]
                jobs[row.outbox_id] = _render_job(row, items, recipient, profile, snapshot_date, references, opts)
        prerendered = dict(zip(jobs, prerender.map(list(jobs.values())), strict=True))
    audits: list[AuditRecord] = []
    steps: dict[tuple[str, str, str, str], Step] = {}
    ready: list[_Ready] = []
    for row in rows:
        now = _now(clock)  # the instant of the law, read just before this row's decision
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
                _render_job(row, items, recipient, profile, snapshot_date, references, opts),
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
        ready.append(_Ready(row, message, now, content_version(rendered)))
        # The customer's next row in this batch counts this one, as it would once in flight.
        history.append(SentMessage(at=now, channel=row.channel, invoice_ids=row.invoice_ids, outcome="sent"))
    record_decisions(conn, audits)
    by_provider: dict[str, list[_Ready]] = {}
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


def _render_job(
    row: outbox.OutboxRow,
    items: tuple[OpenItem, ...],
    recipient: data.Recipient,
    profile: ContactProfile,
    snapshot_date: dt.date | None,
    references: Mapping[str, str],
    opts: DispatchOptions,
) -> RenderJob:
    return RenderJob(
        channel=row.channel,
        template=row.template,
        language=recipient.language,
        invoices=items,
        as_of=snapshot_date or row.as_of_date,
        company_name=opts.company_name,
        contact_name=recipient.contact_name,
        reference=references.get(row.customer_id, row.customer_id),
        country=profile.country,
        is_consumer=profile.is_consumer,
    )


def _deliver(
    dsn: str,
    conn: psycopg.Connection,
    channel: Channel,
    items: list[_Ready],
    clock: Clock,
    opts: DispatchOptions,
    summary: DispatchSummary,
) -> None:
    """The requests of one channel's messages (attempts already committed): grouped into shared
    requests when the channel can, else one request each; the circuit is looked at before each."""
    messages = [item.message for item in items]
    if isinstance(channel, BatchChannel) and opts.request_size > 1:
        groups = channel.request_groups(messages, max_size=opts.request_size)
    else:
        groups = [[i] for i in range(len(items))]
    for number, group in enumerate(groups):
        now = _now(clock)
        open_until = attempts.circuit_open_until(conn, channel.provider, now)
        if open_until is not None:
            # Nothing of these left: give the rows back, their attempts closed as not sent.
            for index in group:
                item = items[index]
                assert item.attempt is not None
                attempts.finish(conn, item.attempt.attempt_id, now, "not_sent", error_code="circuit_open")
                outbox.release(conn, item.row.outbox_id, now, open_until, f"circuit_open_{channel.provider}")
                summary.released += 1
            conn.commit()
            continue
        batch = [items[i] for i in group]
        attempts.mark_requested(conn, [item.attempt.attempt_id for item in batch if item.attempt is not None])
        conn.commit()  # from here on these messages may have left: a crash makes them unknown
        try:
            if isinstance(channel, BatchChannel) and len(batch) > 1:
                answers = channel.send_many([item.message for item in batch])
            else:
                answers = [_send_single(channel, batch[0].message)]
            _record_answers(dsn, conn, channel.provider, batch, answers, clock, opts, summary)
        except ConfigurationError:
            # Requests not made yet: their attempts are closed as not sent, their rows given back.
            later = [items[i] for g in groups[number + 1 :] for i in g]
            now = _now(clock)
            for item in later:
                assert item.attempt is not None
                attempts.finish(
                    conn, item.attempt.attempt_id, now, "not_sent", error_code="stopped_configuration_error"
                )
                outbox.release(conn, item.row.outbox_id, now, now, "stopped_configuration_error")
                summary.released += 1
            conn.commit()
            raise
        conn.commit()


def _send_single(channel: Channel, message: OutboundMessage) -> SendResult | ChannelError:
    try:
        return channel.send(message)
    except ChannelError as exc:
        return exc


def _record_answers(
    dsn: str,
    conn: psycopg.Connection,
    provider: str,
    batch: list[_Ready],
    answers: list[SendResult | ChannelError],
    clock: Clock,
    opts: DispatchOptions,
    summary: DispatchSummary,
) -> None:
    """What one request's answer means for each of its messages. The circuit counts the request
    once (a batch refused for one reason is one failure, not a thousand)."""
    done = _now(clock)
    accepted: dict[tuple[str | None, int], list[_Ready]] = {}
    failures: list[tuple[_Ready, ChannelError]] = []
    for item, answer in zip(batch, answers, strict=True):
        if isinstance(answer, ChannelError):
            failures.append((item, answer))
        else:
            accepted.setdefault((answer.provider_message_id, answer.status_code), []).append(item)
    for (provider_id, status), sent in accepted.items():
        attempts.finish_accepted(conn, [i.attempt.attempt_id for i in sent if i.attempt], done, status, provider_id)
        outbox.mark_sent_many(conn, [(i.row.outbox_id, i.checked_at) for i in sent], done, provider_id)
        summary.sent += len(sent)
    if accepted:
        attempts.record_success(conn, provider, done)
    auth: ChannelError | None = None
    transient: ChannelError | None = None
    for item, exc in failures:
        assert item.attempt is not None
        _after_error(conn, item.row, item.attempt, exc, done, summary)
        if exc.outcome == "auth":
            auth = auth or exc
        elif exc.transient and transient is None:
            transient = exc
    if auth is not None:
        conn.commit()
        _credentials_refused(dsn, provider, auth, done)
    if transient is not None and not accepted:
        _count_failure(dsn, conn, provider, transient, done, opts)


def _after_error(
    conn: psycopg.Connection,
    row: outbox.OutboxRow,
    attempt: attempts.Attempt,
    exc: ChannelError,
    now: dt.datetime,
    summary: DispatchSummary,
) -> None:
    """One message's refused or uncertain send: its attempt closed, its row moved."""
    attempts.finish(conn, attempt.attempt_id, now, exc.outcome, http_status=exc.status_code, error_code=exc.code)
    if exc.outcome == "auth":
        outbox.release(conn, row.outbox_id, now, now, "provider_refused_credentials")
        summary.released += 1
    elif exc.outcome == "unknown":
        outbox.mark_unknown(conn, row.outbox_id, now, exc.code)
        summary.unknown += 1
    else:
        wait = attempts.backoff(row.idempotency_key, attempt.attempt_no, retry_after=exc.retry_after)
        outbox.mark_failed(
            conn, row.outbox_id, now, exc.code, now + dt.timedelta(seconds=wait), give_up=not exc.transient
        )
        summary.failed += 1


def _dispatch_alert(
    dsn: str,
    now: dt.datetime,
    kind: str,
    severity: alerts.Severity,
    summary: str,
    reasons: list[str],
    *,
    entity: tuple[str, str] | None = None,
) -> None:
    """One alert per fact and day (kind, entity, business day): raised again, it is counted, not repeated."""
    entity_type, entity_id = entity or (None, None)
    alerts.raise_alert(
        dsn,
        alerts.Alert(
            dedup_key=f"dispatch:{kind}:{entity_id or '-'}:{now.date().isoformat()}",
            kind=kind,
            severity=severity,
            summary=summary,
            reasons=reasons,
            entity_type=entity_type,
            entity_id=entity_id,
        ),
        now,
    )


def _credentials_refused(dsn: str, provider: str, exc: ChannelError, now: dt.datetime) -> None:
    _dispatch_alert(
        dsn, now, "provider_credentials_refused", "critical",
        f"{provider} refused the API credentials ({exc.code}); nothing was sent, rows stay pending.",
        [exc.code], entity=("provider", provider),
    )  # fmt: skip
    raise ConfigurationError(
        f"{provider} refused the credentials ({exc.code}): nothing was sent and no row counted as a bounce. "
        f"Fix the API key / account SID and token (environment or Airflow connection), then rerun the dispatch."
    )


def _count_failure(
    dsn: str, conn: psycopg.Connection, provider: str, exc: ChannelError, now: dt.datetime, opts: DispatchOptions
) -> None:
    opened = attempts.record_failure(
        conn,
        provider,
        now,
        exc.code,
        threshold=opts.circuit_threshold,
        cooldown=opts.circuit_cooldown,
        open_for=dt.timedelta(seconds=exc.retry_after) if exc.retry_after is not None else None,
    )
    if opened is not None:
        conn.commit()
        _dispatch_alert(
            dsn, now, "provider_circuit_open", "high",
            f"{provider} circuit open until {opened.isoformat()} after {exc.code}.",
            [exc.code], entity=("provider", provider),
        )  # fmt: skip


def _alert_on_stuck(dsn: str, conn: psycopg.Connection, now: dt.datetime) -> None:
    """One alert per day while messages wait for a person (review) or for reconciliation."""
    counts: dict[str, int] = dict(
        conn.execute(
            "select status, count(*) from ops.outbox where status in ('unknown', 'review') group by status"
        ).fetchall()
    )
    if not counts:
        return
    review, unknown = int(counts.get("review", 0)), int(counts.get("unknown", 0))
    _dispatch_alert(
        dsn, now, "messages_unconfirmed", "high" if review else "warning",
        f"{review} message(s) held for review and {unknown} awaiting reconciliation "
        "(maybe sent; never resent automatically). See docs/reliability.md.",
        [f"review={review}", f"unknown={unknown}"],
    )  # fmt: skip
