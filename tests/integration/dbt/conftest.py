"""Fixtures for the dbt project's integration tests (helpers in warehouse_builds.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from warehouse_builds import dbt_build, failures, load_raw_sql, query

HERE = Path(__file__).parent
BOOK_AS_OF = "2026-11-24"


@pytest.fixture(scope="module")
def book_warehouse(pg_server_dsn: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database with cartera's DDL, the hand-checked book of raw_book.sql, and the warehouse
    built as of 2026-11-24. Shared by a module's tests (one build: they only read the marts);
    otherwise the same as the `fresh_db` fixture."""
    from cartera.db import scratch_database

    with scratch_database(pg_server_dsn, "cartera_dbt") as dsn:
        load_raw_sql(dsn, (HERE / "raw_book.sql").read_text())
        result = dbt_build(dsn, as_of=BOOK_AS_OF, work_dir=tmp_path_factory.mktemp("dbt_book"))
        assert result.success, failures(result)
        yield dsn


@pytest.fixture
def book_rows(book_warehouse: str) -> Callable[..., list[dict[str, Any]]]:
    """Query the built book: `book_rows("select ... where id = %s", ("I001",))`."""

    def run(sql_text: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        return query(book_warehouse, sql_text, params)

    return run
