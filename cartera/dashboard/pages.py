"""The HTML pages: finance dashboard, data and model health, the worklist, a customer, an
invoice, the batches waiting and one batch. Jinja2 templates (autoescaped) in templates/."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from functools import lru_cache
from typing import Any
from urllib.parse import urlencode

import jinja2
from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup, escape

from cartera.collector_actions import CALL_OUTCOMES, HOLD_REASONS, OPT_OUT_CHANNELS
from cartera.dashboard import approvals, charts, finance, health, scope, workspace
from cartera.dashboard.auth import Principal
from cartera.dashboard.data_routes import lang_of
from cartera.dashboard.guards import require
from cartera.dashboard.i18n import country_label, fmt, word
from cartera.dashboard.tables import ALL_COLLECTORS, SEGMENTS, STICKY, Filters, Table
from cartera.db import connect

NUMERIC = {"int", "num", "money", "pct", "rate", "days"}
# Columns whose cells link to the row's page.
_LINKED = {"customer_id": "/customers/", "invoice_id": "/invoices/", "batch_id": "/batches/"}
TILES = (
    ("total_ar_mxn", "money"),
    ("overdue_ar_mxn", "money"),
    ("pct_current", "pct"),
    ("dso_countback", "days"),
    ("dso_simple", "days"),
    ("best_possible_dso", "days"),
    ("avg_days_delinquent", "days"),
    ("avg_days_past_due_overdue", "days"),
    ("cei", "pct"),
)


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("cartera.dashboard", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(NUMERIC=NUMERIC)
    return env


def _render(request: Request, template: str, **context: Any) -> HTMLResponse:
    lang = lang_of(request)
    principal: Principal = request.state.principal
    base = request.scope.get("root_path", "")
    query = {k: v for k, v in request.query_params.items() if k not in ("lang", "ok", "error")}
    # The filters a person chose follow every link (navigation, drill-down, exports, the action
    # forms, whose redirects carry them back): only valid ones, as Filters reads them.
    sticky = {k: v for k, v in Filters.from_query(request.query_params).query().items() if k in STICKY}

    def t(key: str) -> str:
        return word(key, lang)

    def f(value: Any, kind: str = "text", currency: str = "MXN") -> str:
        return fmt(value, kind, lang, currency)

    def link(path: str, **params: Any) -> str:
        clean = {k: v for k, v in {**sticky, **params}.items() if v not in (None, "")}
        return f"{base}{path}" + (f"?{urlencode(clean)}" if clean else "")

    def country_name(code: str) -> str:
        return country_label(code, lang)

    def cells(table: Table, row: dict[str, Any]) -> Markup:
        """A table row's cells, written here rather than by a template macro per cell (a page has
        thousands): the same HTML the macro wrote, escaped the same way."""
        out = []
        for c in table.columns:
            value = row.get(c.key)
            linked = _LINKED.get(c.key)
            if linked and value:
                text = f'<a href="{escape(link(linked + str(value)))}">{escape(value)}</a>'
            elif c.kind == "money" and table.currency != "MXN":
                text = str(escape(f(value, "money", table.currency)))
            else:
                text = str(escape(f(value, c.kind)))
            out.append(f'<td class="{"num" if c.kind in NUMERIC else ""}">{text}</td>')
        return Markup("".join(out))

    html = (
        _environment()
        .get_template(template)
        .render(
            t=t,
            f=f,
            link=link,
            sticky=sticky,
            country_name=country_name,
            cells=cells,
            base=base,
            lang=lang,
            other_lang="en" if lang == "es" else "es",
            query=query,
            path=request.url.path.removeprefix(base),
            user=principal,
            csrf=request.state.csrf or "",
            ok=request.query_params.get("ok"),
            error=request.query_params.get("error"),
            **context,
        )
    )
    response = HTMLResponse(html)
    if request.query_params.get("lang") in ("es", "en"):
        response.set_cookie("cartera_lang", lang, max_age=365 * 86400, samesite="strict", httponly=True, path="/")
    return response


def _filters(request: Request) -> Filters:
    return replace(Filters.from_query(request.query_params), lang=lang_of(request))


def _tiles(history: Table) -> list[dict[str, Any]]:
    present = {c.key for c in history.columns}
    not_filtered = {n.removeprefix("not_filtered:") for n in history.notes if n.startswith("not_filtered:")}
    tiles = []
    for key, kind in TILES:
        if key in not_filtered:
            tiles.append({"key": key, "kind": kind, "missing": True, "not_filtered": True})
            continue
        if key not in present:
            tiles.append({"key": key, "kind": kind, "missing": True})
            continue
        values = [r.get(key) for r in history.rows if r.get(key) is not None]
        latest = values[-1] if values else None
        first = values[0] if values else None
        delta = latest - first if latest is not None and first is not None and len(values) > 1 else None
        tiles.append(
            {
                "key": key,
                "kind": kind,
                "missing": False,
                "value": latest,
                "delta": delta,
                "spark": charts.sparkline(history, key),
            }
        )
    return tiles


def add_routes(router: APIRouter, dsn: Callable[[], str]) -> None:
    @router.get("/", response_class=HTMLResponse)
    def dashboard(request: Request) -> HTMLResponse:
        f = _filters(request)
        lang = f.lang
        with connect(dsn()) as conn:
            history = finance.kpi_history(conn, f)
            aging = finance.aging_history(conn, f)
            outcomes = finance.outcomes_by_channel(conn, f)
            recovery = finance.recovery(conn, f)
            forecast = finance.cash_forecast(conn, f)
            last_day = finance.last_day(conn)
            choices = scope.choices(conn)
        shown = {
            "kpi_trend": charts.lines(
                history,
                "day",
                ["dso_countback", "dso_simple", "simple_dso", "best_possible_dso", "bpdso", "avg_days_delinquent"],
                "days",
                lang,
            ),
            "ar_trend": charts.lines(history, "day", ["total_ar_mxn", "overdue_ar_mxn"], "money", lang),
            "aging_history": charts.stacked_bars(aging, "day", list(finance.BUCKETS), "money", lang),
            "outcomes_by_channel": charts.by_channel(outcomes, lang),
            "recovery": charts.lines(recovery, "week_start", ["recovery_rate", "promise_kept_rate"], "rate", lang),
            "cash_forecast": charts.lines(
                forecast, "week_start", ["cumulative_low", "cumulative", "cumulative_high"], "money", lang
            ),
        }
        return _render(
            request,
            "dashboard.html",
            filters=f,
            segments=SEGMENTS,
            choices=choices,
            tiles=_tiles(history),
            last_day=last_day,
            charts=shown,
            tables=[history, aging, outcomes, recovery, forecast],
        )

    @router.get("/health", response_class=HTMLResponse)
    def health_page(request: Request) -> HTMLResponse:
        f = _filters(request)
        with connect(dsn()) as conn:
            auc = health.model_auc(conn, f)
            quarantine = health.quarantine_daily(conn, f)
            alerts = health.open_alerts(conn, f)
            loads = health.latest_loads(conn, f)
            outbox = health.outbox_by_status(conn, f)
        shown = {
            "model_auc": charts.lines(auc, "day", ["auc_test", "auc_baseline"], "num", f.lang),
            "quarantine": charts.stacked_by(quarantine, "day", "entity", "rows", "num"),
        }
        return _render(
            request, "health.html", filters=f, charts=shown, auc=auc, quarantine=quarantine, alerts=alerts,
            tables=[loads, outbox],
        )  # fmt: skip

    @router.get("/worklist", response_class=HTMLResponse)
    def worklist_page(request: Request) -> HTMLResponse:
        f = _filters(request)
        principal: Principal = request.state.principal
        own = None  # a collector's own portfolio: the worklist opens on it unless they chose a collector
        with connect(dsn()) as conn:
            if principal.role == "collector":
                size = scope.portfolio_size(conn, principal.username)
                own = {"collector": principal.username, "customers": size}
                if f.collector is None and size:
                    f = replace(f, collector=principal.username)
            found = workspace.search(conn, f) if f.q else None
            listed = workspace.worklist(conn, f)
            choices = scope.choices(conn)
        return _render(
            request, "worklist.html", filters=f, segments=SEGMENTS, choices=choices, found=found, worklist=listed,
            own=own, all_collectors=ALL_COLLECTORS,
        )  # fmt: skip

    @router.get("/customers/{customer_id}", response_class=HTMLResponse)
    def customer_page(customer_id: str, request: Request) -> HTMLResponse:
        f = replace(_filters(request), customer_id=customer_id)
        with connect(dsn()) as conn:
            profile = workspace.customer_profile(conn, customer_id, f.lang)
            tables = [
                workspace.customer_invoices(conn, f),
                workspace.customer_messages(conn, f),
                workspace.customer_decisions(conn, f),
                workspace.customer_holds(conn, f),
                workspace.customer_activity(conn, f),
            ]
            collectors = scope.choices(conn).collectors
        if profile is None and not any(t.rows for t in tables):
            raise HTTPException(status_code=404, detail="no such customer")
        return _render(
            request, "customer.html", customer_id=customer_id, profile=profile or {}, tables=tables, filters=f,
            call_outcomes=CALL_OUTCOMES, hold_reasons=HOLD_REASONS, channels=OPT_OUT_CHANNELS, collectors=collectors,
        )  # fmt: skip

    @router.get("/invoices/{invoice_id}", response_class=HTMLResponse)
    def invoice_page(invoice_id: str, request: Request) -> HTMLResponse:
        f = replace(_filters(request), invoice_id=invoice_id)
        with connect(dsn()) as conn:
            profile = workspace.invoice_profile(conn, invoice_id, f.lang)
            if profile is None:
                raise HTTPException(status_code=404, detail="no such invoice")
            tables = [workspace.invoice_messages(conn, f), workspace.invoice_decisions(conn, f)]
        return _render(request, "invoice.html", invoice_id=invoice_id, profile=profile, tables=tables, filters=f)

    @router.get("/batches", response_class=HTMLResponse, dependencies=[Depends(require("admin"))])
    def batches_page(request: Request) -> HTMLResponse:
        f = _filters(request)
        with connect(dsn()) as conn:
            listed = approvals.batches(conn, f)
        return _render(request, "batches.html", batches=listed, filters=f)

    @router.get("/batches/{batch_id}", response_class=HTMLResponse, dependencies=[Depends(require("admin"))])
    def batch_page(batch_id: str, request: Request) -> HTMLResponse:
        with connect(dsn()) as conn:
            shown = approvals.batch(conn, batch_id)
            if shown is None:
                raise HTTPException(status_code=404, detail="no batch waits or waited for approval under that id")
            preview = shown["preview"] or {}
            samples = approvals.samples(conn, [int(i) for i in preview.get("sample_outbox_ids", [])])
        return _render(request, "batch.html", batch=shown, preview=preview, samples=samples)
