"""
### Collection campaigns

Every hour of the Mexican business day: checks that today's data passed its quality gates and was
scored (no reminders from broken or stale data), builds the day's batch from the playbook
(segment × days to due → action), asks the contact policy engine (the debtor's country rule pack:
legal hours in the debtor's zone, caps across channels, holds, opt-outs; no paid or disputed
invoices), writes the outbox with
idempotency keys, and sends what is due now through the email channel (SendGrid), checking each
message again just before it goes. A rerun never sends a message twice.
"""

from __future__ import annotations

from airflow.sdk import dag, task

from cartera.dag_defaults import dag_options


@dag(
    schedule="0 13-23 * * *",
    doc_md=__doc__,
    **dag_options("campaigns", retries=2, retry_delay_minutes=5, timeout_minutes=45, max_active_runs=1),
)
def campaigns() -> None:
    @task
    def check_data_ready(**context: object) -> str:
        from cartera.tasks import check_ready_for_campaigns

        return check_ready_for_campaigns(context)

    @task
    def build_batch(as_of: str, **context: object) -> dict[str, object]:
        from cartera.tasks import build_batch_for_run

        return build_batch_for_run(as_of, context)

    @task
    def dispatch(batch: dict[str, object], **context: object) -> dict[str, object]:
        from cartera.tasks import dispatch_for_run

        return dispatch_for_run(context)

    dispatch(build_batch(check_data_ready()))


campaigns()
