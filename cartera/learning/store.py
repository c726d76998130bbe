"""The learner's state in Postgres (cartera/sql/60_learning.sql): versioned, never overwritten.

- :func:`latest_state` / :func:`save_state`: each update is a new ``ops.learner_state`` row
  (version = previous + 1, with its parent), so any past decision can be explained by the state
  it was made with and a bad update rolled back by pointing at an older version.
- :func:`record_assignment`: the control group as assigned (hash, salt, share), for the audit.
- :func:`update_from_outcomes`: production rewards. Decisions in ``ops.learner_decisions`` whose
  message's window has closed are joined to ``marts.fct_message_outcomes`` (through the outbox's
  idempotency key): paid within the window = any payment attributed to the message; an opt-out
  after it or a spam report count against the arm. One new version per call with outcomes.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import psycopg

from cartera.campaigns.playbook import Playbook
from cartera.learning.arms import Arm
from cartera.learning.control import group_of
from cartera.learning.thompson import ThompsonLearner, warm_start

DEFAULT_LEARNER = "channel_hour_tone"


def latest_state(conn: psycopg.Connection[Any], learner: str = DEFAULT_LEARNER) -> tuple[int, ThompsonLearner] | None:
    """(version, learner) of the latest stored state, or None when there is none yet."""
    row = conn.execute(
        "select version, state from ops.learner_state where learner = %s order by version desc limit 1", (learner,)
    ).fetchone()
    if row is None:
        return None
    state = row[1] if isinstance(row[1], dict) else json.loads(row[1])
    return int(row[0]), ThompsonLearner.from_json(state)


def save_state(
    conn: psycopg.Connection[Any],
    model: ThompsonLearner,
    *,
    at: dt.datetime,
    source: str,
    outcomes: int = 0,
    learner: str = DEFAULT_LEARNER,
) -> int:
    """Store `model` as a new version; returns it."""
    current = conn.execute("select max(version) from ops.learner_state where learner = %s", (learner,)).fetchone()
    parent = int(current[0]) if current and current[0] is not None else None
    version = (parent or 0) + 1
    conn.execute(
        "insert into ops.learner_state (learner, version, parent_version, created_at, source, outcomes, state) "
        "values (%s, %s, %s, %s, %s, %s, %s)",
        (learner, version, parent, at, source, outcomes, json.dumps(model.to_json())),
    )
    return version


def load_or_warm(
    conn: psycopg.Connection[Any], playbook: Playbook, *, at: dt.datetime, learner: str = DEFAULT_LEARNER
) -> tuple[int, ThompsonLearner]:
    """The latest state, or a warm start from the playbook stored as version 1."""
    found = latest_state(conn, learner)
    if found is not None:
        return found
    model = warm_start(playbook)
    return save_state(conn, model, at=at, source="warm_start", learner=learner), model


def record_assignment(
    conn: psycopg.Connection[Any],
    customer_id: str,
    *,
    share: float,
    salt: str,
    at: dt.datetime,
    learner: str = DEFAULT_LEARNER,
) -> str:
    """Store (once) and return the customer's group."""
    group = group_of(customer_id, share=share, salt=salt)
    conn.execute(
        "insert into ops.learning_assignments (learner, customer_id, salt, control_share, grp, assigned_at) "
        "values (%s, %s, %s, %s, %s, %s) on conflict do nothing",
        (learner, customer_id, salt, share, group, at),
    )
    return group


_OUTCOMES_SQL = """
select d.decision_id, d.segment, d.bucket, d.channel, d.hour_block, d.tone,
       coalesce(m.payments_in_window, 0) > 0 as paid,
       coalesce(m.is_opted_out_after, false) as opted_out,
       coalesce(m.is_spam_reported, false) or coalesce(m.reply_class = 'complaint', false) as complained
from ops.learner_decisions d
join ops.outbox o on o.idempotency_key = d.idempotency_key and o.status = 'sent'
join marts.fct_message_outcomes m on m.outbox_id = o.outbox_id
where d.learner = %(learner)s and d.rewarded_in_version is null and d.channel is not null
  and m.sent_date + %(window)s <= %(as_of)s
order by d.decision_id
"""


def update_from_outcomes(
    conn: psycopg.Connection[Any],
    as_of: dt.date,
    *,
    at: dt.datetime,
    window_days: int = 14,
    learner: str = DEFAULT_LEARNER,
) -> int | None:
    """Learn from every decision whose message's window closed by `as_of`; returns the new
    version, or None when there was nothing to learn (no new version then)."""
    found = latest_state(conn, learner)
    if found is None:
        return None
    _, model = found
    rows = conn.execute(_OUTCOMES_SQL, {"learner": learner, "window": window_days, "as_of": as_of}).fetchall()
    if not rows:
        return None
    for _, segment, bucket, channel, block, tone, paid, opted_out, complained in rows:
        model.update(
            str(segment),
            str(bucket),
            Arm(str(channel), str(block), str(tone)),
            paid=bool(paid),
            opted_out=bool(opted_out),
            complained=bool(complained),
        )
    version = save_state(conn, model, at=at, source="outcomes", outcomes=len(rows), learner=learner)
    conn.execute(
        "update ops.learner_decisions set rewarded_in_version = %s where decision_id = any(%s)",
        (version, [r[0] for r in rows]),
    )
    return version
