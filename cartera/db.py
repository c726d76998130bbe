"""Connections to the warehouse (and to the ERP source) with psycopg 3.

Everything that talks to Postgres goes through here: one place to set timeouts, the application
name and the error that says which database could not be reached (never its password).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from importlib import resources
from typing import TYPE_CHECKING, Any

import psycopg
from psycopg import sql

from cartera.config import get_settings
from cartera.errors import SourceUnavailableError

if TYPE_CHECKING:  # pandas is heavy: imported only where a frame is built
    import pandas as pd

SCHEMAS = ("raw", "quarantine", "ops", "ml", "kpi")


def redact_dsn(dsn: str) -> str:
    """host:port/db of a DSN, for messages (no user, no password)."""
    info = psycopg.conninfo.conninfo_to_dict(dsn)
    return f"{info.get('host', 'localhost')}:{info.get('port', 5432)}/{info.get('dbname', '')}"


def sqlalchemy_url(dsn: str) -> str:
    """The same DSN for SQLAlchemy with psycopg 3 (Airflow's sync and async engines)."""
    for prefix in ("postgresql+psycopg://", "postgresql://", "postgres://"):
        if dsn.startswith(prefix):
            return "postgresql+psycopg://" + dsn[len(prefix) :]
    return dsn


@contextmanager
def connect(
    dsn: str | None = None, *, autocommit: bool = False, role: str = "warehouse"
) -> Iterator[psycopg.Connection]:
    """A connection that commits on success and rolls back on error."""
    target = dsn or get_settings().warehouse_dsn
    try:
        conn = psycopg.connect(target, autocommit=autocommit, connect_timeout=10, application_name="cartera")
    except psycopg.OperationalError as exc:
        raise SourceUnavailableError(
            role,
            f"cannot connect to {redact_dsn(target)} ({type(exc).__name__})",
            "that the server is running and the DSN in CARTERA_DATABASE_URL / the Airflow connection is right",
        ) from exc
    try:
        with conn:
            yield conn
    finally:
        conn.close()


def read_frame(
    conn: psycopg.Connection, query: str | sql.SQL | sql.Composed, params: Sequence[Any] | dict[str, Any] | None = None
) -> pd.DataFrame:
    """Run a query and return its rows as a DataFrame (column names from the cursor)."""
    import pandas as pd

    with conn.cursor() as cur:
        cur.execute(query, params)
        columns = [c.name for c in cur.description] if cur.description else []
        rows = cur.fetchall()
    return pd.DataFrame.from_records(rows, columns=columns)


def apply_ddl(conn: psycopg.Connection) -> None:
    """Create cartera's own schemas and tables (idempotent)."""
    folder = resources.files("cartera").joinpath("sql")
    # One file per owner (ingest, ml, campaigns, kpi), applied in name order.
    for name in sorted(entry.name for entry in folder.iterdir() if entry.name.endswith(".sql")):
        ddl = folder.joinpath(name).read_text(encoding="utf-8")
        conn.execute(ddl)  # type: ignore[arg-type]  # trusted files shipped in the package


def init_warehouse(dsn: str | None = None) -> None:
    """Create schemas and tables of the warehouse that cartera (not dbt) owns."""
    with connect(dsn) as conn:
        apply_ddl(conn)


def dsn_url(dsn: str, *, dbname: str | None = None) -> str:
    """The DSN as a `postgresql://` URL (Airflow and SQLAlchemy need the URL form), optionally
    pointing at another database on the same server."""
    from urllib.parse import quote

    params = psycopg.conninfo.conninfo_to_dict(dsn)
    user = quote(str(params.get("user", "postgres")), safe="")
    password = params.get("password")
    auth = f"{user}:{quote(str(password), safe='')}@" if password else f"{user}@"
    host = params.get("host", "127.0.0.1")
    port = params.get("port", 5432)
    return f"postgresql://{auth}{host}:{port}/{dbname or params.get('dbname', 'postgres')}"


@contextmanager
def scratch_database(server_dsn: str, prefix: str, *, with_tables: bool = True) -> Iterator[str]:
    """A new, uniquely named database on the server of `server_dsn` (cartera's tables created
    unless `with_tables` is False), dropped on exit even if connections remain. For tests and
    benchmarks: nothing in the pipeline creates databases this way."""
    import uuid

    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(server_dsn, autocommit=True) as admin:
        admin.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    try:
        dsn = dsn_url(server_dsn, dbname=name)
        if with_tables:
            init_warehouse(dsn)
        yield dsn
    finally:
        with psycopg.connect(server_dsn, autocommit=True) as admin:
            admin.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))
