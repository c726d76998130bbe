"""The business date ("as of") and the instant of a DAG run, derived from the run, never from
the wall clock. A person can rerun any day by passing the `as_of` param (YYYY-MM-DD). A CLI
command with no run reads the clock here, once, through `command_instant`."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

# The creditor's books close at midnight Mexico City time: a run at 06:00 UTC is "as of" the
# previous local day's close plus the new day; the date that matters is the local date.
BOOKS_TZ = ZoneInfo("America/Mexico_City")


def run_instant(context: dict[str, Any]) -> dt.datetime:
    """The run's reference instant (UTC): its logical date, or for asset-triggered runs (which
    have no logical date in Airflow 3) the instant the run was due."""
    instant = context.get("logical_date")
    if instant is None:
        dag_run = context.get("dag_run")
        instant = getattr(dag_run, "run_after", None)
    if instant is None:
        raise ValueError("the run has neither a logical date nor run_after")
    if not isinstance(instant, dt.datetime):
        instant = dt.datetime.fromisoformat(str(instant))
    # A plain datetime in UTC, not Airflow's pendulum DateTime (whose arithmetic can go naive).
    return dt.datetime.fromtimestamp(instant.timestamp(), tz=dt.UTC)


def as_of_date(context: dict[str, Any]) -> dt.date:
    """The business date a run works on: the `as_of` param if given, else the run instant's date
    in the books' time zone."""
    params = context.get("params") or {}
    explicit = params.get("as_of")
    if explicit:
        return dt.date.fromisoformat(str(explicit))
    return run_instant(context).astimezone(BOOKS_TZ).date()


def command_instant() -> dt.datetime:
    """The instant a person's command runs (UTC), for a CLI command that has no run to take it
    from. This and the run's context above are the only sources of "now": the command resolves it
    once at its entry and passes it (or a date derived from it) down; nothing below reads the clock."""
    return dt.datetime.now(dt.UTC)


def end_of_day_utc(day: dt.date) -> dt.datetime:
    """The first instant after `day` closes in the books' time zone, in UTC (an exclusive bound)."""
    local_midnight = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=BOOKS_TZ)
    return local_midnight.astimezone(dt.UTC)
