"""ECharts options built from the dashboard's tables. The page carries each option as JSON in a
non-executable ``<script type="application/json">`` block; static/dashboard.js draws it with the
vendored ECharts (no CDN, no inline script) and formats numbers in the page's locale
(``_format``: money, rate (0–1), pct (0–100), days, num)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from cartera.dashboard.i18n import word
from cartera.dashboard.tables import Table, json_value

BUCKET_COLORS = {"current": "#2e7d32", "1-30": "#f9a825", "31-60": "#ef6c00", "61-90": "#d84315", "91+": "#b71c1c"}


def _x(table: Table, key: str) -> list[Any]:
    return [json_value(r.get(key)) for r in table.rows]


def _base(fmt: str, x: list[Any], legend: bool = True) -> dict[str, Any]:
    return {
        "_format": fmt,
        "animation": False,
        "tooltip": {"trigger": "axis"},
        "legend": {"show": legend, "top": 0},
        "grid": {"left": 80, "right": 20, "top": 40 if legend else 10, "bottom": 30},
        "xAxis": {"type": "category", "data": x},
        "yAxis": {"type": "value"},
        "series": [],
    }


def lines(table: Table, x_key: str, keys: list[str], fmt: str, lang: str) -> dict[str, Any] | None:
    """One line per column of ``keys`` present in the table; None when nothing to draw."""
    present = [c for c in table.columns if c.key in keys]
    if not table.rows or not present:
        return None
    option = _base(fmt, _x(table, x_key))
    option["series"] = [
        {
            "name": word(c.label, lang),
            "type": "line",
            "showSymbol": len(table.rows) < 40,
            "data": [json_value(r.get(c.key)) for r in table.rows],
        }
        for c in present
    ]
    return option


def stacked_bars(table: Table, x_key: str, keys: list[str], fmt: str, lang: str) -> dict[str, Any] | None:
    if not table.rows:
        return None
    option = _base(fmt, _x(table, x_key))
    option["series"] = [
        {
            "name": word(k, lang),
            "type": "bar",
            "stack": "total",
            "itemStyle": {"color": BUCKET_COLORS[k]} if k in BUCKET_COLORS else {},
            "data": [json_value(r.get(k)) or 0 for r in table.rows],
        }
        for k in keys
    ]
    return option


def by_channel(table: Table, lang: str) -> dict[str, Any] | None:
    """Messages, bounces and opt-outs per channel over the range (grouped bars)."""
    if not table.rows:
        return None
    totals: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for row in table.rows:
        for key in ("messages_sent", "messages_bounced", "messages_opted_out"):
            totals[str(row["channel"])][key] += float(row.get(key) or 0)
    channels = sorted(totals)
    option = _base("num", channels)
    labels = {
        "messages_sent": word("messages", lang),
        "messages_bounced": "Rebotes" if lang == "es" else "Bounces",
        "messages_opted_out": "Bajas" if lang == "es" else "Opt-outs",
    }
    option["series"] = [
        {"name": label, "type": "bar", "data": [totals[c][key] for c in channels]} for key, label in labels.items()
    ]
    return option


def stacked_by(table: Table, x_key: str, group_key: str, value_key: str, fmt: str) -> dict[str, Any] | None:
    """Stacked bars of ``value_key`` per ``x_key``, one series per value of ``group_key``."""
    if not table.rows:
        return None
    xs = sorted({json_value(r[x_key]) for r in table.rows})
    groups = sorted({str(r[group_key]) for r in table.rows})
    sums: dict[tuple[Any, str], float] = defaultdict(float)
    for r in table.rows:
        sums[(json_value(r[x_key]), str(r[group_key]))] += float(r.get(value_key) or 0)
    option = _base(fmt, xs)
    option["series"] = [
        {"name": g, "type": "bar", "stack": "total", "data": [sums[(x, g)] for x in xs]} for g in groups
    ]
    return option


def sparkline(table: Table, key: str) -> dict[str, Any] | None:
    values = [json_value(r.get(key)) for r in table.rows]
    if not any(v is not None for v in values):
        return None
    return {
        "_format": "num",
        "animation": False,
        "grid": {"left": 2, "right": 2, "top": 4, "bottom": 4},
        "xAxis": {"type": "category", "show": False, "data": _x(table, "day")},
        "yAxis": {"type": "value", "show": False, "scale": True},
        "tooltip": {"trigger": "axis"},
        "series": [{"type": "line", "showSymbol": False, "data": values, "areaStyle": {"opacity": 0.15}}],
    }
