"""Task defaults shared by the DAG files (kept import-light: DAG files are parsed often).

Retries suit production (a database restart, a provider's 5xx). Under `airflow dags test`, as in
`make demo` and the end-to-end tests, a retry makes the run wait its delay in silence, so the
local runner sets ``CARTERA_TASK_RETRIES=0`` and a failure surfaces at once with its message.
"""

from __future__ import annotations

import datetime as dt
import os
from typing import Any


def default_args(retries: int, retry_delay_minutes: float, *, timeout_minutes: float) -> dict[str, Any]:
    """``default_args`` for a DAG: `retries` unless CARTERA_TASK_RETRIES overrides it, and an
    ``execution_timeout`` for every task (a hung provider or database must fail the task, not
    hold the slot forever; a killed dispatch leaves leased rows that the next run reclaims)."""
    override = os.environ.get("CARTERA_TASK_RETRIES")
    return {
        "retries": int(override) if override not in (None, "") else retries,
        "retry_delay": dt.timedelta(minutes=retry_delay_minutes),
        "execution_timeout": dt.timedelta(minutes=timeout_minutes),
    }


# Every DAG starts on the same date, never backfills by itself (a past day is rerun by passing
# `as_of`), and takes the business date to rerun as its one parameter.
START_DATE = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def dag_options(
    *tags: str, retries: int, retry_delay_minutes: float, timeout_minutes: float, max_active_runs: int | None = None
) -> dict[str, Any]:
    """What every cartera DAG passes to ``@dag`` besides its schedule and docs: the start date,
    no catch-up, the `as_of` parameter (a business date to rerun, YYYY-MM-DD; none: the run's
    own), the tags (``cartera`` first) and :func:`default_args`."""
    from airflow.sdk import Param

    options: dict[str, Any] = {
        "start_date": START_DATE,
        "catchup": False,
        "tags": ["cartera", *tags],
        "default_args": default_args(retries, retry_delay_minutes, timeout_minutes=timeout_minutes),
        "params": {"as_of": Param(None, type=["null", "string"], description="Business date to rerun (YYYY-MM-DD)")},
    }
    if max_active_runs is not None:
        options["max_active_runs"] = max_active_runs
    return options
