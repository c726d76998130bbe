"""cartera's web app: the finance dashboard, the collectors' workspace and batch approval. Served
by Airflow's API server under /cartera (plugins/cartera_plugin.py) behind Airflow's sign-in, or
alone with ``python -m cartera.dashboard`` (which refuses to start without an auth configuration:
cartera.dashboard.auth).

Every route depends on :func:`signed_in` (a route added without it fails the route-enumeration
test); pages redirect to Airflow's login, the API and exports answer 401. Actions are POSTs
checked for CSRF (cartera.dashboard.security) and for the role they need."""

from __future__ import annotations

from collections.abc import Callable
from importlib import resources
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response

from cartera.dashboard import approvals, finance, health, learning, workspace
from cartera.dashboard.auth import Authenticator, ForbiddenError, NotSignedInError, Role, authenticator_from_env
from cartera.dashboard.guards import is_api, signed_in
from cartera.dashboard.security import SecurityHeaders
from cartera.dashboard.tables import Filters, Table

Dataset = Callable[[Any, Filters], Table]
# Every table the app shows, by key: who may read it, and how it is read (pages, JSON and XLSX
# export all go through here, so an export is exactly the table on the page).
DATASETS: dict[str, tuple[Role, Dataset]] = {
    "kpi_history": ("finance", finance.kpi_history),
    "aging_history": ("finance", finance.aging_history),
    "aging_latest": ("finance", finance.aging_latest),
    "outcomes_by_channel": ("finance", finance.outcomes_by_channel),
    "recovery": ("finance", finance.recovery),
    "cash_forecast": ("finance", finance.cash_forecast),
    "model_auc": ("finance", health.model_auc),
    "quarantine": ("finance", health.quarantine_daily),
    "alerts": ("finance", health.open_alerts),
    "loads": ("finance", health.latest_loads),
    "outbox": ("finance", health.outbox_by_status),
    "worklist": ("finance", workspace.worklist),
    "search": ("finance", workspace.search),
    "customer_invoices": ("finance", workspace.customer_invoices),
    "customer_messages": ("finance", workspace.customer_messages),
    "customer_decisions": ("finance", workspace.customer_decisions),
    "customer_holds": ("finance", workspace.customer_holds),
    "customer_activity": ("finance", workspace.customer_activity),
    "invoice_messages": ("finance", workspace.invoice_messages),
    "invoice_decisions": ("finance", workspace.invoice_decisions),
    "batches": ("admin", approvals.batches),
    "learning_arms": ("finance", learning.arms),
    "learning_preferred": ("finance", learning.preferred),
}
STATIC = resources.files("cartera.dashboard").joinpath("static")
STATIC_TYPES = {".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml", ".png": "image/png"}


def create_app(dsn_provider: Callable[[], str] | None = None, *, auth: Authenticator | None = None) -> FastAPI:
    """The app. ``auth``: how tokens are validated (the plugin passes Airflow's auth manager);
    without it, from the environment, or ConfigurationError: the app never runs open. The DSN
    is resolved per request (never at import or parse time)."""
    authenticator = auth if auth is not None else authenticator_from_env()

    def dsn() -> str:
        if dsn_provider is not None:
            return dsn_provider()
        from cartera.dsn import warehouse_dsn

        return warehouse_dsn()

    # No /docs, /redoc or /openapi.json: FastAPI serves those outside any dependency.
    app = FastAPI(title="cartera dashboard", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.authenticator = authenticator
    app.state.dsn = dsn
    app.add_middleware(SecurityHeaders)

    @app.exception_handler(NotSignedInError)
    async def not_signed_in(request: Request, exc: NotSignedInError) -> Response:
        if is_api(request) or request.method != "GET":
            return JSONResponse(
                {"detail": "Not authenticated"}, status_code=401, headers={"WWW-Authenticate": "Bearer"}
            )
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(authenticator.login_url(target), status_code=303)

    @app.exception_handler(ForbiddenError)
    async def forbidden(request: Request, exc: ForbiddenError) -> Response:
        return JSONResponse({"detail": "Your role does not allow this"}, status_code=403)

    router = APIRouter(dependencies=[Depends(signed_in)])

    @router.get("/static/{path:path}")
    def static(path: str) -> Response:
        parts = [p for p in path.split("/") if p]
        if not parts or any(p in ("..", ".") or p.startswith(".") for p in parts):
            raise HTTPException(status_code=404)
        resource = STATIC.joinpath(*parts)
        suffix = "." + parts[-1].rsplit(".", 1)[-1] if "." in parts[-1] else ""
        if suffix not in STATIC_TYPES or not resource.is_file():
            raise HTTPException(status_code=404)
        return FileResponse(
            str(resource), media_type=STATIC_TYPES[suffix], headers={"Cache-Control": "private, max-age=3600"}
        )

    from cartera.dashboard import actions, data_routes, pages

    data_routes.add_routes(router, DATASETS, dsn)
    pages.add_routes(router, dsn)
    actions.add_routes(router, dsn)
    learning.add_routes(router, dsn)
    app.include_router(router)
    return app
