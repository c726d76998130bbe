"""Who is asking, and what may they do: the dashboard sits behind Airflow's sign-in.

Airflow 3 does not put a plugin's FastAPI app behind its login: the app must check the token
itself. The Airflow UI keeps its JWT in the ``_token`` cookie (API clients send it as
``Authorization: Bearer``); the auth manager that signed it validates it
(``BaseAuthManager.get_user_from_token``: signature, audience, expiry, revocation), exactly what
``airflow.api_fastapi.core_api.security.get_user`` does for Airflow's own routes.

Two ways to validate, one per way of running the app:

- :class:`AirflowAuthenticator`: inside Airflow's API server (the plugin), or standalone with
  ``CARTERA_DASHBOARD_AUTH=airflow`` and the same Airflow configuration (AIRFLOW_HOME, the
  ``[api_auth] jwt_secret``, the metadata database for revoked tokens): Airflow's own auth manager.
- :class:`SharedSecretAuthenticator`: standalone with ``CARTERA_DASHBOARD_AUTH=jwt`` and
  ``CARTERA_DASHBOARD_JWT_SECRET`` set to Airflow's ``[api_auth] jwt_secret``: the same HS512
  check Airflow's JWTValidator makes (audience ``apache-airflow``, exp/iat/nbf required), without
  the revocation list (a signed-out token stays valid until it expires).

Without either the standalone app refuses to start (:func:`authenticator_from_env`).

Roles: Airflow's SimpleAuthManager roles map to ours (viewer → finance, user and op → collector,
admin → admin); other auth managers are asked through ``is_authorized_custom_view`` on the
resources named in :data:`CUSTOM_VIEWS`. Each role includes the ones below it.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass
from typing import Any, Literal, Protocol
from urllib.parse import quote

from cartera.errors import ConfigurationError

Role = Literal["finance", "collector", "admin"]
ROLES: tuple[Role, ...] = ("finance", "collector", "admin")
SIMPLE_AUTH_MANAGER_ROLES: dict[str, Role] = {
    "VIEWER": "finance",
    "USER": "collector",
    "OP": "collector",
    "ADMIN": "admin",
}
# Resource names for auth managers with their own permission model (FAB, Keycloak…): grant
# (method, resource) to a role there to give the matching role here.
CUSTOM_VIEWS: tuple[tuple[str, str, Role], ...] = (
    ("PUT", "Cartera batch approval", "admin"),
    ("PUT", "Cartera worklist", "collector"),
    ("GET", "Cartera", "finance"),
)
COOKIE_NAME_JWT_TOKEN = "_token"  # airflow.api_fastapi.auth.managers.base_auth_manager
JWT_AUDIENCE = "apache-airflow"  # Airflow's default [api_auth] jwt_audience


class NotSignedInError(Exception):
    """No token, or a token that is expired, revoked or not signed by Airflow."""


class ForbiddenError(Exception):
    """Signed in, but the user's role does not allow this."""


@dataclass(frozen=True)
class Principal:
    """The signed-in person: the name Airflow knows them by and their role here."""

    username: str
    role: Role

    def can(self, needed: Role) -> bool:
        return ROLES.index(self.role) >= ROLES.index(needed)


class Authenticator(Protocol):
    async def authenticate(self, token: str) -> Principal: ...

    def login_url(self, next_url: str) -> str: ...


def role_from_simple_role(role: object) -> Role | None:
    """Our role for a SimpleAuthManager role name (any case), None for none or an unknown one."""
    return SIMPLE_AUTH_MANAGER_ROLES.get(str(role).upper()) if role else None


def csrf_token_for(session_token: str) -> str:
    """The CSRF token of a session: an HMAC keyed by the session's own JWT. Unguessable without
    the cookie, the same in every API-server worker (no server secret to share) and bound to the
    signed-in session: a token from another session does not validate."""
    return hmac.new(session_token.encode(), b"cartera-dashboard-csrf", hashlib.sha256).hexdigest()


