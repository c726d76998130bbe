"""A claimed batch sent: channels and circuits looked at, the batch decided, the requests made.

Step 4 of :mod:`cartera.campaigns.dispatch`: attempts marked requested and committed before each
request, and each request's answer recorded per message right after it (accepted → ``sent``,
refused → ``failed`` with a backoff, maybe accepted → ``unknown``, credentials refused → rows
given back and :class:`~cartera.errors.ConfigurationError`).
"""

from __future__ import annotations

import datetime as dt

import psycopg

from cartera.campaigns import attempts, outbox
from cartera.campaigns.dispatch_ahead import Ahead
from cartera.campaigns.dispatch_channels import Channels, count_failure, credentials_refused, dispatch_alert
from cartera.campaigns.dispatch_decide import Ready, decide
from cartera.campaigns.dispatch_options import Clock, DispatchOptions, DispatchSummary, read_clock
from cartera.campaigns.prerender import Prerenderer
from cartera.channels import BatchChannel, Channel, ChannelError, OutboundMessage, SendResult
from cartera.errors import ConfigurationError


def send_batch(
    dsn: str,
    conn: psycopg.Connection,
    rows: list[outbox.OutboxRow],
    clock: Clock,
    registry: Channels,
    opts: DispatchOptions,
    summary: DispatchSummary,
    dispatcher: str,
    prerender: Prerenderer | None = None,
    ahead: Ahead | None = None,
) -> None:
    """Decide every claimed row under its customer's lock with the batch's data read once, commit
    the decisions and one attempt row per message, then make the requests. `ahead`: the batch's
    e-mails being rendered already (:mod:`.dispatch_ahead`)."""
    by_channel: dict[str, list[outbox.OutboxRow]] = {}
    for row in rows:
        by_channel.setdefault(row.channel, []).append(row)
    sendable: list[outbox.OutboxRow] = []
    for name, channel_rows in sorted(by_channel.items()):
        channel = registry.get(name)
        now = read_clock(clock)
        if channel is None:
            for row in channel_rows:
                outbox.release(conn, row.outbox_id, now, now + dt.timedelta(hours=1), f"no_{name}_channel_configured")
                summary.released += 1
            conn.commit()
            dispatch_alert(
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
    ready = decide(conn, sendable, clock, registry, opts, summary, dispatcher, prerender, ahead)
    conn.commit()  # decisions and attempts durable before any request leaves (and the locks released)
    by_provider: dict[str, list[Ready]] = {}
    for item in ready:
        by_provider.setdefault(item.row.channel, []).append(item)
    for name, items in sorted(by_provider.items()):
        channel = registry.get(name)
        assert channel is not None
        _deliver(dsn, conn, channel, items, clock, opts, summary)


def _deliver(
    dsn: str,
    conn: psycopg.Connection,
    channel: Channel,
    items: list[Ready],
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
        now = read_clock(clock)
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
            now = read_clock(clock)
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
    batch: list[Ready],
    answers: list[SendResult | ChannelError],
    clock: Clock,
    opts: DispatchOptions,
    summary: DispatchSummary,
) -> None:
    """What one request's answer means for each of its messages. The circuit counts the request
    once (a batch refused for one reason is one failure, not a thousand)."""
    done = read_clock(clock)
    accepted: dict[tuple[str | None, int], list[Ready]] = {}
    failures: list[tuple[Ready, ChannelError]] = []
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
        credentials_refused(dsn, provider, auth, done)
    if transient is not None and not accepted:
        count_failure(dsn, conn, provider, transient, done, opts)


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
