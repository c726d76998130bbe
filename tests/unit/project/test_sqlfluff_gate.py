"""sqlfluff in `make lint` bites: with the dbt project's own config (dbt_project/.sqlfluff), a badly
written model fails for its style, while a real model of the project, rendered with the project's
macros and vars, passes. Both are linted once, from a directory outside the project."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from cartera.config import REPO_ROOT

SQLFLUFF = Path(sys.executable).parent / "sqlfluff"
PROJECT_CONFIG = REPO_ROOT / "dbt_project" / ".sqlfluff"
# A model a reviewer would send back: upper-case keywords, tables aliased without `as`, a bare
# JOIN, everything on one long line. It renders (ref() and the money macro resolve), so only the
# rules can fail it.
BAD_MODEL = (
    "SELECT c.customer_id, {{ money('c.credit_limit') }} AS credit_limit, k.email "
    "FROM {{ ref('stg_books__customers') }} c JOIN {{ ref('stg_books__contacts') }} k "
    "ON c.customer_id = k.customer_id\n"
)
GOOD_MODEL = REPO_ROOT / "dbt_project" / "models" / "marts" / "finance" / "fct_ar_kpi_daily.sql"


@pytest.fixture(scope="module")
def violations(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[dict[str, Any]]]:
    """sqlfluff's violations per file name, for the bad model and a copy of a real one."""
    folder = tmp_path_factory.mktemp("sqlfluff")
    (folder / "bad_model.sql").write_text(BAD_MODEL, encoding="utf-8")
    shutil.copy(GOOD_MODEL, folder / "good_model.sql")
    result = subprocess.run(
        [str(SQLFLUFF), "lint", "--config", str(PROJECT_CONFIG), "--format", "json", "bad_model.sql", "good_model.sql"],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 1, f"sqlfluff should fail on the bad model (exit 1): {result.stderr[-2000:]}"
    return {Path(entry["filepath"]).name: entry["violations"] for entry in json.loads(result.stdout)}


def test_a_badly_written_model_fails_the_projects_sqlfluff_rules(violations: dict[str, list[dict[str, Any]]]) -> None:
    codes = {violation["code"] for violation in violations["bad_model.sql"]}
    assert "TMP" not in codes and "PRS" not in codes, f"the bad model should render and parse: {codes}"
    # keywords lower case, `as` for aliases, `inner join`, lines within 120 characters
    assert {"CP01", "AL01", "AM05", "LT05"} <= codes, codes


def test_a_model_of_the_project_passes_with_its_macros_and_vars(violations: dict[str, list[dict[str, Any]]]) -> None:
    assert violations["good_model.sql"] == []


def test_make_lint_runs_sqlfluff_on_the_dbt_project() -> None:
    makefile = (REPO_ROOT / "Makefile").read_text(encoding="utf-8")
    lint_recipe = makefile.split("\nlint:", 1)[1].split("\n\n", 1)[0]
    assert "sqlfluff lint dbt_project" in lint_recipe
