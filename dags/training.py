"""
### Train the late-payment model

Weekly, or earlier when scoring finds drift (`cartera_retrain_requested`): builds point-in-time features, trains XGBoost on a time split (outcomes known before a
cutoff → invoices issued after it), stores the test AUC beside the model and the baseline's
(the customer's prior late rate), and promotes the model to champion when it is at least as good.
"""

from __future__ import annotations

import datetime as dt

from airflow.sdk import AssetOrTimeSchedule, Param, dag, task
from airflow.timetables.trigger import CronTriggerTimetable

from cartera.assets import MODEL, RETRAIN
from cartera.dag_defaults import default_args


@dag(
    schedule=AssetOrTimeSchedule(timetable=CronTriggerTimetable("0 8 * * 1", timezone="UTC"), assets=[RETRAIN]),
    start_date=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    catchup=False,
    tags=["cartera", "ml"],
    default_args=default_args(retries=1, retry_delay_minutes=10, timeout_minutes=120),
    params={"as_of": Param(None, type=["null", "string"], description="Business date to rerun (YYYY-MM-DD)")},
    doc_md=__doc__,
)
def training() -> None:
    @task(outlets=[MODEL])
    def train_and_register(**context: object) -> dict[str, object]:
        from cartera.tasks import train_for_run

        return train_for_run(context)

    train_and_register()


training()
