"""Parse the dbt project into target/manifest.json (what Cosmos renders the warehouse DAG from)."""

from __future__ import annotations

import os
from pathlib import Path

from cartera.config import get_settings


def parse_manifest(project_dir: Path | None = None) -> Path:
    """Run `dbt parse` in-process; returns the manifest's path. Needs no database connection."""
    from dbt.cli.main import dbtRunner

    project = project_dir or Path(get_settings().dbt_project_dir)
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "False")
    result = dbtRunner().invoke(["parse", "--project-dir", str(project), "--profiles-dir", str(project), "--quiet"])
    if not result.success:
        raise RuntimeError(f"dbt parse failed: {result.exception}")
    return project / "target" / "manifest.json"
