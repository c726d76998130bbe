"""
### Anomaly and fraud alerts

After the marts are built for the business date: duplicate, backdated or edited invoices, credit
notes after payment or unusual, payments reversed after they were applied and unapplied cash,
e-mails and terms changed before a payment request, customers paying later (a change point), bulk
holds by one collector and customers on SAT's 69-B list. Writes `ops.alerts` (source `anomaly`,
deduplicated by the facts), holds invoices raised as duplicates until someone decides, and
e-mails finance the high-severity alerts once (`CARTERA_FINANCE_ALERTS_EMAIL`). Confirming a fraud
alert on the dashboard holds the customer's campaigns. See docs/anomalies.md.
"""

from __future__ import annotations

from airflow.sdk import dag, task

from cartera.assets import MARTS
from cartera.dag_defaults import dag_options


@dag(
    schedule=[MARTS],
    doc_md=__doc__,
    **dag_options("anomalies", retries=1, retry_delay_minutes=5, timeout_minutes=30),
)
def anomalies() -> None:
    @task
    def detect_anomalies(**context: object) -> dict[str, object]:
        from cartera.tasks import anomalies_for_run

        return anomalies_for_run(context)

    detect_anomalies()


anomalies()
