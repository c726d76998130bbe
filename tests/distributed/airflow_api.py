"""A small client of Airflow 3's REST API (/api/v2) for the distributed tests: sign in with the
SimpleAuthManager's generated admin password, wait for the DAG processor to have parsed the DAGs,
unpause and trigger them, and wait for each run with a timeout that names the failing task's log."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from cartera.local.celery_stack import CeleryStack, read_passwords

TERMINAL = {"success", "failed"}


class RunFailed(AssertionError):
    """A DAG run did not succeed; the message names each failed task and its log file."""


@dataclass
class RunRecord:
    """One DAG run: `seconds` from the trigger until the test saw it finish, `run_seconds` from the
    run's start to its end as Airflow recorded them, and its task instances as the API returned them."""

    dag_id: str
    run_id: str
    state: str
    seconds: float
    run_seconds: float | None = None
    task_instances: list[dict[str, Any]] = field(default_factory=list)


class AirflowApi:
    def __init__(self, stack: CeleryStack) -> None:
        self.stack = stack
        password = read_passwords(stack)["admin"]
        answer = httpx.post(f"{stack.api_url}/auth/token", json={"username": "admin", "password": password}, timeout=30)
        answer.raise_for_status()
        self.client = httpx.Client(
            base_url=f"{stack.api_url}/api/v2",
            headers={"Authorization": f"Bearer {answer.json()['access_token']}"},
            timeout=60,
        )

    def close(self) -> None:
        self.client.close()

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        answer = self.client.request(method, path, **kwargs)
        if answer.status_code >= 400:
            raise AssertionError(f"{method} {path}: {answer.status_code} {answer.text[:500]}")
        return answer.json()

    def wait_for_dags(self, dag_ids: list[str], timeout: float = 300) -> None:
        """Until the DAG processor has serialized every DAG of `dag_ids` (raises on import errors)."""
        deadline = time.monotonic() + timeout
        while True:
            errors = self._json("GET", "/importErrors")["import_errors"]
            if errors:
                raise AssertionError(f"DAG import errors: {[(e['filename'], e['stack_trace'][-300:]) for e in errors]}")
            known = {d["dag_id"] for d in self._json("GET", "/dags", params={"limit": 100})["dags"]}
            if set(dag_ids) <= known:
                return
            self.stack.check_alive()
            if time.monotonic() > deadline:
                raise AssertionError(f"DAGs {sorted(set(dag_ids) - known)} not parsed in {timeout:.0f} s")
            time.sleep(2)

    def unpause(self, dag_id: str) -> None:
        self._json("PATCH", f"/dags/{dag_id}", json={"is_paused": False})

    def trigger(self, dag_id: str, logical_date: dt.datetime) -> str:
        run = self._json("POST", f"/dags/{dag_id}/dagRuns", json={"logical_date": logical_date.isoformat(), "conf": {}})
        return str(run["dag_run_id"])

    def task_instances(self, dag_id: str, run_id: str) -> list[dict[str, Any]]:
        tis: list[dict[str, Any]] = self._json("GET", f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances")[
            "task_instances"
        ]
        return tis

    def wait(self, dag_id: str, run_id: str, started: float, timeout: float = 900) -> RunRecord:
        """Until the run is terminal; raises RunFailed naming the failed tasks' log files."""
        deadline = started + timeout
        while True:
            run = self._json("GET", f"/dags/{dag_id}/dagRuns/{run_id}")
            state = str(run["state"])
            if state in TERMINAL:
                break
            self.stack.check_alive()
            if time.monotonic() > deadline:
                state = f"not finished after {timeout:.0f} s"
                break
            time.sleep(2)
        record = RunRecord(
            dag_id,
            run_id,
            state,
            time.monotonic() - started,
            _seconds_between(run),
            self.task_instances(dag_id, run_id),
        )
        if state != "success":
            failed = [ti for ti in record.task_instances if ti["state"] != "success"]
            lines = [
                f"{ti['task_id']}: {ti['state']} on {ti.get('hostname')}; log {self.log_path(ti)}" for ti in failed
            ]
            raise RunFailed(f"{dag_id} run {run_id}: {state}\n  " + "\n  ".join(lines))
        return record

    def run(self, dag_id: str, logical_date: dt.datetime, timeout: float = 900) -> RunRecord:
        started = time.monotonic()
        return self.wait(dag_id, self.trigger(dag_id, logical_date), started, timeout)

    def log_path(self, ti: dict[str, Any]) -> Path | str:
        """The task's log file under AIRFLOW_HOME/logs (Airflow 3's default file name template)."""
        folder = self.stack.airflow_home / "logs" / f"dag_id={ti['dag_id']}" / f"run_id={ti['dag_run_id']}"
        found = sorted((folder / f"task_id={ti['task_id']}").glob("**/attempt=*.log"))
        return found[-1] if found else f"(none yet under {folder}; worker logs in {self.stack.log_dir})"


def _seconds_between(run: dict[str, Any]) -> float | None:
    if not run.get("start_date") or not run.get("end_date"):
        return None
    start, end = (dt.datetime.fromisoformat(str(run[k]).replace("Z", "+00:00")) for k in ("start_date", "end_date"))
    return round((end - start).total_seconds(), 1)
