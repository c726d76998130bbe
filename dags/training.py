"""
### Train the late-payment model

Weekly, or earlier when scoring finds drift (`cartera_retrain_requested`): builds point-in-time features, trains XGBoost on a time split (outcomes known before a
cutoff → invoices issued after it), stores the test AUC beside the model and the baseline's
(the customer's prior late rate), and promotes the model to champion when it is at least as good.
"""

from __future__ import annotations

from airflow.sdk import AssetOrTimeSchedule, dag, task
from airflow.timetables.trigger import CronTriggerTimetable

from cartera.assets import MODEL, RETRAIN
from cartera.dag_defaults import dag_options


@dag(
    schedule=AssetOrTimeSchedule(timetable=CronTriggerTimetable("0 8 * * 1", timezone="UTC"), assets=[RETRAIN]),
    doc_md=__doc__,
    **dag_options("ml", retries=1, retry_delay_minutes=10, timeout_minutes=120),
)
def training() -> None:
    @task(outlets=[MODEL])
    def train_and_register(**context: object) -> dict[str, object]:
        from cartera.tasks import train_for_run

        return train_for_run(context)

    train_and_register()


training()
