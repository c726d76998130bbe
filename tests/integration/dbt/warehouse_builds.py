"""Helpers for the dbt project's integration tests: load raw rows with SQL, run `dbt build`
in-process (dbtRunner) against that database, then read the marts back.

Each build gets its own target and log directories so parallel workers never share dbt state."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg
import pytest

from cartera.config import REPO_ROOT

DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"


def load_raw_sql(dsn: str, sql_text: str) -> None:
    """Run a script of inserts into the raw tables."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(sql_text)  # type: ignore[arg-type]


def query(dsn: str, sql_text: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    """Rows of a query as dicts."""
    with psycopg.connect(dsn) as conn, conn.cursor(row_factory=psycopg.rows.dict_row) as cur:
        cur.execute(sql_text, params)  # type: ignore[arg-type]
        return cur.fetchall()


def dbt_build(dsn: str, *, as_of: str | None, work_dir: Path, select: str | None = None) -> Any:
    """`dbt build` of dbt_project/ against the database of `dsn`, as of `as_of` (None: without the
    var, which the project refuses).

    Credentials reach the project's own profiles.yml through the CARTERA_PG* variables, exactly as
    when someone runs `dbt build --profiles-dir .` by hand."""
    from dbt.cli.main import dbtRunner

    info = psycopg.conninfo.conninfo_to_dict(dsn)
    env = {
        "CARTERA_PGHOST": str(info.get("host") or "127.0.0.1"),
        "CARTERA_PGPORT": str(info.get("port") or 5432),
        "CARTERA_PGUSER": str(info.get("user") or "postgres"),
        "CARTERA_PGPASSWORD": str(info.get("password") or ""),
        "CARTERA_PGDATABASE": str(info["dbname"]),
        "DO_NOT_TRACK": "1",
    }
    args = [
        "build",
        "--project-dir", str(DBT_PROJECT_DIR),
        "--profiles-dir", str(DBT_PROJECT_DIR),
        "--target-path", str(work_dir / "target"),
        "--log-path", str(work_dir / "logs"),
        *(["--vars", f'{{"as_of_date": "{as_of}"}}'] if as_of is not None else []),
        *(["--select", select] if select is not None else []),
        "--no-use-colors",
        # no dbt.log: dbt reopens its file handler on every in-process invocation without closing
        # the previous one (an unclosed-file ResourceWarning, an error under pytest); the run's
        # results and messages come back in the result object instead.
        "--log-level-file", "none",
        "--quiet",
    ]  # fmt: skip
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        return dbtRunner().invoke(args)


def failures(result: Any) -> list[str]:
    """Names and messages of the nodes that did not pass, for assertion messages."""
    if result.result is None:
        return [repr(result.exception)]
    return [
        f"{node.node.unique_id}: {node.status} {node.message}"
        for node in result.result.results
        if str(node.status) not in {"success", "pass"}
    ]
