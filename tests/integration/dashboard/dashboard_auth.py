"""Signing in for the web app's tests: Airflow's own JWTGenerator signs the tokens, as Airflow's
API server signs the UI's. A module with a unique name (a test importing 'conftest' would collide
with other folders' conftest modules when the whole suite runs)."""

from __future__ import annotations

import warnings
from typing import Any

SECRET = "test-secret-shared-with-airflow-" + "0123456789abcdef" * 4

with warnings.catch_warnings():
    # Starlette's test client (pinned with Airflow's web stack) still imports anyio's old
    # BlockingPortal alias; harmless, and not ours to fix.
    warnings.filterwarnings("ignore", message="The anyio.abc.BlockingPortal alias", category=DeprecationWarning)
    from fastapi.testclient import TestClient

__all__ = ["SECRET", "TestClient", "airflow_token"]


def airflow_token(username: str, role: str | None, *, valid_for: int = 3600, secret: str = SECRET) -> str:
    """A JWT as Airflow's SimpleAuthManager issues it (claims sub and role), signed by Airflow's
    own JWTGenerator with the shared secret."""
    from airflow.api_fastapi.auth.tokens import JWTGenerator

    generator = JWTGenerator(
        secret_key=secret, valid_for=valid_for, audience="apache-airflow", algorithm="HS512", issuer=None
    )
    claims: dict[str, Any] = {"sub": username}
    if role is not None:
        claims["role"] = role
    return str(generator.generate(claims))
