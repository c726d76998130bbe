"""The JSON API and the Excel export of every table (cartera.dashboard.app.DATASETS): the same
rows the pages show, with the page's filters as query parameters. Numbers are JSON numbers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from cartera.dashboard.auth import ForbiddenError, Principal, Role
from cartera.dashboard.export import to_xlsx
from cartera.dashboard.tables import Filters, Table
from cartera.db import connect

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def lang_of(request: Request) -> str:
    """The page's language: ?lang=, else the cookie, else Spanish."""
    lang = request.query_params.get("lang") or request.cookies.get("cartera_lang") or "es"
    return "en" if lang == "en" else "es"


def read_dataset(
    datasets: dict[str, tuple[Role, Callable[[Any, Filters], Table]]],
    key: str,
    request: Request,
    dsn: Callable[[], str],
) -> tuple[Table, Filters]:
    """The table ``key`` with the request's filters, and those filters (as read: invalid values
    dropped)."""
    if key not in datasets:
        raise HTTPException(status_code=404, detail=f"unknown table {key!r}; known: {sorted(datasets)}")
    role, read = datasets[key]
    principal: Principal = request.state.principal
    if not principal.can(role):
        raise ForbiddenError
    filters = replace(Filters.from_query(request.query_params), lang=lang_of(request))
    with connect(dsn()) as conn:
        return read(conn, filters), filters


def add_routes(
    router: APIRouter,
    datasets: dict[str, tuple[Role, Callable[[Any, Filters], Table]]],
    dsn: Callable[[], str],
) -> None:
    @router.get("/api/data/{key}")
    def api(key: str, request: Request) -> dict[str, Any]:
        table, _ = read_dataset(datasets, key, request, dsn)
        return {
            "key": table.key,
            "currency": table.currency,
            "columns": [{"key": c.key, "kind": c.kind} for c in table.columns],
            "rows": table.json_rows(),
            "notes": table.notes,
        }

    @router.get("/api/me")
    def me(request: Request) -> dict[str, str]:
        principal: Principal = request.state.principal
        return {"username": principal.username, "role": principal.role}

    @router.get("/export/{key}.xlsx")
    def export(key: str, request: Request) -> Response:
        table, filters = read_dataset(datasets, key, request, dsn)
        return Response(
            to_xlsx(table, lang_of(request), filters),
            media_type=XLSX,
            headers={"Content-Disposition": f'attachment; filename="cartera-{table.key}.xlsx"'},
        )
