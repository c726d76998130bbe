"""
### Ingest from the ERP

Extracts customers, contacts, invoices (with lines), credit notes, payments and their allocation
to invoices, disputes and exchange rates from the ERP database **incrementally by `write_date`**
(one watermark per table), validates each batch with the Great Expectations gate, lands the good
rows in `raw.*` with COPY and the rejected ones in `quarantine.rejected_rows` with their reason.
A rerun loads nothing twice. A failed gate fails the task, so the warehouse is not rebuilt on it.

Runs at 00:30 Mexico City time; the `as_of` param reruns a given day.
"""

from __future__ import annotations

import datetime as dt

from airflow.sdk import Param, dag, task

from cartera.assets import RAW
from cartera.dag_defaults import default_args


@dag(
    schedule="30 6 * * *",
    start_date=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    catchup=False,
    tags=["cartera", "ingest"],
    default_args=default_args(retries=2, retry_delay_minutes=5, timeout_minutes=60),
    params={"as_of": Param(None, type=["null", "string"], description="Business date to rerun (YYYY-MM-DD)")},
    doc_md=__doc__,
)
def ingest_erp() -> None:
    @task(outlets=[RAW])
    def extract_validate_load(**context: object) -> list[dict[str, object]]:
        from cartera.tasks import ingest_erp_for_run

        return ingest_erp_for_run(context)

    extract_validate_load()


ingest_erp()
