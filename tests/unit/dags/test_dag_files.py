"""DAG policy: one case per DAG file. Each imports on its own, opens no database connection
at parse time, and declares tags, retries and an explicit schedule with catchup off."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from cartera.config import REPO_ROOT

DAG_FILES = sorted(p for p in (REPO_ROOT / "dags").glob("*.py") if not p.name.startswith("_"))
HEAVY = {"pandas", "xgboost", "great_expectations", "dbt", "sklearn", "numpy", "psycopg"}


@pytest.mark.parametrize("path", DAG_FILES, ids=lambda p: p.stem)
def test_dag_file_imports_no_heavy_library_at_module_level(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top_level = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
    names = {
        (alias.name if isinstance(n, ast.Import) else (n.module or "")).split(".")[0]
        for n in top_level
        for alias in (n.names if isinstance(n, ast.Import) else [n])  # type: ignore[list-item]
    }
    assert not names & HEAVY, f"{path.name} imports {names & HEAVY} at module level"


# The task adapters, the assets, task defaults, and the dbt operator's configuration (Cosmos).
ALLOWED_PROJECT_MODULES = {"cartera.tasks", "cartera.assets", "cartera.dag_defaults", "cartera.dbt_config"}


@pytest.mark.parametrize("path", DAG_FILES, ids=lambda p: p.stem)
def test_dag_file_imports_only_the_task_adapters_assets_and_defaults(path: Path) -> None:
    """A DAG file wires; its tasks call cartera.tasks (the task adapters), nothing deeper."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    project: set[str] = set()
    for node in ast.walk(tree):  # module level and inside tasks alike
        if isinstance(node, ast.ImportFrom) and node.module:
            project.add(node.module)
        elif isinstance(node, ast.Import):
            project.update(alias.name for alias in node.names)
    own = {m for m in project if m.split(".")[0] in ("cartera", "ml", "expectations")}
    assert own <= ALLOWED_PROJECT_MODULES, f"{path.name} imports {sorted(own - ALLOWED_PROJECT_MODULES)}"


@pytest.mark.parametrize("path", DAG_FILES, ids=lambda p: p.stem)
def test_dag_file_parses_without_touching_a_database(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import psycopg
    from airflow.dag_processing.dagbag import DagBag

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"{path.name} opened a database connection at parse time")

    monkeypatch.setattr(psycopg, "connect", refuse)
    monkeypatch.setenv("AIRFLOW__COSMOS__ENABLE_TELEMETRY", "False")
    bag = DagBag(dag_folder=str(path), include_examples=False, safe_mode=False)
    assert not bag.import_errors, bag.import_errors
    assert list(bag.dags) == [path.stem], "one DAG per file, named as the file"
    dag = bag.dags[path.stem]
    assert dag.tags and "cartera" in dag.tags
    assert dag.catchup is False
    assert dag.doc_md, "the DAG file's docstring is its documentation"
    assert dag.default_args.get("retries", 0) >= 1
    for task in dag.tasks:  # a hung provider or database fails the task instead of holding it forever
        assert task.execution_timeout is not None, f"{path.stem}.{task.task_id} has no execution_timeout"
    assert "as_of" in dag.params, "every DAG can rerun a given business day"
