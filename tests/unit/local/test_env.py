from __future__ import annotations

import json

from cartera.db import redact_dsn, sqlalchemy_url
from cartera.local.env import TRUST_AUTH_PLACEHOLDER, _airflow_conn_uri, dbt_env


def test_dbt_profile_variables_come_from_the_dsn() -> None:
    env = dbt_env("postgresql://ana:s3cret@db.internal:6543/warehouse")
    assert env == {
        "CARTERA_PGHOST": "db.internal",
        "CARTERA_PGPORT": "6543",
        "CARTERA_PGUSER": "ana",
        "CARTERA_PGPASSWORD": "s3cret",
        "CARTERA_PGDATABASE": "warehouse",
    }


def test_airflow_uses_psycopg3_for_its_engines() -> None:
    assert sqlalchemy_url("postgresql://u@h:1/d") == "postgresql+psycopg://u@h:1/d"
    assert sqlalchemy_url("postgres://u@h:1/d") == "postgresql+psycopg://u@h:1/d"


def test_the_airflow_connection_keeps_user_and_password() -> None:
    conn = json.loads(_airflow_conn_uri("postgresql://ana:pw@h:5/d"))
    assert conn == {"conn_type": "postgres", "host": "h", "port": 5, "login": "ana", "password": "pw", "schema": "d"}
    # Trust auth: a placeholder the server ignores (Cosmos refuses a connection without password).
    assert json.loads(_airflow_conn_uri("postgresql://ana@h:5/d"))["password"] == TRUST_AUTH_PLACEHOLDER


def test_messages_name_the_server_without_credentials() -> None:
    assert redact_dsn("postgresql://ana:s3cret@db.internal:6543/warehouse") == "db.internal:6543/warehouse"
