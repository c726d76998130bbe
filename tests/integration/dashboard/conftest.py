"""Fixtures for the web app's tests: the dashboard book built once per module, a client signed in
with a token Airflow's own JWTGenerator signed (as Airflow's API server signs the UI's), and
tokens per role."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from dashboard_book import build

from cartera.dashboard.app import create_app
from cartera.dashboard.auth import SharedSecretAuthenticator

SECRET = "test-secret-shared-with-airflow-" + "0123456789abcdef" * 4

with warnings.catch_warnings():
    # Starlette's test client (pinned with Airflow's web stack) still imports anyio's old
    # BlockingPortal alias; harmless, and not ours to fix.
    warnings.filterwarnings("ignore", message="The anyio.abc.BlockingPortal alias", category=DeprecationWarning)
    from fastapi.testclient import TestClient


def airflow_token(username: str, role: str | None, *, valid_for: int = 3600, secret: str = SECRET) -> str:
    """A JWT as Airflow's SimpleAuthManager issues it (claims sub and role), signed by Airflow's
    own JWTGenerator with the shared secret."""
    from airflow.api_fastapi.auth.tokens import JWTGenerator

    generator = JWTGenerator(
        secret_key=secret, valid_for=valid_for, audience="apache-airflow", algorithm="HS512", issuer=None
    )
    claims: dict[str, Any] = {"sub": username}
    if role is not None:
        claims["role"] = role
    return str(generator.generate(claims))


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
