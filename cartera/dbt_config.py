"""How Cosmos runs our dbt project inside Airflow: credentials from the Airflow connection
`cartera_warehouse` and dbt invoked in-process (dbtRunner).

The warehouse is built by ONE `dbt build` task (Cosmos' DbtBuildLocalOperator), not by a
DbtTaskGroup of one task per model. Measured here: each in-process dbt invocation costs ~4-5 s of
start-up, so the 24-node project took over 2 minutes as a task group against ~20 s as one build;
and Cosmos attaches a `relationships` test to the model that declares it, which then runs before
the model it points to is built. `dbt build` orders models, seeds and tests itself and skips
everything downstream of a failed test, so "a failed test stops what depends on it" still holds;
the per-model results are in the task log and dbt's run_results.json.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cartera.config import get_settings
from cartera.dsn import WAREHOUSE_CONN_ID


def dbt_build_kwargs(*, as_of_template: str) -> dict[str, Any]:
    """Keyword arguments for `cosmos.operators.local.DbtBuildLocalOperator`."""
    from cosmos import ProfileConfig
    from cosmos.constants import InvocationMode
    from cosmos.profiles import PostgresUserPasswordProfileMapping

    project_dir = Path(get_settings().dbt_project_dir)
    profile = ProfileConfig(
        profile_name="cartera",
        target_name="airflow",
        profile_mapping=PostgresUserPasswordProfileMapping(
            conn_id=WAREHOUSE_CONN_ID, profile_args={"schema": "marts", "threads": 4}
        ),
    )
    return {
        "project_dir": str(project_dir),
        "profile_config": profile,
        "invocation_mode": InvocationMode.DBT_RUNNER,
        "install_deps": False,  # no packages: generic tests are local (the dbt hub is not needed)
        "vars": {"as_of_date": as_of_template},
        "emit_datasets": False,  # the DAG emits its own asset once everything passed
    }
