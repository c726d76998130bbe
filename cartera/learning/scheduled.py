"""The strategy the campaigns DAG builds a day with (``cartera.tasks.build_batch_for_run``).

``CARTERA_STRATEGY`` (:class:`~cartera.config.Settings`) says which: ``roster`` (the default)
follows what people decided in ``ops.strategy_decisions`` (:mod:`cartera.learning.roster`): the
fixed playbook until someone starts the learned strategy as a challenger or promotes it;
``fixed`` is the playbook for everyone, whatever was decided, loading no learner; ``learned``
serves everyone outside the control group with the learned strategy. When a learned strategy is
in the roster the build is prepared so:

1. the stored learner state is loaded (a warm start from the playbook the first time, stored as
   version 1);
2. it learns from every decision whose message's attribution window has closed by the business
   date (:func:`~cartera.learning.store.update_from_outcomes`, from
   ``marts.fct_message_outcomes``): one new version when there is anything to learn;
3. the build then decides with the latest version (:class:`~cartera.learning.roster.RosterBuild`):
   each customer's arm is recorded, the learned customers' choices go to ``ops.learner_decisions``
   with their line in ``ops.contact_decisions``, the others get the fixed playbook unchanged.

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
    from cartera.learning.roster import RosterBuild

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


def strategy_for_build(dsn: str, as_of: dt.date, *, at: dt.datetime, playbook: Playbook) -> RosterBuild | None:
    """The strategy for the day's build as ``CARTERA_STRATEGY`` and the roster say: None for the
    fixed playbook alone (nothing learned or written), else the roster's build with the learned
    strategy after learning (committed before the build starts, so a failed build does not lose
    what was learned)."""
    from cartera.config import get_settings
    from cartera.db import connect

    setting = get_settings().strategy
    if setting == "fixed":
        return None
    from cartera.learning import roster as rosters

    with connect(dsn) as conn:
        roster = rosters.for_build(conn, setting)
        if roster is None:
            return None
        return rosters.RosterBuild(learn_then_load(conn, playbook, as_of, at=at), roster, at=at)
