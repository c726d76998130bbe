"""
### Score the open book

For every invoice open on the business date: the probability it is paid late, the expected
payment date and the top three reasons in Spanish and English; a risk score and segment per
customer. Uses the champion model. Triggered by the marts (`cartera_marts`). When the day's drift
check (PSI on the features and the late rate) asks for it, emits `cartera_retrain_requested`,
which brings the weekly training forward.
"""

from __future__ import annotations

from airflow.sdk import dag, task

from cartera.assets import MARTS, RETRAIN, SCORES
from cartera.dag_defaults import dag_options


@dag(
    schedule=[MARTS],
    doc_md=__doc__,
    **dag_options("ml", retries=1, retry_delay_minutes=5, timeout_minutes=60),
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