class AirflowAuthenticator:
    """Airflow's own auth manager validates the token and knows the user's role."""

    def __init__(self, airflow_url: str = "") -> None:
        # Empty inside the API server (the login page is on the same origin); the API server's
        # address when the app runs standalone.
        self.airflow_url = airflow_url.rstrip("/")

    @staticmethod
    def _manager() -> Any:
        from airflow.api_fastapi.app import get_auth_manager

        return get_auth_manager()

    async def authenticate(self, token: str) -> Principal:
        from jwt import InvalidTokenError

        manager = self._manager()
        try:
            user = await manager.get_user_from_token(token)
        except InvalidTokenError:  # ExpiredSignatureError included
            raise NotSignedInError from None
        role = role_from_simple_role(getattr(user, "role", None))
        if role is None and not hasattr(user, "role"):
            role = next(
                (
                    ours
                    for method, resource, ours in CUSTOM_VIEWS
                    if manager.is_authorized_custom_view(method=method, resource_name=resource, user=user)
                ),
                None,
            )
        if role is None:
            raise ForbiddenError
        return Principal(username=str(user.get_name()), role=role)

    def login_url(self, next_url: str) -> str:
        return f"{self.airflow_url}{self._manager().get_url_login()}?next={quote(next_url, safe='')}"


class SharedSecretAuthenticator:
    """Validates Airflow's JWTs with the shared ``[api_auth] jwt_secret`` (HS512), as Airflow's
    JWTValidator does; the role comes from the token's ``role`` claim (SimpleAuthManager's)."""

    def __init__(self, secret: str, login_url: str, *, audience: str = JWT_AUDIENCE, leeway: int = 10) -> None:
        if len(secret) < 16:
            raise ConfigurationError("CARTERA_DASHBOARD_JWT_SECRET is shorter than 16 characters")
        self._secret = secret
        self._login = login_url
        self._audience = audience
        self._leeway = leeway

    async def authenticate(self, token: str) -> Principal:
        import jwt

        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=["HS512"],
                audience=self._audience,
                leeway=self._leeway,
                options={"require": ["exp", "iat", "nbf", "sub"]},
            )
        except jwt.InvalidTokenError:
            raise NotSignedInError from None
        role = role_from_simple_role(claims.get("role"))
        if role is None:
            raise ForbiddenError
        return Principal(username=str(claims["sub"]), role=role)

    def login_url(self, next_url: str) -> str:
        return f"{self._login}?next={quote(next_url, safe='')}"


def authenticator_from_env(environ: dict[str, str] | None = None) -> Authenticator:
    """The standalone app's authenticator from CARTERA_DASHBOARD_AUTH (``airflow`` or ``jwt``);
    ConfigurationError without one: the app never runs open."""
    env = os.environ if environ is None else environ
    mode = env.get("CARTERA_DASHBOARD_AUTH", "").strip().lower()
    airflow_url = env.get("CARTERA_DASHBOARD_AIRFLOW_URL", "http://localhost:8080").rstrip("/")
    if mode == "airflow":
        from airflow.api_fastapi.app import create_auth_manager

        create_auth_manager().init()
        return AirflowAuthenticator(airflow_url)
    if mode == "jwt":
        secret = env.get("CARTERA_DASHBOARD_JWT_SECRET", "")
        if not secret:
            raise ConfigurationError(
                "CARTERA_DASHBOARD_AUTH=jwt needs CARTERA_DASHBOARD_JWT_SECRET (Airflow's [api_auth] jwt_secret)"
            )
        return SharedSecretAuthenticator(secret, env.get("CARTERA_DASHBOARD_LOGIN_URL", f"{airflow_url}/auth/login"))
    raise ConfigurationError(
        "the dashboard does not run without sign-in: set CARTERA_DASHBOARD_AUTH=airflow (with Airflow's "
        "configuration and CARTERA_DASHBOARD_AIRFLOW_URL) or CARTERA_DASHBOARD_AUTH=jwt with "
        "CARTERA_DASHBOARD_JWT_SECRET; inside Airflow the plugin serves it behind Airflow's login"
    )
