"""The learned strategy in the production build: what ``build_batch(strategy=...)`` calls.

:class:`BuildStrategy` wraps a :class:`~cartera.learning.strategy.LearnedStrategy` with the
build's connection: it reads what a choice needs (fired steps, history, recent payments, last
response), and writes why: the preventive plan's notes (``ops.learner_plan_notes``), each choice
(``ops.learner_decisions``, joined later to the outcomes), the customer's group
(``ops.learning_assignments``) and one line in ``ops.contact_decisions`` that ``cartera why`` shows
("Learner v7: whatsapp/14h/firme, best known; expected rate 41 % on 57 observations; ...").
The build still runs the production check on the chosen channel; this class never sends.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import psycopg

from cartera.campaigns import contact_data as data
from cartera.campaigns import outbox
from cartera.campaigns.candidates import Candidate, load_covered
from cartera.campaigns.decisions import audit_record
from cartera.campaigns.playbook import Playbook
from cartera.learning.store import DEFAULT_LEARNER, load_or_warm, record_assignment
from cartera.learning.strategy import LearnedStrategy
from cartera.policy.audit import record_decisions
from cartera.policy.engine import PolicyEngine
from cartera.policy.models import ContactProfile, Hold

_LAST_RESPONSE_SQL = """
select case when bool_or(r.outbox_id is not null) then 'engaged' else 'ignored' end
from (select outbox_id from ops.outbox where customer_id = %(c)s and status = 'sent'
      order by sent_at desc limit 1) o
left join ops.replies r on r.outbox_id = o.outbox_id
"""


class BuildStrategy:
    """A learned strategy bound to one build (one connection, one business date)."""

    def __init__(self, strategy: LearnedStrategy, *, learner: str = DEFAULT_LEARNER) -> None:
        self.strategy, self.learner = strategy, learner

    @classmethod
    def load(
        cls, conn: psycopg.Connection[Any], playbook: Playbook, *, at: dt.datetime, learner: str = DEFAULT_LEARNER
    ) -> BuildStrategy:
        """The latest stored learner state (a warm start from the playbook the first time)."""
        version, model = load_or_warm(conn, playbook, at=at, learner=learner)
        return cls(LearnedStrategy(playbook, model, state_version=version), learner=learner)

    def plan(self, conn: psycopg.Connection[Any], as_of: dt.date, candidates: Sequence[Candidate]) -> list[Candidate]:
        kept, notes = self.strategy.plan(candidates, load_covered(conn))
        for n in notes:
            conn.execute(
                "insert into ops.learner_plan_notes (learner, as_of_date, customer_id, step, action, code, reason_es, "
                "reason_en) values (%s, %s, %s, %s, %s, %s, %s, %s) on conflict do nothing",
                (self.learner, as_of, n.customer_id, n.step, n.action, n.code, n.es, n.en),
            )
        return kept

    def _last_response(self, conn: psycopg.Connection[Any], customer_id: str) -> str:
        try:
            with conn.transaction():
                row = conn.execute(_LAST_RESPONSE_SQL, {"c": customer_id}).fetchone()
        except psycopg.errors.UndefinedTable:  # no replies table yet: nothing is known
            return "none"
        return str(row[0]) if row and row[0] else "none"

    def choose(
        self,
        conn: psycopg.Connection[Any],
        message: Candidate,
        profile: ContactProfile,
        holds: Sequence[Hold],
        planned_at: dt.datetime,
        engine: PolicyEngine,
        batch_id: str,
        as_of: dt.date,
    ) -> tuple[Candidate, dt.datetime]:
        """The message on the chosen channel (and tone) and its planned instant; records why."""
        customer = message.customer_id
        s = self.strategy
        record_assignment(conn, customer, share=s.control_share, salt=s.salt, at=planned_at, learner=self.learner)
        history = data.load_history(conn, customer, include_scheduled=True)
        payments = data.load_recent_payments(conn, customer, planned_at)
        choice = s.choose(
            message, profile, history, holds, payments, planned_at, engine, self._last_response(conn, customer)
        )
        channel = choice.message.channel
        key = outbox.idempotency_key(customer, channel or "-", as_of)
        line = audit_record(
            choice.audit, choice.message, "build", planned_at, channel=channel, batch_id=batch_id, key=key
        )
        record_decisions(conn, [line])
        arm = choice.arm
        conn.execute(
            "insert into ops.learner_decisions (learner, state_version, decided_at, as_of_date, customer_id, "
            "idempotency_key, grp, mode, channel, hour_block, tone, segment, bucket, reason_es, reason_en) "
            "values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) on conflict do nothing",
            (
                self.learner,
                s.state_version,
                planned_at,
                as_of,
                customer,
                key,
                choice.group,
                choice.mode,
                arm.channel if arm else None,
                arm.block if arm else None,
                arm.tone if arm else None,
                message.segment,
                choice.context.bucket if choice.context else f"{message.segment}|control",
                choice.audit.reason_es,
                choice.audit.reason_en,
            ),
        )
        return choice.message, choice.at
