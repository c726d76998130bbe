"""
### Ingest invoice exports (CSV / Excel)

Imports every invoice export dropped in the import folder (`CARTERA_IMPORT_DIR`, default
`.cartera/imports/`): header detection or a mapping file beside it (`<name>.mapping.yml` or
`mapping.yml`), the same Great Expectations gate and quarantine as the ERP, one transaction per
file. A file is imported once by its content (sha256): the folder may keep its history, and a
corrected file is a new version that supersedes the earlier rows. Files that cannot be read or
fail their gate fail the task after the others were imported, naming them.

Runs every hour; the `as_of` param is accepted for symmetry with the other DAGs (files carry
their own dates).
"""

from __future__ import annotations

from airflow.sdk import dag, task

from cartera.assets import RAW
from cartera.dag_defaults import dag_options


@dag(
    schedule="15 * * * *",
    doc_md=__doc__,
    **dag_options("ingest", retries=1, retry_delay_minutes=5, timeout_minutes=30, max_active_runs=1),
)
def ingest_files() -> None:
    @task(outlets=[RAW])
    def import_new_files(**context: object) -> list[dict[str, object]]:
        from cartera.tasks import ingest_files_for_run

        return ingest_files_for_run(context)

    import_new_files()


ingest_files()
