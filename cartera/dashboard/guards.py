"""The dependencies every route stands on: who is signed in (:func:`signed_in`), whether their
role suffices (:func:`require`) and whether a POST comes from our own page (:func:`csrf_checked`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request

from cartera.dashboard.auth import (
    COOKIE_NAME_JWT_TOKEN,
    Authenticator,
    ForbiddenError,
    NotSignedInError,
    Principal,
    Role,
    csrf_token_for,
)
from cartera.dashboard.security import same_origin, token_matches


def is_api(request: Request) -> bool:
    path = request.url.path.removeprefix(request.scope.get("root_path", ""))
    return path.startswith(("/api/", "/export/", "/static/")) or "application/json" in request.headers.get("accept", "")


def session_token(request: Request) -> tuple[str | None, bool]:
    """The JWT of the request and whether it came as a Bearer header (not a browser cookie)."""
    header = request.headers.get("authorization", "")
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip(), True
    return request.cookies.get(COOKIE_NAME_JWT_TOKEN), False


async def signed_in(request: Request) -> Principal:
    """The signed-in person (NotSignedInError otherwise: a redirect to the login, or 401)."""
    token, bearer = session_token(request)
    if not token:
        raise NotSignedInError
    authenticator: Authenticator = request.app.state.authenticator
    principal = await authenticator.authenticate(token)
    request.state.principal = principal
    request.state.csrf = None if bearer else csrf_token_for(token)
    return principal


def require(role: Role) -> Callable[..., Any]:
    async def check(principal: Annotated[Principal, Depends(signed_in)]) -> Principal:
        if not principal.can(role):
            raise ForbiddenError
        return principal

    return check


async def csrf_checked(request: Request, principal: Annotated[Principal, Depends(signed_in)]) -> Principal:
    """An action from our own page: same origin, and the session's CSRF token (see security)."""
    origin = request.headers.get("origin") or request.headers.get("referer")
    host = request.headers.get("host")
    _, bearer = session_token(request)
    if origin is not None or not bearer:
        if not same_origin(origin, host, request.url.scheme):
            raise HTTPException(status_code=403, detail="cross-origin request refused")
    if not bearer:
        form = await request.form()
        given = request.headers.get("x-csrf-token") or form.get("csrf_token")
        if not token_matches(str(given) if given else None, str(request.state.csrf)):
            raise HTTPException(status_code=403, detail="missing or wrong CSRF token")
    return principal


Finance = Annotated[Principal, Depends(require("finance"))]
Collector = Annotated[Principal, Depends(require("collector"))]
Admin = Annotated[Principal, Depends(require("admin"))]
