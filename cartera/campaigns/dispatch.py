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
6. **Progress**: every ``progress_every`` claimed rows the log says claimed/due, sent, cancelled,
   deferred, failed, unknown, the rate per second and the time left (counts only).

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
import os
import socket
from collections.abc import Mapping

import psycopg

from cartera.campaigns import outbox
from cartera.campaigns.dispatch_ahead import Ahead, RenderAhead
from cartera.campaigns.dispatch_channels import _alert_on_stuck, _Channels, _default_factories
from cartera.campaigns.dispatch_options import (
    MAX_SEND_ATTEMPTS,
    ChannelFactory,
    Clock,
    DispatchOptions,
    DispatchSummary,
    _as_clock,
    _now,
    _options_from_settings,
    replay_clock,
    system_clock,
)
from cartera.campaigns.dispatch_send import _send_batch
from cartera.campaigns.prerender import Prerenderer
from cartera.campaigns.reconcile import _reconcile_unknown, _recover_expired
from cartera.db import connect
from cartera.errors import ConfigurationError
from cartera.logs import get_logger

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


# -- 3. claim, decide and send, batch by batch ----------------------------------------------


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
    # With render workers, the next batch is claimed and handed to them before this one is
    # decided, so they render it while this one is decided and sent (dispatch_ahead).
    renderer = RenderAhead(prerender) if prerender is not None else None

    def claim() -> list[outbox.OutboxRow]:
        return outbox.claim_due(
            conn, _now(clock), limit=opts.batch_size, max_attempts=opts.max_attempts, lease=opts.lease
        )

    def render_ahead(rows: list[outbox.OutboxRow]) -> Ahead | None:
        return renderer.start(conn, rows, _now(clock), opts) if renderer is not None and rows else None

    try:
        rows = claim()
        ahead = render_ahead(rows)
        while rows:
            summary.claimed += len(rows)
            full = len(rows) >= opts.batch_size
            following = claim() if renderer is not None and full else []
            following_ahead = render_ahead(following)
            try:
                _send_batch(dsn, conn, rows, clock, registry, opts, summary, dispatcher, prerender, ahead)
            except ConfigurationError:
                # The rest of the claimed rows (and the next batch, claimed ahead) go back untouched,
                # then the task fails loudly.
                summary.claimed += len(following)
                _give_back(conn, rows + following, _now(clock), summary)
                raise
            conn.commit()
            progress.tick(summary)
            if not full:
                return
            rows, ahead = (following, following_ahead) if renderer is not None else (claim(), None)
    finally:
        if renderer is not None:
            renderer.close()
        if prerender is not None:
            prerender.close()
        progress.tick(summary, final=True)


def _give_back(
    conn: psycopg.Connection, rows: list[outbox.OutboxRow], now: dt.datetime, summary: DispatchSummary
) -> None:
    """Rows still ``sending`` (no request made) go back pending, untouched."""
    conn.rollback()
    ids = [row.outbox_id for row in rows]
    summary.released += outbox.release_many(conn, ids, now, now, "stopped_configuration_error")
    conn.commit()
