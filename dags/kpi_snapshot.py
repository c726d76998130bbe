"""
### Daily KPI snapshot

One row a day in `kpi.daily_snapshots` (DSO by countback, CEI, % current, average days
delinquent, AR and overdue AR in MXN, messages sent), copied from the marts once they are built
for the day. Rerunning the same day replaces that day's row.
"""

from __future__ import annotations

from airflow.sdk import dag, task

from cartera.assets import MARTS
from cartera.dag_defaults import dag_options


@dag(
    schedule=[MARTS],
    doc_md=__doc__,
    **dag_options("kpi", retries=1, retry_delay_minutes=5, timeout_minutes=20),
)
def kpi_snapshot() -> None:
    @task
    def snapshot(**context: object) -> dict[str, object]:
        from cartera.tasks import kpi_snapshot_for_run

        return kpi_snapshot_for_run(context)

    snapshot()


kpi_snapshot()
