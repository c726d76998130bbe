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
   (large dispatches render and judge their e-mails on every core first: :mod:`prerender`; the
   next batch is then claimed and rendered while this one is decided and sent, and a rendering
   made ahead is used only where the data read under the locks still gives the same job:
   :mod:`.dispatch_ahead`).
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
6. **Progress**: every ``progress_every`` claimed rows the log says claimed/due, the rate per
   second and the time left (:class:`~cartera.progress.Progress`), sent, cancelled, deferred,
   failed and unknown (counts only).

Decisions and attempts are committed per batch before any request, and each request's outcome
right after it, so a crash at any point leaves each row sent, pending, unknown (reconciled next
run) or held for review — never lost, never twice.

This module runs the steps in order and claims the batches (with the progress log); the steps are
beside it: :mod:`.reconcile` (1, 2), :mod:`.dispatch_decide` (3), :mod:`.dispatch_send` (4),
:mod:`.dispatch_channels` (channels, circuits, alerts) and :mod:`.dispatch_options` (options,
summary, clock).
"""

from __future__ import annotations

import datetime as dt
import math
import os
import socket
from collections.abc import Mapping

import psycopg

from cartera.campaigns import outbox
from cartera.campaigns.dispatch_ahead import Ahead, RenderAhead
from cartera.campaigns.dispatch_channels import Channels, alert_on_stuck, default_factories
from cartera.campaigns.dispatch_options import (
    MAX_SEND_ATTEMPTS,
    ChannelFactory,
    Clock,
    DispatchOptions,
    DispatchSummary,
    as_clock,
    options_from_settings,
    read_clock,
    replay_clock,
    system_clock,
)
from cartera.campaigns.dispatch_send import send_batch
from cartera.campaigns.prerender import Prerenderer
from cartera.campaigns.reconcile import reconcile_unknown, recover_expired
from cartera.db import connect
from cartera.errors import ConfigurationError
from cartera.logs import get_logger
from cartera.progress import Progress

__all__ = [
    "MAX_SEND_ATTEMPTS",
    "ChannelFactory",
    "Clock",
    "DispatchOptions",
    "DispatchSummary",
    "dispatch",
    "replay_clock",
    "system_clock",
]

_log = get_logger(__name__)


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
    clock = as_clock(now) if now is not None else system_clock
    opts = options or options_from_settings(batch_size, company_name)
    factories: dict[str, ChannelFactory] = dict(channels or {})
    if channel_factory is not None:
        factories["email"] = channel_factory
    default_factories(factories)
    registry = Channels(factories)
    summary = DispatchSummary()
    with connect(dsn) as conn:
        recover_expired(conn, read_clock(clock), summary)
        reconcile_unknown(dsn, conn, clock, registry, opts, summary)
        if outbox.has_due(conn, read_clock(clock), max_attempts=opts.max_attempts):
            _send_due(dsn, conn, clock, registry, opts, summary)
        alert_on_stuck(dsn, conn, read_clock(clock))
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


# -- 3. claim, decide and send, batch by batch ----------------------------------------------


def _log_progress(progress: Progress, summary: DispatchSummary) -> None:
    """Claimed/due, rate and time left (:class:`~cartera.progress.Progress`), then what became of
    the claimed rows: counts only, never an address or a name."""
    _log.info(
        "dispatch progress: %s; sent=%d cancelled=%d deferred=%d failed=%d unknown=%d",
        progress.line(),
        summary.sent,
        summary.cancelled,
        summary.deferred,
        summary.failed,
        summary.unknown,
    )


def _send_due(
    dsn: str,
    conn: psycopg.Connection,
    clock: Clock,
    registry: Channels,
    opts: DispatchOptions,
    summary: DispatchSummary,
) -> None:
    dispatcher = f"{socket.gethostname()}:{os.getpid()}"
    due = outbox.count_due(conn, read_clock(clock), max_attempts=opts.max_attempts)
    # Logged every `progress_every` claimed rows (below), not by time; finish() logs the last line.
    progress = Progress("dispatch claimed", total=due, unit="messages", every_seconds=math.inf)
    next_log = opts.progress_every
    prerender = Prerenderer(opts.render_workers) if opts.render_workers > 1 and due >= opts.prerender_from else None
    # With render workers, the next batch is claimed and handed to them before this one is
    # decided, so they render it while this one is decided and sent (dispatch_ahead).
    renderer = RenderAhead(prerender) if prerender is not None else None

    def claim() -> list[outbox.OutboxRow]:
        return outbox.claim_due(
            conn, read_clock(clock), limit=opts.batch_size, max_attempts=opts.max_attempts, lease=opts.lease
        )

    def render_ahead(rows: list[outbox.OutboxRow]) -> Ahead | None:
        return renderer.start(conn, rows, read_clock(clock), opts) if renderer is not None and rows else None

    failed = False
    try:
        rows = claim()
        ahead = render_ahead(rows)
        while rows:
            summary.claimed += len(rows)
            full = len(rows) >= opts.batch_size
            following = claim() if renderer is not None and full else []
            following_ahead = render_ahead(following)
            try:
                send_batch(dsn, conn, rows, clock, registry, opts, summary, dispatcher, prerender, ahead)
            except ConfigurationError:
                # The rest of the claimed rows (and the next batch, claimed ahead) go back untouched,
                # then the task fails loudly.
                summary.claimed += len(following)
                _give_back(conn, rows + following, read_clock(clock), summary)
                raise
            conn.commit()
            progress.update(summary.claimed)
            if summary.claimed >= next_log:
                next_log = (summary.claimed // opts.progress_every + 1) * opts.progress_every
                _log_progress(progress, summary)
            if not full:
                return
            rows, ahead = (following, following_ahead) if renderer is not None else (claim(), None)
    except BaseException:
        failed = True
        raise
    finally:
        if renderer is not None:
            renderer.close()
        if prerender is not None:
            prerender.close()
        progress.update(summary.claimed)
        progress.finish(failed=failed)


def _give_back(
    conn: psycopg.Connection, rows: list[outbox.OutboxRow], now: dt.datetime, summary: DispatchSummary
) -> None:
    """Rows still ``sending`` (no request made) go back pending, untouched."""
    conn.rollback()
    ids = [row.outbox_id for row in rows]
    summary.released += outbox.release_many(conn, ids, now, now, "stopped_configuration_error")
    conn.commit()
