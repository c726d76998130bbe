"""Fixtures for the web app's tests: the dashboard book built once per test process and copied for each module, a client signed in
with a token Airflow's own JWTGenerator signed (as Airflow's API server signs the UI's), and
tokens per role."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import psycopg
import pytest
from dashboard_auth import SECRET, TestClient, airflow_token
from dashboard_book import build
from psycopg import sql

from cartera.dashboard.app import create_app
from cartera.dashboard.auth import SharedSecretAuthenticator


@pytest.fixture(scope="session")
def built_book(pg_server_dsn: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The dashboard book, built once per test process: modules get copies of it (`book`)."""
    from cartera.db import scratch_database

    with scratch_database(pg_server_dsn, "cartera_dash_built") as dsn:
        build(dsn, tmp_path_factory.mktemp("dash_dbt"))
        yield dsn


@pytest.fixture(scope="module")
def book(built_book: str, pg_server_dsn: str) -> Iterator[str]:
    """A module's own copy of the built book (CREATE DATABASE … TEMPLATE copies its files, ~1 s
    against ~15 s to build it again), so what one module writes never reaches another."""
    from cartera.db import dsn_url

    template = psycopg.conninfo.conninfo_to_dict(built_book)["dbname"]
    name = f"cartera_dash_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(pg_server_dsn, autocommit=True) as admin:
        # Postgres copies a database only while no session is connected to it.
        admin.execute(
            "select pg_terminate_backend(pid) from pg_stat_activity where datname = %s and pid <> pg_backend_pid()",
            (template,),
        )
        admin.execute(sql.SQL("create database {} template {}").format(sql.Identifier(name), sql.Identifier(template)))
    try:
        yield dsn_url(pg_server_dsn, dbname=name)
    finally:
        with psycopg.connect(pg_server_dsn, autocommit=True) as admin:
            admin.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))


@pytest.fixture
def client_for() -> Callable[..., TestClient]:
    """A test client of the app on ``dsn``, signed in as ``role`` (None: not signed in)."""

    def make(dsn: str, role: str | None = "admin", username: str = "ana") -> TestClient:
        app = create_app(lambda: dsn, auth=SharedSecretAuthenticator(SECRET, "/auth/login"))
        client = TestClient(app, base_url="http://testserver")
        if role is not None:
            client.cookies.set("_token", airflow_token(username, role))
        return client

    return make
