"""Fixtures of the ingest tests: a warehouse whose `erp` schema holds a small ERP (see small_erp.py)."""

from __future__ import annotations

import psycopg
import pytest
from small_erp import ERP_DDL, ERP_ROWS, WRITTEN  # beside this file (pytest puts the folder on sys.path)


@pytest.fixture
def erp_dsn(fresh_db: str) -> str:
    """DSN of a fresh warehouse whose `erp` schema holds a few rows per ERP table (all written at WRITTEN)."""
    with psycopg.connect(fresh_db) as conn:
        conn.execute(ERP_DDL)
        for statement in filter(str.strip, ERP_ROWS.split(";")):  # parameters need one statement at a time
            conn.execute(statement, {"w": WRITTEN})  # type: ignore[call-overload]
    return fresh_db
