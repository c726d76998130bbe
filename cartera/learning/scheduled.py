"""The strategy the campaigns DAG builds a day with (``cartera.tasks.build_batch_for_run``).

``CARTERA_STRATEGY`` (:class:`~cartera.config.Settings`) says which: ``fixed`` (the default) is
the playbook, unchanged, and loads no learner. ``learned`` prepares a learned build:

1. the stored learner state is loaded (a warm start from the playbook the first time, stored as
   version 1);
2. it learns from every decision whose message's attribution window has closed by the business
   date (:func:`~cartera.learning.store.update_from_outcomes`, from
   ``marts.fct_message_outcomes``): one new version when there is anything to learn;
3. the build then decides with the latest version (:class:`~cartera.learning.production.BuildStrategy`),
   which writes each choice to ``ops.learner_decisions`` and its line to ``ops.contact_decisions``.

Rebuilding a day (the DAG runs hourly) learns nothing new the second time and loads the same
version, so it chooses the same arms: the learner's draws are keyed by customer and day.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import psycopg

from cartera.campaigns.playbook import Playbook
from cartera.logs import get_logger

if TYPE_CHECKING:  # a fixed build loads no learner (nor numpy)
    from cartera.learning.production import BuildStrategy

_log = get_logger(__name__)
WINDOW_DAYS = 14  # the marts' attribution window (dbt var attribution_window_days)


def learn_then_load(
    conn: psycopg.Connection[Any],
    playbook: Playbook,
    as_of: dt.date,
    *,
    at: dt.datetime,
    learner: str | None = None,
    window_days: int = WINDOW_DAYS,
) -> BuildStrategy:
    """The learned strategy for the build of `as_of`, after learning from every closed outcome.

    Outcomes come from the marts: before the first warehouse build there is no
    ``marts.fct_message_outcomes`` and the learner decides with what it has (logged)."""
    from cartera.learning.production import BuildStrategy
    from cartera.learning.store import DEFAULT_LEARNER, load_or_warm, update_from_outcomes

    learner = learner or DEFAULT_LEARNER
    load_or_warm(conn, playbook, at=at, learner=learner)
    try:
        with conn.transaction():
            version = update_from_outcomes(conn, as_of, at=at, window_days=window_days, learner=learner)
    except psycopg.errors.UndefinedTable:
        _log.warning("learner %s: no marts.fct_message_outcomes yet; deciding without new outcomes", learner)
        version = None
    if version is not None:
        _log.info("learner %s learned closed outcomes as of %s: version %s", learner, as_of, version)
    return BuildStrategy.load(conn, playbook, at=at, learner=learner)


def strategy_for_build(dsn: str, as_of: dt.date, *, at: dt.datetime, playbook: Playbook) -> BuildStrategy | None:
    """The strategy for the day's build as ``CARTERA_STRATEGY`` says: None for the fixed playbook
    (nothing is read or written), else the learned strategy after learning (committed before the
    build starts, so a failed build does not lose what was learned)."""
    from cartera.config import get_settings
    from cartera.db import connect

    if get_settings().strategy == "fixed":
        return None
    with connect(dsn) as conn:
        return learn_then_load(conn, playbook, as_of, at=at)
