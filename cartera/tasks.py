"""What each DAG task does, as plain functions of the Airflow context.

DAG files stay thin: each task calls one function here, which resolves the run's business date
and the warehouse DSN, then calls the stage's own module (`cartera.sources.erp_ingest`, `ml.training`, …).
Every function is idempotent for a given business date.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from typing import Any, TypeVar

from cartera.config import get_settings
from cartera.dsn import erp_dsn, warehouse_dsn
from cartera.logs import get_logger
from cartera.run_dates import as_of_date, run_instant

log = get_logger(__name__)
T = TypeVar("T")


def _alerting(task: str, context: dict[str, Any], call: Callable[[], T]) -> T:
    """Run a stage; a failed quality gate, data not ready or a configuration error also becomes
    an ops.alerts row (the dashboard shows it) before the task fails with the same message."""
    from cartera import alerts
    from cartera.errors import ConfigurationError, DataNotReadyError, QualityGateFailedError

    try:
        return call()
    except (QualityGateFailedError, DataNotReadyError, ConfigurationError) as exc:
        if isinstance(exc, QualityGateFailedError):
            kind = "quality_gate_failed"
        elif isinstance(exc, DataNotReadyError):
            kind = "data_not_ready"
        else:
            kind = "configuration_error"
        try:
            dsn = warehouse_dsn()
        except Exception:  # noqa: BLE001 - no warehouse to write to: the task still fails with the original error
            raise exc from None
        day = as_of_date(context).isoformat()
        alerts.raise_alert(
            dsn,
            alerts.Alert(
                dedup_key=f"task:{task}:{kind}:{day}",
                kind=kind,
                severity="critical" if kind != "data_not_ready" else "high",
                summary=f"{task} failed for {day}: {str(exc)[:400]}",
                reasons=[type(exc).__name__],
                entity_type="task",
                entity_id=task,
            ),
            dt.datetime.now(dt.UTC),  # when it was noticed (the alert, not a business fact)
        )
        raise


def _result(obj: Any) -> dict[str, Any]:
    """A stage's summary as a JSON-friendly dict (the task's XCom)."""
    plain = _plain(obj)
    return plain if isinstance(plain, dict) else {"result": plain}


def _plain(obj: Any) -> Any:
    """A JSON-friendly view of a result (for XCom and logs): dataclasses, dates, lists."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {k: _plain(v) for k, v in dataclasses.asdict(obj).items()}
    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    if isinstance(obj, (dt.date, dt.datetime)):
        return obj.isoformat()
    return obj


def ingest_erp_for_run(context: dict[str, Any]) -> list[dict[str, Any]]:
    from cartera.sources.erp_ingest import ingest_erp

    upper = run_instant(context)
    if (context.get("params") or {}).get("as_of"):
        # A rerun of a past day loads what was written up to that day's run, not later.
        from cartera.run_dates import BOOKS_TZ

        day = as_of_date(context)
        upper = dt.datetime.combine(day, dt.time(0, 30), tzinfo=BOOKS_TZ).astimezone(dt.UTC)
    results = _alerting(
        "ingest_erp",
        context,
        lambda: ingest_erp(
            warehouse_dsn=warehouse_dsn(), erp_dsn=erp_dsn(), erp_schema=get_settings().erp_schema, upper_bound=upper
        ),
    )
    return [_result(r) for r in results]


def ingest_files_for_run(context: dict[str, Any]) -> list[dict[str, Any]]:
    """Import every new export in the drop folder (CARTERA_IMPORT_DIR)."""
    from cartera.sources.files.drop_folder import import_drop_folder

    settings = get_settings()
    folder = settings.import_dir or settings.state_dir / "imports"
    results = _alerting(
        "ingest_files", context, lambda: import_drop_folder(warehouse_dsn(), folder, imported_at=run_instant(context))
    )
    return [_plain(r) for r in results]


def business_date_for_run(context: dict[str, Any]) -> str:
    """The run's business date (YYYY-MM-DD), for tasks that hand it to another operator (dbt)."""
    return as_of_date(context).isoformat()


