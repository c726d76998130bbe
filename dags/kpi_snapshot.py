"""
### Daily KPI snapshot

One row a day in `kpi.daily_snapshots` (DSO by countback, CEI, % current, average days
delinquent, AR and overdue AR in MXN, messages sent), copied from the marts once they are built
for the day. Rerunning the same day replaces that day's row.
"""

from __future__ import annotations

import datetime as dt

from airflow.sdk import Param, dag, task

from cartera.assets import MARTS
from cartera.dag_defaults import default_args


@dag(
    schedule=[MARTS],
    start_date=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    catchup=False,
    tags=["cartera", "kpi"],
    default_args=default_args(retries=1, retry_delay_minutes=5, timeout_minutes=20),
    params={"as_of": Param(None, type=["null", "string"], description="Business date to rerun (YYYY-MM-DD)")},
    doc_md=__doc__,
)
def kpi_snapshot() -> None:
    @task
    def snapshot(**context: object) -> dict[str, object]:
        from cartera.tasks import kpi_snapshot_for_run

        return kpi_snapshot_for_run(context)

    snapshot()


kpi_snapshot()
