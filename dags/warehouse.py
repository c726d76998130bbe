"""
### Build the warehouse (dbt through Cosmos)

Runs `dbt build` (through Cosmos, dbt in-process) on `dbt_project/` as of the run's business date:
staging → intermediate (settlement as of the date) → marts (invoices, payments, customers, open
items and aging, daily KPIs), each model followed by its tests. A failed test stops what depends
on it, and the `cartera_marts` asset is updated only when everything passed.

Triggered by the raw layer (`cartera_raw`).
"""

from __future__ import annotations

from airflow.sdk import dag, task
from cosmos.operators.local import DbtBuildLocalOperator

from cartera.assets import MARTS, RAW
from cartera.dag_defaults import dag_options
from cartera.dbt_config import dbt_build_kwargs


@dag(
    schedule=[RAW],
    doc_md=__doc__,
    **dag_options("warehouse", "dbt", retries=1, retry_delay_minutes=2, timeout_minutes=60),
)
def warehouse() -> None:
    @task
    def resolve_as_of(**context: object) -> str:
        from cartera.tasks import business_date_for_run

        return business_date_for_run(context)

    @task(outlets=[MARTS])
    def publish_marts(as_of: str) -> str:
        return as_of

    as_of = resolve_as_of()
    dbt = DbtBuildLocalOperator(
        task_id="dbt_build", **dbt_build_kwargs(as_of_template="{{ ti.xcom_pull(task_ids='resolve_as_of') }}")
    )
    as_of >> dbt >> publish_marts(as_of)


warehouse()
