"""Shared fixtures. Integration tests run on a real Postgres: the server named by
CARTERA_TEST_DATABASE_URL (e.g. the machine's 127.0.0.1:5432), or else the embedded one
started under .cartera/test. Each test session gets its own fresh database, dropped at the end."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from cartera.config import REPO_ROOT


def _admin_dsn() -> str:
    configured = os.environ.get("CARTERA_TEST_DATABASE_URL")
    if configured:
        return configured
    from cartera.local import postgres as local_postgres

    return local_postgres.start(REPO_ROOT / ".cartera" / "test").dsn("postgres")


@pytest.fixture(scope="session")
def pg_server_dsn() -> str:
    """DSN of a Postgres server's admin database (for creating test databases)."""
    return _admin_dsn()


@pytest.fixture(scope="session")
def warehouse_dsn(pg_server_dsn: str) -> Iterator[str]:
    """A fresh, empty warehouse database for this test session, with cartera's DDL applied."""
    from cartera.db import scratch_database

    with scratch_database(pg_server_dsn, "cartera_test") as dsn:
        yield dsn


@pytest.fixture
def fresh_db(pg_server_dsn: str) -> Iterator[str]:
    """An empty database for one test (with cartera's DDL), for tests that need isolation."""
    from cartera.db import scratch_database

    with scratch_database(pg_server_dsn, "cartera_t") as dsn:
        yield dsn


@pytest.fixture
def tmp_state_dir(tmp_path: Path) -> Path:
    state = tmp_path / "state"
    state.mkdir()
    return state
