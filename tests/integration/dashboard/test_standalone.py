"""The dashboard alone never runs open: without an auth configuration it refuses to start."""

from __future__ import annotations

import pytest

from cartera.dashboard.__main__ import main
from cartera.dashboard.auth import SharedSecretAuthenticator, authenticator_from_env
from cartera.errors import ConfigurationError


def test_the_standalone_app_refuses_to_start_without_an_auth_configuration(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("CARTERA_DASHBOARD_AUTH", raising=False)
    assert main(["--port", "1"]) == 2
    assert "does not run without sign-in" in capsys.readouterr().err


def test_jwt_mode_needs_the_shared_secret_and_then_validates_airflows_tokens() -> None:
    with pytest.raises(ConfigurationError, match="CARTERA_DASHBOARD_JWT_SECRET"):
        authenticator_from_env({"CARTERA_DASHBOARD_AUTH": "jwt"})
    with pytest.raises(ConfigurationError, match="shorter than 16"):
        authenticator_from_env({"CARTERA_DASHBOARD_AUTH": "jwt", "CARTERA_DASHBOARD_JWT_SECRET": "short"})
    auth = authenticator_from_env(
        {
            "CARTERA_DASHBOARD_AUTH": "jwt",
            "CARTERA_DASHBOARD_JWT_SECRET": "s" * 64,
            "CARTERA_DASHBOARD_AIRFLOW_URL": "http://af:8080/",
        }
    )
    assert isinstance(auth, SharedSecretAuthenticator)
    assert auth.login_url("/cartera/?a=1") == "http://af:8080/auth/login?next=%2Fcartera%2F%3Fa%3D1"
