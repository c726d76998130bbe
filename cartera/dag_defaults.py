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
