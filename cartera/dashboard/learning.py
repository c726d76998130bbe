"""The learning page (/learning): both arms of the running experiment — the control group on the
fixed playbook, the champion, the challenger — with cash collected within 30 days of due, DSO,
messages per customer (and the rest of the live uplift) with their 95 % intervals and the uplift
over the control group; and the arms the learner prefers per segment.

The figures are :mod:`cartera.learning.uplift`'s (bootstrap over customers, :data:`RESAMPLES`
resamples per page: enough for a 95 % interval to a few tenths of a point); the experiment is
the latest one any build assigned customers to. Read-only, for the finance role like the other
dashboard tables; the same tables are served as JSON and XLSX through the app's DATASETS."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import psycopg
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from cartera.dashboard.guards import require
from cartera.dashboard.tables import Column, Filters, Table, fetch

RESAMPLES = 400
# (key, kind, Spanish, English): the columns of the arms table; figures then their intervals.
_FIGURES = (
    ("cash_collected_30d", "rate", "Cobrado a 30 días del vencimiento", "Cash collected within 30 days of due"),
    ("dso", "days", "DSO (countback)", "DSO (countback)"),
    ("messages_per_customer", "num", "Mensajes por cliente", "Messages per customer"),
    ("paid_on_time_rate", "rate", "Pagadas a tiempo", "Paid on time"),
    ("opt_outs_per_100", "num", "Bajas por 100 clientes", "Opt-outs per 100 customers"),
    ("complaints_per_100", "num", "Quejas por 100 clientes", "Complaints per 100 customers"),
)
_UPLIFTS = ("cash_collected_30d", "dso", "messages_per_customer")
_WORDS = {
    "title": ("Aprendizaje: grupo de control y estrategias", "Learning: control group and strategies"),
    "preferred": ("Brazos preferidos por segmento", "Preferred arms per segment"),
    "experiment": ("Experimento", "Experiment"),
    "segment": ("Segmento", "Segment"),
    "arm": ("Brazo", "Arm"),
    "strategy": ("Estrategia", "Strategy"),
    "customers": ("Clientes", "Customers"),
    "low": ("IC 95 % inf.", "95 % CI low"),
    "high": ("IC 95 % sup.", "95 % CI high"),
    "vs_control": ("vs. control", "vs control"),
    "rank": ("Lugar", "Rank"),
    "channel_hour_tone": ("Canal / hora / tono", "Channel / hour / tone"),
    "expected": ("Valor esperado", "Expected value"),
    "reward": ("Recompensa", "Reward"),
    "evidence": ("Observaciones", "Observations"),
    "version": ("Versión", "Version"),
    "learned_at": ("Aprendido", "Learned"),
    "note_ci": (
        "Intervalos de 95 % por bootstrap sobre clientes; sin intervalo con menos de 20 clientes.",
        "95 % intervals by bootstrap over customers; none below 20 customers.",
    ),
}


def _w(key: str, lang: str) -> str:
    es, en = _WORDS[key]
    return en if lang == "en" else es


def _latest_experiment(conn: psycopg.Connection) -> str | None:
    rows = fetch(conn, "select experiment from ops.strategy_assignments order by assigned_at desc limit 1")
    return str(rows[0]["experiment"]) if rows else None


def _last_day(conn: psycopg.Connection, f: Filters) -> dt.date | None:
    """The last business date shown: as chosen, else the last day a batch was built for."""
    if f.date_to is not None:
        return f.date_to
    rows = fetch(conn, "select max(as_of_date) as day from ops.campaign_batches")
    day = rows[0]["day"] if rows else None
    return day if isinstance(day, dt.date) else None


def arms(conn: psycopg.Connection, f: Filters) -> Table:
    """One row per (segment, arm) of the latest experiment: its figures with 95 % intervals and,
    for the champion and the challenger, the relative change over the control group."""
    from cartera.learning.uplift import experiment_span, load_facts, table

    lang = f.lang
    columns = [
        Column("experiment", _w("experiment", lang)),
        Column("segment", _w("segment", lang)),
        Column("arm", _w("arm", lang)),
        Column("strategy", _w("strategy", lang)),
        Column("customers", _w("customers", lang), "int"),
    ]
    for key, kind, es, en in _FIGURES:
        label = en if lang == "en" else es
        columns += [
            Column(key, label, kind),
            Column(f"{key}_low", f"{label}: {_w('low', lang)}", kind),
            Column(f"{key}_high", f"{label}: {_w('high', lang)}", kind),
        ]
    for key in _UPLIFTS:
        label = next(en if lang == "en" else es for k, _, es, en in _FIGURES if k == key)
        name = f"{label} {_w('vs_control', lang)}"
        columns += [
            Column(f"{key}_uplift", name, "rate"),
            Column(f"{key}_uplift_low", f"{name}: {_w('low', lang)}", "rate"),
            Column(f"{key}_uplift_high", f"{name}: {_w('high', lang)}", "rate"),
        ]
    shown = Table("learning_arms", _w("title", lang), columns, [], notes=[_w("note_ci", lang)])
    try:
        with conn.transaction():
            experiment, last = _latest_experiment(conn), _last_day(conn, f)
            span = experiment_span(conn, experiment, last) if experiment and last else None
            facts = load_facts(conn, span.name, span.date_from, span.date_to) if span else None
    except (psycopg.errors.UndefinedTable, psycopg.errors.UndefinedFunction, psycopg.errors.InvalidSchemaName):
        facts = None  # the marts or the learning tables are not there yet: nothing to show
    if facts is None or not facts.ids or span is None:
        return shown
    segments = [f.segment] if f.segment else None
    for entry in table(facts, segments=segments, resamples=RESAMPLES):
        row: dict[str, Any] = {
            "experiment": span.name,
            "segment": entry["segment"],
            "arm": entry["arm"],
            "strategy": entry["strategy"],
            "customers": entry["figures"]["customers"]["value"],
        }
        for key, *_ in _FIGURES:
            found = entry["figures"][key]
            row |= {key: found["value"], f"{key}_low": found["ci_low"], f"{key}_high": found["ci_high"]}
        for key in _UPLIFTS:
            lift = (entry.get("uplift_vs_control") or {}).get(key) or {}
            row |= {
                f"{key}_uplift": lift.get("rel"),
                f"{key}_uplift_low": lift.get("rel_low"),
                f"{key}_uplift_high": lift.get("rel_high"),
            }
        shown.rows.append(row)
    return shown


def preferred(conn: psycopg.Connection, f: Filters) -> Table:
    """The learner's three best arms per segment in its latest stored state, with the value it
    expects (the paid rate, or the uplift for a learner of the uplift reward) and its evidence."""
    from cartera.learning.store import DEFAULT_LEARNER
    from cartera.learning.thompson import ThompsonLearner

    lang = f.lang
    columns = [
        Column("segment", _w("segment", lang)),
        Column("rank", _w("rank", lang), "int"),
        Column("arm", _w("channel_hour_tone", lang)),
        Column("expected", _w("expected", lang), "rate"),
        Column("reward", _w("reward", lang)),
        Column("evidence", _w("evidence", lang), "num"),
        Column("version", _w("version", lang), "int"),
        Column("learned_at", _w("learned_at", lang), "datetime"),
    ]
    shown = Table("learning_preferred", _w("preferred", lang), columns, [])
    rows = fetch(
        conn,
        "select version, created_at, state from ops.learner_state where learner = %s order by version desc limit 1",
        (DEFAULT_LEARNER,),
    )
    if not rows:
        return shown
    state = rows[0]["state"]
    learner = ThompsonLearner.from_json(state if isinstance(state, dict) else json.loads(state))
    for segment in sorted(learner.segments):
        if f.segment and segment != f.segment:
            continue
        for rank, (arm, value, evidence) in enumerate(learner.preferred(segment), start=1):
            shown.rows.append(
                {
                    "segment": segment,
                    "rank": rank,
                    "arm": arm,
                    "expected": value,
                    "reward": learner.reward,
                    "evidence": evidence,
                    "version": rows[0]["version"],
                    "learned_at": rows[0]["created_at"],
                }
            )
    return shown


def add_routes(router: APIRouter, dsn: Callable[[], str]) -> None:
    """GET /learning, for the finance role (the app's router already requires a signed-in person);
    rendered like every page (pages' own renderer and filters, reused as they are)."""
    from cartera.dashboard.pages import _filters, _render
    from cartera.dashboard.tables import SEGMENTS
    from cartera.db import connect

    @router.get("/learning", response_class=HTMLResponse, dependencies=[Depends(require("finance"))])
    def learning_page(request: Request) -> HTMLResponse:
        f = _filters(request)
        with connect(dsn()) as conn:
            tables = [arms(conn, f), preferred(conn, f)]
        return _render(request, "learning.html", filters=f, segments=SEGMENTS, tables=tables, title=tables[0].title)
