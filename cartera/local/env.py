"""The local environment of `make demo` and `make up`: one place that decides which Postgres to
use and derives, from its DSN, what every tool needs (cartera settings, the dbt profile's
variables, Airflow's metadata database and its warehouse connection).

When CARTERA_DATABASE_URL is set, that server is used (Airflow's metadata goes to a database
named `airflow` on the same server unless CARTERA_AIRFLOW_DATABASE_URL says otherwise). When it
is not, the embedded Postgres under .cartera/ is started or reused.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import psycopg

from cartera.config import REPO_ROOT, get_settings
from cartera.db import dsn_url, sqlalchemy_url
from cartera.dsn import WAREHOUSE_CONN_ID
from cartera.logs import get_logger
from cartera.progress import Heartbeat

log = get_logger(__name__)
# Airflow's SimpleAuthManager users of the local set-up, one per dashboard role (see
# cartera/dashboard/auth.py): admin approves batches, the collector acts on the worklist,
# finance reads. Airflow generates their passwords at the API server's first start.
LOCAL_USERS = "admin:admin,cobranza:user,finanzas:viewer"
TRUST_AUTH_PLACEHOLDER = "trust-auth-no-password"


def _with_db(dsn: str, dbname: str) -> str:
    return dsn_url(dsn, dbname=dbname)


def _ensure_database(dsn: str) -> None:
    """Create the database of `dsn` on its server if it does not exist."""
    name = psycopg.conninfo.conninfo_to_dict(dsn).get("dbname")
    with psycopg.connect(_with_db(dsn, "postgres"), autocommit=True, connect_timeout=10) as admin:
        if not admin.execute("select 1 from pg_database where datname = %s", (name,)).fetchone():
            admin.execute(f'create database "{name}"')


def _airflow_conn_uri(dsn: str) -> str:
    """The warehouse DSN as an Airflow connection (JSON form, conn type `postgres`).

    Cosmos' profile mapping refuses a connection without a password, even where the server
    trusts local connections and never asks for one (the embedded Postgres, a trust-auth dev
    server): such a DSN gets a placeholder the server ignores.
    """
    params = psycopg.conninfo.conninfo_to_dict(dsn)
    return json.dumps(
        {
            "conn_type": "postgres",
            "host": str(params.get("host", "127.0.0.1")),
            "port": int(str(params.get("port") or 5432)),
            "login": str(params.get("user", "postgres")),
            "password": str(params.get("password") or TRUST_AUTH_PLACEHOLDER),
            "schema": str(params.get("dbname", "cartera")),
        }
    )


def dbt_env(dsn: str) -> dict[str, str]:
    """The variables the dbt profile (dbt_project/profiles.yml) reads."""
    params = psycopg.conninfo.conninfo_to_dict(dsn)
    return {
        "CARTERA_PGHOST": str(params.get("host", "127.0.0.1")),
        "CARTERA_PGPORT": str(params.get("port", 5432)),
        "CARTERA_PGUSER": str(params.get("user", "postgres")),
        "CARTERA_PGPASSWORD": str(params.get("password", "")),
        "CARTERA_PGDATABASE": str(params.get("dbname", "cartera")),
    }


def prepare(state_dir: Path | None = None) -> dict[str, str]:
    """Start or reuse the database and return the environment for cartera, dbt and Airflow.

    Also writes .cartera/cartera.env so later commands (`cartera ...`, tests of the demo) find
    the embedded server. Nothing secret is written when the DSN came from the environment.
    """
    state = state_dir or get_settings().state_dir
    state.mkdir(parents=True, exist_ok=True)
    configured = os.environ.get("CARTERA_DATABASE_URL")
    if configured:
        warehouse = dsn_url(configured)
        airflow_db = dsn_url(os.environ.get("CARTERA_AIRFLOW_DATABASE_URL") or _with_db(configured, "airflow"))
        _ensure_database(warehouse)
        _ensure_database(airflow_db)
    else:
        from cartera.local import postgres as local_postgres

        server = local_postgres.start(state)
        warehouse, airflow_db = server.dsn("cartera"), server.dsn("airflow")
        (state / "cartera.env").write_text(f"CARTERA_DATABASE_URL={warehouse}\n", encoding="utf-8")
    airflow_home = state / "airflow"
    airflow_home.mkdir(exist_ok=True)
    env = {
        "CARTERA_DATABASE_URL": warehouse,
        "CARTERA_STATE_DIR": str(state),
        "AIRFLOW_HOME": str(airflow_home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO_ROOT / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(REPO_ROOT / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "CARTERA_TASK_RETRIES": os.environ.get("CARTERA_TASK_RETRIES", "0"),
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": sqlalchemy_url(airflow_db),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC": sqlalchemy_url(airflow_db),
        f"AIRFLOW_CONN_{WAREHOUSE_CONN_ID.upper()}": _airflow_conn_uri(warehouse),
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": os.environ.get(
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS", LOCAL_USERS
        ),
        "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
        "DO_NOT_TRACK": "1",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
        "NO_PROXY": "*",
        **dbt_env(warehouse),
    }
    return env


def airflow(
    args: list[str],
    env: dict[str, str],
    *,
    log_file: Path | None = None,
    timeout: float = 900,
    heartbeat: Heartbeat | None = None,
) -> None:
    """Run the `airflow` CLI of this virtualenv with `env` added; output to `log_file` if given.
    With a `heartbeat`, say every second (on a terminal) or every minute how long it has run."""
    exe = Path(sys.executable).parent / "airflow"
    full_env = {**os.environ, **env}
    if log_file is None:
        subprocess.run([str(exe), *args], env=full_env, check=True, timeout=timeout)
        return
    with log_file.open("ab") as out:
        process = subprocess.Popen([str(exe), *args], env=full_env, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        try:
            while process.poll() is None:
                if time.monotonic() > deadline:
                    process.kill()
                    process.wait()
                    raise subprocess.TimeoutExpired([str(exe), *args], timeout)
                if heartbeat is not None:
                    heartbeat.beat()
                time.sleep(0.5)
        finally:
            if heartbeat is not None:
                heartbeat.clear()
    result = process
    if result.returncode != 0:
        raise RuntimeError(f"`airflow {' '.join(args)}` failed (exit {result.returncode}); see {log_file}")


def ensure_airflow_db(env: dict[str, str], log_file: Path) -> bool:
    """`airflow db migrate` once per Airflow version. True when it ran."""
    from importlib.metadata import version

    marker = Path(env["AIRFLOW_HOME"]) / f".migrated-{version('apache-airflow')}"
    if marker.exists():
        return False
    airflow(["db", "migrate"], env, log_file=log_file)
    marker.write_text("ok\n")
    return True


def airflow_passwords_file(env: dict[str, str]) -> Path:
    """Where Airflow's SimpleAuthManager writes the generated passwords of the local users."""
    configured = os.environ.get("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE")
    return (
        Path(configured) if configured else Path(env["AIRFLOW_HOME"]) / "simple_auth_manager_passwords.json.generated"
    )


def write_airflow_env(env: dict[str, str]) -> Path | None:
    """Write .cartera/airflow.env (``export AIRFLOW_...=...`` lines) so another shell can run the
    `airflow` CLI against the same set-up (`source .cartera/airflow.env; airflow dags unpause ...`).
    Nothing secret is written: None (no file) when Airflow's database URL carries a password."""
    keys = [k for k in env if k.startswith("AIRFLOW") and not k.startswith("AIRFLOW_CONN_")]
    if any(
        psycopg.conninfo.conninfo_to_dict(env[k].replace("+psycopg", "")).get("password")
        for k in keys
        if "SQL_ALCHEMY" in k
    ):
        return None
    path = Path(env["CARTERA_STATE_DIR"]) / "airflow.env"
    venv_bin = Path(sys.executable).parent
    lines = [f"export {k}='{env[k]}'" for k in sorted(keys)] + [f'export PATH="{venv_bin}:$PATH"']
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
