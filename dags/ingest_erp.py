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

from airflow.sdk import dag, task

from cartera.assets import RAW
from cartera.dag_defaults import dag_options


@dag(
    schedule="30 6 * * *",
    doc_md=__doc__,
    **dag_options("ingest", retries=2, retry_delay_minutes=5, timeout_minutes=60),
)
def ingest_erp() -> None:
    @task(outlets=[RAW])
    def extract_validate_load(**context: object) -> list[dict[str, object]]:
        from cartera.tasks import ingest_erp_for_run

        return ingest_erp_for_run(context)

    extract_validate_load()


ingest_erp()
