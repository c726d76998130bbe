"""Send attempts (ops.send_attempts) and provider circuits (ops.provider_circuits).

An attempt row is committed *before* its request leaves: after a crash, a started attempt with
no outcome means the message may have been sent, so the row is reconciled, never resent blindly.
A circuit per provider, shared by every dispatcher through the table, stops hammering a
provider that keeps failing (and honours a 429's Retry-After for everyone).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from dataclasses import dataclass

import psycopg


@dataclass(frozen=True)
class Attempt:
    attempt_id: int
    outbox_id: int
    attempt_no: int
    started_at: dt.datetime
    content_sha256: str | None


def content_hash(*parts: str | None) -> str:
    """sha256 of the rendered content (subject, text, …): which version went out, without storing it."""
    return hashlib.sha256("\x1f".join(p or "" for p in parts).encode("utf-8")).hexdigest()


def start(
    conn: psycopg.Connection,
    *,
    outbox_id: int,
    key: str,
    channel: str,
    provider: str,
    at: dt.datetime,
    content_sha256: str | None,
    dispatcher: str,
) -> Attempt:
    """Record that a request is about to leave (the caller commits before sending)."""
    row = conn.execute(
        """
        insert into ops.send_attempts (outbox_id, idempotency_key, attempt_no, channel, provider, started_at,
            content_sha256, dispatcher)
        values (%(outbox_id)s, %(key)s,
            (select coalesce(max(attempt_no), 0) + 1 from ops.send_attempts where outbox_id = %(outbox_id)s),
            %(channel)s, %(provider)s, %(at)s, %(sha)s, %(dispatcher)s)
        returning attempt_id, attempt_no
        """,
        {
            "outbox_id": outbox_id,
            "key": key,
            "channel": channel,
            "provider": provider,
            "at": at,
            "sha": content_sha256,
            "dispatcher": dispatcher,
        },
    ).fetchone()
    assert row is not None
    conn.execute("update ops.outbox set provider = %s where outbox_id = %s", (provider, outbox_id))
    return Attempt(int(row[0]), outbox_id, int(row[1]), at, content_sha256)


def finish(
    conn: psycopg.Connection,
    attempt_id: int,
    at: dt.datetime,
    outcome: str,
    *,
    http_status: int | None = None,
    error_code: str | None = None,
    provider_message_id: str | None = None,
) -> None:
    conn.execute(
        "update ops.send_attempts set finished_at = %s, outcome = %s, http_status = %s, error_code = %s, "
        "provider_message_id = %s where attempt_id = %s",
        (at, outcome, http_status, (error_code or "")[:500] or None, provider_message_id, attempt_id),
    )


def last_started(conn: psycopg.Connection, outbox_id: int) -> Attempt | None:
    """The latest attempt of a row (the one to reconcile)."""
    row = conn.execute(
        "select attempt_id, outbox_id, attempt_no, started_at, content_sha256 from ops.send_attempts "
        "where outbox_id = %s order by attempt_no desc limit 1",
        (outbox_id,),
    ).fetchone()
    return Attempt(int(row[0]), int(row[1]), int(row[2]), row[3], row[4]) if row else None


def close_open(conn: psycopg.Connection, outbox_id: int, at: dt.datetime, outcome: str, error_code: str) -> None:
    """Give every unfinished attempt of a row an outcome (after reclaiming it)."""
    conn.execute(
        "update ops.send_attempts set finished_at = %s, outcome = %s, error_code = %s "
        "where outbox_id = %s and finished_at is null",
        (at, outcome, error_code, outbox_id),
    )


def backoff(
    key: str, attempt_no: int, *, retry_after: float | None, base: float = 60.0, cap: float = 6 * 3600
) -> float:
    """Seconds to wait before the next attempt: the provider's Retry-After when it gave one,
    else exponential (base · 2^(n-1), capped) with ±50 % jitter. The jitter is seeded by the key
    and attempt, so a replayed run waits the same and rows do not retry in lockstep."""
    jitter = random.Random(f"{key}:{attempt_no}").uniform(0.5, 1.5)  # noqa: S311 - spreading retries, not crypto
    exponential: float = min(cap, base * 2.0 ** max(attempt_no - 1, 0)) * jitter
    if retry_after is not None:
        return min(cap, max(retry_after, 1.0))
    return exponential


# -- circuits ---------------------------------------------------------------------------------


def circuit_open_until(conn: psycopg.Connection, provider: str, now: dt.datetime) -> dt.datetime | None:
    row = conn.execute("select open_until from ops.provider_circuits where provider = %s", (provider,)).fetchone()
    if row is None or row[0] is None or row[0] <= now:
        return None
    return row[0]  # type: ignore[no-any-return]


def record_success(conn: psycopg.Connection, provider: str, now: dt.datetime) -> None:
    conn.execute(
        """
        insert into ops.provider_circuits (provider, consecutive_failures, open_until, updated_at)
        values (%s, 0, null, %s)
        on conflict (provider) do update set consecutive_failures = 0, open_until = null, updated_at = excluded.updated_at
        """,
        (provider, now),
    )


def record_failure(
    conn: psycopg.Connection,
    provider: str,
    now: dt.datetime,
    error_code: str,
    *,
    threshold: int,
    cooldown: dt.timedelta,
    open_for: dt.timedelta | None = None,
) -> dt.datetime | None:
    """Count a failure; open the circuit at `threshold` consecutive failures (for `cooldown`) or
    at once for `open_for` (a 429's Retry-After). Returns the instant it is open until, if open."""
    row = conn.execute(
        """
        insert into ops.provider_circuits (provider, consecutive_failures, open_until, last_error, updated_at)
        values (%(p)s, 1, null, %(err)s, %(now)s)
        on conflict (provider) do update set consecutive_failures = ops.provider_circuits.consecutive_failures + 1,
            last_error = excluded.last_error, updated_at = excluded.updated_at
        returning consecutive_failures, open_until
        """,
        {"p": provider, "err": error_code[:200], "now": now},
    ).fetchone()
    assert row is not None
    failures = int(row[0])
    until: dt.datetime | None = None
    if open_for is not None:
        until = now + open_for
    elif failures >= threshold:
        until = now + cooldown
    if until is not None:
        conn.execute(
            "update ops.provider_circuits set open_until = greatest(coalesce(open_until, %s), %s) where provider = %s",
            (until, until, provider),
        )
    return until


# The error_code of an attempt recorded (under the customer's lock, with its decision) whose
# request has not been made yet: a batch records every attempt first, then marks each request's
# attempts requested (committed) just before that request leaves. A dispatcher that dies between
# the two leaves attempts that certainly sent nothing: recovery gives those rows back, pending.
PREPARED = "prepared"


@dataclass(frozen=True)
class AttemptStart:
    """One attempt about to be recorded by :func:`start_many`."""

    outbox_id: int
    key: str
    channel: str
    at: dt.datetime
    content_sha256: str | None


def start_many(
    conn: psycopg.Connection, starts: list[AttemptStart], *, provider: str, dispatcher: str
) -> list[Attempt]:
    """:func:`start` for many rows (distinct outbox rows) in one statement, returned in the
    order given, each :data:`PREPARED`: it counts as in flight for the customer's caps, and
    :func:`mark_requested` (committed) must precede its request."""
    if not starts:
        return []
    ids = [s.outbox_id for s in starts]
    if len(set(ids)) != len(ids):
        raise ValueError("start_many takes each outbox row once")
    rows = conn.execute(
        """
        with s as (
            select * from unnest(%(ids)s::bigint[], %(keys)s::text[], %(channels)s::text[], %(ats)s::timestamptz[],
                                 %(shas)s::text[]) as s(outbox_id, key, channel, at, sha)
        ), inserted as (
            insert into ops.send_attempts (outbox_id, idempotency_key, attempt_no, channel, provider, started_at,
                content_sha256, dispatcher, error_code)
            select s.outbox_id, s.key,
                   coalesce((select max(a.attempt_no) from ops.send_attempts a where a.outbox_id = s.outbox_id), 0) + 1,
                   s.channel, %(provider)s, s.at, s.sha, %(dispatcher)s, %(prepared)s
            from s
            returning attempt_id, outbox_id, attempt_no
        ), marked as (
            update ops.outbox o set provider = %(provider)s from s where o.outbox_id = s.outbox_id
        )
        select outbox_id, attempt_id, attempt_no from inserted
        """,
        {
            "ids": ids,
            "keys": [s.key for s in starts],
            "channels": [s.channel for s in starts],
            "ats": [s.at for s in starts],
            "shas": [s.content_sha256 for s in starts],
            "provider": provider,
            "dispatcher": dispatcher,
            "prepared": PREPARED,
        },
    ).fetchall()
    numbers = {int(r[0]): (int(r[1]), int(r[2])) for r in rows}
    return [
        Attempt(numbers[s.outbox_id][0], s.outbox_id, numbers[s.outbox_id][1], s.at, s.content_sha256) for s in starts
    ]


def mark_requested(conn: psycopg.Connection, attempt_ids: list[int]) -> None:
    """These attempts' request is about to leave (the caller commits first): from now on a crash
    leaves them maybe sent, to reconcile, never to resend."""
    conn.execute(
        "update ops.send_attempts set error_code = null where attempt_id = any(%s) and error_code = %s",
        (attempt_ids, PREPARED),
    )


def finish_accepted(
    conn: psycopg.Connection, attempt_ids: list[int], at: dt.datetime, http_status: int, provider_message_id: str | None
) -> None:
    """Close many attempts of one accepted request in one statement."""
    conn.execute(
        "update ops.send_attempts set finished_at = %s, outcome = 'accepted', http_status = %s, error_code = null, "
        "provider_message_id = %s where attempt_id = any(%s)",
        (at, http_status, provider_message_id, attempt_ids),
    )
