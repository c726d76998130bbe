"""Fixtures for the web app's tests: the dashboard book built once per module, a client signed in
with a token Airflow's own JWTGenerator signed (as Airflow's API server signs the UI's), and
tokens per role."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from dashboard_auth import SECRET, TestClient, airflow_token
from dashboard_book import build

from cartera.dashboard.app import create_app
from cartera.dashboard.auth import SharedSecretAuthenticator


@pytest.fixture(scope="module")
def book(pg_server_dsn: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from cartera.db import scratch_database

    with scratch_database(pg_server_dsn, "cartera_dash") as dsn:
        build(dsn, tmp_path_factory.mktemp("dash_dbt"))
        yield dsn


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
