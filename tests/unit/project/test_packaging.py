"""The project's own files agree with each other: requirements.txt is the lock's export, the
compose file is consistent, .ci/run calls `make test`."""

from __future__ import annotations

import shutil
import subprocess

import pytest
import yaml

from cartera.config import REPO_ROOT


def _requirements(text: str) -> list[str]:
    return sorted(line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#"))


def test_requirements_txt_is_the_export_of_uv_lock() -> None:
    uv = shutil.which("uv") or str(REPO_ROOT / ".tools" / "bin" / "uv")
    if not shutil.which(uv):
        pytest.fail("uv is needed to compare requirements.txt with uv.lock (make installs it)")
    exported = subprocess.run(
        [uv, "export", "--frozen", "--no-hashes", "--no-dev", "--no-emit-project"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    committed = (REPO_ROOT / "requirements.txt").read_text(encoding="utf-8")
    assert _requirements(committed) == _requirements(exported), "run `make requirements` and commit the result"


def test_requirements_txt_excludes_the_source_only_parser_and_the_cuda_xgboost() -> None:
    names = {line.split("==")[0].lower() for line in _requirements((REPO_ROOT / "requirements.txt").read_text())}
    assert "dbt-core-experimental-parser" not in names
    assert "xgboost" not in names and "xgboost-cpu" in names


def test_compose_runs_airflow_with_celery_and_redis_on_postgres() -> None:
    compose = yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    services = compose["services"]
    for name in (
        "postgres",
        "redis",
        "airflow-apiserver",
        "airflow-scheduler",
        "airflow-dag-processor",
        "airflow-triggerer",
        "airflow-worker",
        "airflow-init",
    ):
        assert name in services, name
    for name, service in services.items():
        if not name.startswith("airflow-"):
            continue
        env = service["environment"]
        assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
        assert env["AIRFLOW__CELERY__BROKER_URL"].startswith("redis://redis:")
        assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("postgresql+psycopg://")
        assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC"].startswith("postgresql+psycopg://")
        assert "AIRFLOW_CONN_CARTERA_WAREHOUSE" in env
        assert service.get("build") == "." and "depends_on" in service
        for dependency in service["depends_on"]:
            assert dependency in services
    assert services["airflow-worker"]["command"] == "celery worker"
    # No secret is written in the file: passwords come from the environment.
    text = (REPO_ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    assert "POSTGRES_PASSWORD: ${POSTGRES_PASSWORD:?" in text


def _compose_command() -> list[str] | None:
    docker = shutil.which("docker")
    if docker and subprocess.run([docker, "compose", "version"], capture_output=True).returncode == 0:
        return [docker, "compose"]
    legacy = shutil.which("docker-compose")
    return [legacy] if legacy else None


def test_compose_file_is_valid_for_docker_compose_where_docker_is_present() -> None:
    command = _compose_command()
    if command is None:
        pytest.skip("neither `docker compose` nor `docker-compose` is installed on this machine")
    result = subprocess.run(
        [*command, "-f", str(REPO_ROOT / "docker-compose.yml"), "config", "--quiet"],
        capture_output=True,
        text=True,
        env={
            "POSTGRES_PASSWORD": "x",
            "AIRFLOW_JWT_SECRET": "y",
            "AIRFLOW_API_SECRET_KEY": "z",
            "AIRFLOW_FERNET_KEY": "k",
            "PATH": "/usr/local/bin:/usr/bin:/bin",
        },
    )
    assert result.returncode == 0, result.stderr


def test_ci_runs_make_test() -> None:
    assert "make test" in (REPO_ROOT / ".ci" / "run").read_text(encoding="utf-8")
