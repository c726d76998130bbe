"""The warehouse is built for the business date it is given, never for the clock's: without var
`as_of_date` a build fails at compile time naming the var, so no as-of model is built for "today";
parsing (a manifest, no SQL run) still works without it."""

from __future__ import annotations

from pathlib import Path

import pytest
from warehouse_builds import DBT_PROJECT_DIR, dbt_build, failures, query

pytestmark = pytest.mark.integration


def test_a_build_without_the_business_date_fails_naming_the_var(fresh_db: str, tmp_path: Path) -> None:
    result = dbt_build(fresh_db, as_of=None, work_dir=tmp_path)

    assert not result.success
    messages = failures(result)
    assert any("var 'as_of_date' is not set" in message for message in messages), messages
    built = query(fresh_db, "select table_name from information_schema.tables where table_schema = 'marts'")
    assert "fct_open_items" not in {row["table_name"] for row in built}


def test_a_malformed_business_date_fails_naming_the_var(fresh_db: str, tmp_path: Path) -> None:
    result = dbt_build(fresh_db, as_of="24/11/2026", work_dir=tmp_path)

    assert not result.success
    assert any("var 'as_of_date' must be a date as YYYY-MM-DD" in message for message in failures(result))


def test_the_project_parses_without_a_business_date(tmp_path: Path) -> None:
    from dbt.cli.main import dbtRunner

    project = str(DBT_PROJECT_DIR)
    result = dbtRunner().invoke(
        ["parse", "--project-dir", project, "--profiles-dir", project, "--target-path", str(tmp_path / "target"),
         "--log-path", str(tmp_path / "logs"), "--log-level-file", "none", "--quiet"]
    )  # fmt: skip

    assert result.success, result.exception
