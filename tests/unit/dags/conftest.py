from __future__ import annotations

import pytest


@pytest.fixture(scope="session", autouse=True)
def dbt_manifest() -> None:
    """The warehouse DAG renders from the dbt manifest, as in production (no `dbt ls` at parse)."""
    from cartera.dbt_manifest import parse_manifest

    parse_manifest()
