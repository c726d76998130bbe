"""docker-compose.yml against what the CeleryExecutor run on this machine needed (cartera.local.celery_stack,
tests/distributed): no Docker here, so the file is checked as data and its commands with Airflow's
own command-line parser."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from cartera.config import REPO_ROOT

COMPOSE = yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
SERVICES: dict[str, Any] = COMPOSE["services"]
AIRFLOW = {name: s for name, s in SERVICES.items() if name.startswith("airflow-")}
LONG_RUNNING = {name: s for name, s in AIRFLOW.items() if name != "airflow-init"}
# Each container has its own AIRFLOW_HOME: a key left to Airflow is generated per container.
SHARED_SECRETS = ("AIRFLOW__API_AUTH__JWT_SECRET", "AIRFLOW__API__SECRET_KEY", "AIRFLOW__CORE__FERNET_KEY")


def _command(service: dict[str, Any]) -> list[str]:
    command = service["command"]
    return command.split() if isinstance(command, str) else list(command)


def test_every_airflow_container_shares_the_secrets_from_the_environment() -> None:
    for name, service in AIRFLOW.items():
        env = service["environment"]
        for key in SHARED_SECRETS:
            assert str(env.get(key, "")).startswith("${"), (name, key)
        assert env == AIRFLOW["airflow-scheduler"]["environment"] | {
            k: v for k, v in env.items() if k == "DUMB_INIT_SETSID"
        }, name


def test_workers_reach_the_api_servers_execution_api_and_celerys_results_use_psycopg_3() -> None:
    env = AIRFLOW["airflow-worker"]["environment"]
    port = SERVICES["airflow-apiserver"]["ports"][0].split(":")[-1]
    assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == f"http://airflow-apiserver:{port}/execution/"
    assert env["AIRFLOW__CELERY__RESULT_BACKEND"].startswith("db+postgresql+psycopg://")
    assert AIRFLOW["airflow-worker"]["depends_on"]["airflow-apiserver"]["condition"] == "service_healthy"


def test_the_compose_sets_what_the_local_celery_run_needed() -> None:
    from cartera.local.celery_stack import celery_env

    local = celery_env({}, airflow_db="postgresql://u@h:5432/a", api_port=1, broker_url="redis://h:6379/0", queue="q")
    # Only this machine needs these: the PATH of the virtualenv, a queue and a log port per stack.
    local_only = {"PATH", "AIRFLOW__OPERATORS__DEFAULT_QUEUE", "AIRFLOW__LOGGING__TRIGGERER_LOG_SERVER_PORT"}
    missing = set(local) - local_only - set(AIRFLOW["airflow-worker"]["environment"])
    assert not missing


def test_two_workers_by_default_and_every_long_running_part_has_a_health_check() -> None:
    assert AIRFLOW["airflow-worker"]["deploy"]["replicas"] >= 2
    for name, service in LONG_RUNNING.items():
        assert service["healthcheck"]["test"], name
        assert service["restart"] == "always", name
        assert service["depends_on"]["airflow-init"]["condition"] == "service_completed_successfully", name


@pytest.mark.slow
def test_every_airflow_command_and_health_check_parses_with_airflow_32s_cli(tmp_path: Path) -> None:
    commands = [_command(s) for name, s in LONG_RUNNING.items()]
    commands += [["db", "migrate"]]
    for service in LONG_RUNNING.values():
        test = service["healthcheck"]["test"]
        shell = test[1] if test[0] == "CMD-SHELL" else ""
        if shell.startswith("airflow "):
            commands.append(shell.split()[1:])
    worker_probe = LONG_RUNNING["airflow-worker"]["healthcheck"]["test"][1]
    app_module = worker_probe.split("--app ")[1].split()[0].rsplit(".", 1)[0]
    script = f"""
import importlib, json, sys
from airflow.cli import cli_parser
parser = cli_parser.get_parser()
for args in json.loads(sys.argv[1]):
    parser.parse_args(args)
importlib.import_module({app_module!r})
"""
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(tmp_path),
        "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",  # the `celery` commands exist only then
    }
    result = subprocess.run(
        [sys.executable, "-c", script, json.dumps(commands)], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, (commands, result.stderr[-2000:])
