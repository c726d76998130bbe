"""The guard in front of anything that contacts a debtor: no reminders from broken or stale data.

Campaigns run on a clock, not on the data assets, so they check for themselves that the day's
ingest passed its quality gates, the marts were built for the day, and the open book was scored.
"""

from __future__ import annotations

import datetime as dt

from cartera.db import connect
from cartera.errors import DataNotReadyError


def readiness_problems(dsn: str, as_of: dt.date) -> list[str]:
    """What is missing or failed for `as_of` (empty when campaigns may run)."""
    problems: list[str] = []
    with connect(dsn) as conn:
        failed = conn.execute(
            """
            select entity from (
                select distinct on (source, entity) source, entity, gate_passed
                from ops.ingest_loads order by source, entity, finished_at desc
            ) latest where not gate_passed order by entity
            """
        ).fetchall()
        if failed:
            problems.append("quality gate failed on the latest load of " + ", ".join(r[0] for r in failed))
        checks = {
            # as_of_date, not kpi_date: the KPI days end on the last day with data, usually the day before
            "marts not built for the day (marts.fct_ar_kpi_daily)": "select 1 from marts.fct_ar_kpi_daily where as_of_date = %s limit 1",
            "open book not scored for the day (ml.customer_segments)": "select 1 from ml.customer_segments where score_date = %s limit 1",
        }
        for problem, query in checks.items():
            try:
                with conn.transaction():
                    found = conn.execute(query, (as_of,)).fetchone()
            except Exception:  # noqa: BLE001 - a missing table means the stage never ran
                found = None
            if not found:
                problems.append(problem)
    return problems


def assert_ready_for_campaigns(dsn: str, as_of: dt.date) -> None:
    """Raise DataNotReadyError unless today's data is fit to contact debtors from."""
    problems = readiness_problems(dsn, as_of)
    if problems:
        raise DataNotReadyError(as_of.isoformat(), problems)
