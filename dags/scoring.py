"""
### Score the open book

For every invoice open on the business date: the probability it is paid late, the expected
payment date and the top three reasons in Spanish and English; a risk score and segment per
customer. Uses the champion model. Triggered by the marts (`cartera_marts`). When the day's drift
check (PSI on the features and the late rate) asks for it, emits `cartera_retrain_requested`,
which brings the weekly training forward.
"""

from __future__ import annotations

import datetime as dt

from airflow.sdk import Param, dag, task

from cartera.assets import MARTS, RETRAIN, SCORES
from cartera.dag_defaults import default_args


@dag(
    schedule=[MARTS],
    start_date=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    catchup=False,
    tags=["cartera", "ml"],
    default_args=default_args(retries=1, retry_delay_minutes=5, timeout_minutes=60),
    params={"as_of": Param(None, type=["null", "string"], description="Business date to rerun (YYYY-MM-DD)")},
    doc_md=__doc__,
)
def scoring() -> None:
    @task(outlets=[SCORES])
    def score_open_items(**context: object) -> dict[str, object]:
        from cartera.tasks import score_for_run

        return score_for_run(context)

    @task.short_circuit
    def drift_asks_for_retraining(scores: dict[str, object], **context: object) -> bool:
        from cartera.tasks import retrain_requested_for_run

        return retrain_requested_for_run(context)

    @task(outlets=[RETRAIN])
    def request_retraining() -> str:
        return "drift over the threshold: training brought forward"

    drift_asks_for_retraining(score_open_items()) >> request_retraining()


scoring()
