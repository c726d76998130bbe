"""The actions: a collector's entry on a customer (through cartera.collector_actions, the CLI's
own functions), a customer given to a collector or unassigned (cartera.collector_assignments, as
`cartera portfolio`), an alert confirmed or dismissed (cartera.alerts.set_status), a batch
approved or rejected (cartera.campaigns.approval.decide). Each is a form POST, checked for CSRF
and for the role it needs, and answered with a redirect back to the page (post/redirect/get) that
keeps the filters the person had chosen."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse

from cartera import alerts, collector_actions, collector_assignments
from cartera.dashboard import approvals
from cartera.dashboard.guards import Admin, Collector, csrf_checked
from cartera.dashboard.tables import STICKY, Filters
from cartera.db import connect
from cartera.errors import BadInputError
from cartera.logs import get_logger

_log = get_logger(__name__)
ACTIONS = ("call", "promise", "dispute_open", "dispute_close", "hold", "note", "opt_out")


def _back(request: Request, path: str, **params: str) -> RedirectResponse:
    base = request.scope.get("root_path", "")
    kept = {k: v for k, v in Filters.from_query(request.query_params).query().items() if k in STICKY}
    query = {**kept, **params}
    return RedirectResponse(f"{base}{path}" + (f"?{urlencode(query)}" if query else ""), status_code=303)


def _date(value: str | None, what: str) -> dt.date | None:
    if not value or not value.strip():
        return None
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise BadInputError(f"the {what} is not a date (YYYY-MM-DD)") from None


def _record(conn: Any, action: str, customer_id: str, form: dict[str, str], at: dt.datetime, by: str) -> None:
    invoice = form.get("invoice") or None
    note = form.get("note") or None
    if action == "call":
        outcome = form.get("outcome", "")
        collector_actions.log_call(conn, customer_id, outcome, at=at, by=by, invoice=invoice, note=note)  # type: ignore[arg-type]
    elif action == "promise":
        promised = _date(form.get("promised_date"), "promised date")
        if promised is None:
            raise BadInputError("a promise needs the promised date")
        collector_actions.record_promise(conn, customer_id, promised, at=at, by=by, invoice=invoice, note=note)
    elif action == "dispute_open":
        collector_actions.open_hold(conn, customer_id, "dispute", at=at, by=by, invoice=invoice, note=note)
    elif action == "dispute_close":
        collector_actions.close_dispute(conn, customer_id, at=at, by=by, invoice=invoice, note=note)
    elif action == "hold":
        reason = form.get("reason", "manual")
        until = _date(form.get("until"), "last day")
        collector_actions.open_hold(conn, customer_id, reason, at=at, by=by, invoice=invoice, until=until, note=note)  # type: ignore[arg-type]
    elif action == "note":
        collector_actions.add_note(conn, customer_id, note or "", at=at, by=by, invoice=invoice)
    elif action == "opt_out":
        channel = form.get("channel", "all")
        collector_actions.record_opt_out(conn, customer_id, channel, at=at, by=by, source="call")  # type: ignore[arg-type]
    else:
        raise BadInputError(f"unknown action; one of {', '.join(ACTIONS)}")


def add_routes(router: APIRouter, dsn: Callable[[], str]) -> None:
    @router.post("/customers/{customer_id}/actions", dependencies=[Depends(csrf_checked)])
    async def customer_action(customer_id: str, request: Request, principal: Collector) -> RedirectResponse:
        form = {k: str(v) for k, v in (await request.form()).items() if k != "csrf_token"}
        action = form.get("action", "")
        try:
            with connect(dsn()) as conn:
                _record(conn, action, customer_id, form, dt.datetime.now(dt.UTC), principal.username)
        except BadInputError as exc:  # its message never echoes a personal value (cartera.resolve)
            return _back(request, f"/customers/{customer_id}", error=str(exc))
        _log.info("collector action %s recorded for customer %s", action, customer_id)
        return _back(request, f"/customers/{customer_id}", ok=action)

    @router.post("/customers/{customer_id}/collector", dependencies=[Depends(csrf_checked)])
    def assign_collector(
        customer_id: str,
        request: Request,
        principal: Admin,
        action: Annotated[str, Form()] = "assign",
        collector: Annotated[str, Form()] = "",
    ) -> RedirectResponse:
        now = dt.datetime.now(dt.UTC)
        try:
            with connect(dsn()) as conn:
                if action == "unassign":
                    collector_assignments.unassign(conn, [customer_id], at=now, by=principal.username)
                elif action == "assign":
                    collector_assignments.assign(conn, [customer_id], collector, at=now, by=principal.username)
                else:
                    raise BadInputError("the action is assign or unassign")
        except BadInputError as exc:
            return _back(request, f"/customers/{customer_id}", error=str(exc))
        _log.info("customer %s %sed", customer_id, action)
        return _back(request, f"/customers/{customer_id}", ok=action)

    @router.post("/alerts/{alert_id}", dependencies=[Depends(csrf_checked)])
    def alert_action(
        alert_id: int,
        request: Request,
        status: Annotated[str, Form()],
        principal: Collector,
    ) -> RedirectResponse:
        if status not in ("confirmed", "dismissed"):
            raise HTTPException(status_code=422, detail="status is confirmed or dismissed")
        with connect(dsn()) as conn:
            found = alerts.set_status(conn, alert_id, status, principal.username, dt.datetime.now(dt.UTC))  # type: ignore[arg-type]
        if not found:
            raise HTTPException(status_code=404, detail="no such alert")
        return _back(request, "/health", ok=status)

    @router.post("/batches/{batch_id}", dependencies=[Depends(csrf_checked)])
    def batch_decision(
        batch_id: str,
        request: Request,
        decision: Annotated[str, Form()],
        principal: Admin,
        note: Annotated[str, Form()] = "",
    ) -> RedirectResponse:
        if decision not in ("approved", "rejected"):
            raise HTTPException(status_code=422, detail="decision is approved or rejected")
        try:
            text = collector_actions.clean_note(note)
        except BadInputError as exc:
            return _back(request, f"/batches/{batch_id}", error=str(exc))
        with connect(dsn()) as conn:
            done = approvals.decide(conn, batch_id, decision, principal.username, dt.datetime.now(dt.UTC), text)  # type: ignore[arg-type]
        if not done:
            return _back(request, f"/batches/{batch_id}", error="this batch is not waiting for approval")
        _log.info("batch %s %s", batch_id, decision)
        return _back(request, f"/batches/{batch_id}", ok=decision)