def train_for_run(context: dict[str, Any]) -> dict[str, Any]:
    from ml.training import train_and_register

    info = train_and_register(warehouse_dsn(), as_of_date(context))
    return _result(info)


def score_for_run(context: dict[str, Any]) -> dict[str, Any]:
    from ml.scoring import score_open_items

    return _result(score_open_items(warehouse_dsn(), as_of_date(context)))


def retrain_requested_for_run(context: dict[str, Any]) -> bool:
    """Whether the day's drift check asked for an earlier retraining (not yet served)."""
    from cartera.db import connect
    from ml.drift import retrain_requested

    with connect(warehouse_dsn()) as conn:
        return retrain_requested(conn, as_of_date(context))


def check_ready_for_campaigns(context: dict[str, Any]) -> str:
    """Refuse to build reminders from broken or stale data (raises); returns the business date."""
    from cartera.campaigns.readiness import assert_ready_for_campaigns

    day = as_of_date(context)
    _alerting("campaigns.check_data_ready", context, lambda: assert_ready_for_campaigns(warehouse_dsn(), day))
    return day.isoformat()


def build_batch_for_run(as_of: str, context: dict[str, Any]) -> dict[str, Any]:
    """Build the day's batch with the strategy CARTERA_STRATEGY names (the fixed playbook unless
    it says learned: cartera/learning/scheduled.py), then assess whether it waits for approval."""
    from cartera.campaigns import approval, build_batch
    from cartera.campaigns.playbook import load_playbook
    from cartera.db import connect
    from cartera.learning.scheduled import strategy_for_build

    dsn = warehouse_dsn()
    day, playbook = dt.date.fromisoformat(as_of), load_playbook()
    strategy = strategy_for_build(dsn, day, at=run_instant(context), playbook=playbook)
    summary = build_batch(dsn, day, planned_at=run_instant(context), playbook=playbook, strategy=strategy)
    with connect(dsn) as conn:  # a batch that must be seen first waits; dispatch skips it until approved
        reasons = approval.assess(
            conn, summary.batch_id, run_instant(context), rules=approval.ApprovalRules.from_settings(),
            policy=approval.policy_version(),
        )  # fmt: skip
    return {**_result(summary), "approval_reasons": reasons}


def dispatch_for_run(context: dict[str, Any]) -> dict[str, Any]:
    """Send what is due. The law is checked, and `sent_at` stamped, at the real instant of each
    send (the system clock), not the run's logical date: a late, cleared or backfilled run
    re-decides with the real time and defers what is outside its window."""
    from cartera.campaigns import dispatch, system_clock
    from cartera.campaigns.dispatch import replay_clock

    settings = get_settings()
    clock = system_clock
    if settings.simulated_clock:  # the demo replays a past day against local fakes only
        clock = replay_clock(
            run_instant(context), sendgrid_host=settings.sendgrid_host, twilio_base_url=settings.twilio_base_url
        )
    return _result(_alerting("campaigns.dispatch", context, lambda: dispatch(warehouse_dsn(), clock)))


def anomalies_for_run(context: dict[str, Any]) -> dict[str, Any]:
    """Anomaly alerts for the business date; high severity e-mailed to finance when
    CARTERA_FINANCE_ALERTS_EMAIL and a SendGrid key are set (the alerts are written either way)."""
    from cartera.anomalies.run import run_anomalies

    settings = get_settings()
    channel = None
    if settings.finance_alerts_email and settings.sendgrid_api_key is not None:
        from cartera.channels.sendgrid_email import SendGridEmailChannel

        channel = SendGridEmailChannel.from_settings()
    summary = _alerting(
        "anomalies",
        context,
        lambda: run_anomalies(
            warehouse_dsn(), as_of_date(context), run_instant(context), channel=channel,
            finance_email=settings.finance_alerts_email,
        ),
    )  # fmt: skip
    return _result(summary)


def kpi_snapshot_for_run(context: dict[str, Any]) -> dict[str, Any]:
    from cartera.kpi import snapshot

    return _result(_alerting("kpi_snapshot", context, lambda: snapshot(warehouse_dsn(), as_of_date(context))))
