"""Shared fixtures. Integration tests run on a real Postgres: the server named by
CARTERA_TEST_DATABASE_URL (CI uses the machine's 127.0.0.1:5432), or else the embedded one
started under .cartera/test. Each test session gets its own fresh database, dropped at the end."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from cartera.config import REPO_ROOT


def _admin_dsn() -> str:
    configured = os.environ.get("CARTERA_TEST_DATABASE_URL")
    if configured:
        return configured
    from cartera import local_postgres

    return local_postgres.start(REPO_ROOT / ".cartera" / "test").dsn("postgres")


def _with_dbname(dsn: str, dbname: str) -> str:
    from cartera.db import dsn_url

    return dsn_url(dsn, dbname=dbname)


@pytest.fixture(scope="session")
def pg_server_dsn() -> str:
    """DSN of a Postgres server's admin database (for creating test databases)."""
    return _admin_dsn()


@pytest.fixture(scope="session")
def warehouse_dsn(pg_server_dsn: str) -> Iterator[str]:
    """A fresh, empty warehouse database for this test session, with cartera's DDL applied."""
    name = f"cartera_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(pg_server_dsn, autocommit=True) as admin:
        admin.execute(f'create database "{name}"')
    dsn = _with_dbname(pg_server_dsn, name)
    from cartera.db import init_warehouse

    init_warehouse(dsn)
    yield dsn
    with psycopg.connect(pg_server_dsn, autocommit=True) as admin:
        admin.execute(f'drop database if exists "{name}" with (force)')


@pytest.fixture
def fresh_db(pg_server_dsn: str) -> Iterator[str]:
    """An empty database for one test (with cartera's DDL), for tests that need isolation."""
    name = f"cartera_t_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(pg_server_dsn, autocommit=True) as admin:
        admin.execute(f'create database "{name}"')
    dsn = _with_dbname(pg_server_dsn, name)
    from cartera.db import init_warehouse

    init_warehouse(dsn)
    yield dsn
    with psycopg.connect(pg_server_dsn, autocommit=True) as admin:
        admin.execute(f'drop database if exists "{name}" with (force)')


@pytest.fixture
def tmp_state_dir(tmp_path: Path) -> Path:
    state = tmp_path / "state"
    state.mkdir()
    return state
