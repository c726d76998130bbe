"""A small FastAPI app: the KPI history, the aging of the open book, data and model health, and
the outbox. Served by Airflow's API server under /cartera (plugins/cartera_plugin.py) or alone
with `uvicorn cartera.dashboard.app:create_app --factory`."""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from typing import Any

from fastapi import FastAPI, HTTPException
from fastapi.responses import HTMLResponse

from cartera.dashboard.queries import SECTIONS, section


def _cell(value: Any) -> str:
    return "—" if value is None else escape(str(value))


def _table(title: str, columns: list[str], rows: list[tuple[Any, ...]]) -> str:
    if not rows:
        return f"<h2>{escape(title)}</h2><p><em>nothing yet</em></p>"
    head = "".join(f"<th>{escape(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{_cell(v)}</td>" for v in row) + "</tr>" for row in rows)
    return f"<h2>{escape(title)}</h2><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def create_app(dsn_provider: Callable[[], str] | None = None) -> FastAPI:
    """The dashboard app. The DSN is resolved per request (never at import or parse time)."""

    def dsn() -> str:
        if dsn_provider is not None:
            return dsn_provider()
        from cartera.pipeline import warehouse_dsn

        return warehouse_dsn()

    app = FastAPI(title="cartera dashboard")

    @app.get("/", response_class=HTMLResponse)
    def index() -> str:
        parts = [_table(*section(dsn(), key)) for key in SECTIONS]
        style = "body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}"
        return f"<!doctype html><html lang='es'><head><meta charset='utf-8'><title>cartera</title><style>{style}</style></head><body><h1>cartera</h1>{''.join(parts)}</body></html>"

    @app.get("/api/{key}")
    def api(key: str) -> dict[str, Any]:
        if key not in SECTIONS:
            raise HTTPException(status_code=404, detail=f"unknown section {key!r}; known: {sorted(SECTIONS)}")
        title, columns, rows = section(dsn(), key)
        return {
            "title": title,
            "rows": [dict(zip(columns, (None if v is None else str(v) for v in row), strict=True)) for row in rows],
        }

    return app
