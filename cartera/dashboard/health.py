"""Data and model health: AUC of each trained model, quarantined rows by day, open alerts, the
latest load per source, messages by status and contact-policy decisions. Ids, counts and rule
names only: nothing personal."""

from __future__ import annotations

import psycopg

from cartera.dashboard.tables import Column, Filters, Table, fetch, scalar


def model_auc(conn: psycopg.Connection, f: Filters) -> Table:
    rows = fetch(
        conn,
        """select as_of_date as day, model_id, is_champion,
                  (metrics->>'auc_test')::numeric as auc_test,
                  (metrics->>'auc_baseline_prior_late_rate')::numeric as auc_baseline,
                  (metrics->>'n_test')::integer as n_test
           from ml.models order by as_of_date""",
    )
    columns = [
        Column("day", "Fecha", "date"),
        Column("model_id", "Modelo / model"),
        Column("is_champion", "Campeón / champion", "bool"),
        Column("auc_test", "AUC (prueba / test)", "num"),
        Column("auc_baseline", "AUC línea base / baseline", "num"),
        Column("n_test", "n prueba / test", "int"),
    ]
    return Table("model_auc", "model_auc", columns, rows)


def quarantine_daily(conn: psycopg.Connection, f: Filters) -> Table:
    last = scalar(conn, "select max(rejected_at)::date from quarantine.rejected_rows")
    f = f.with_range(last, 90)
    rows = fetch(
        conn,
        """select (rejected_at at time zone 'America/Mexico_City')::date as day, entity, rule, count(*) as rows
           from quarantine.rejected_rows
           where (rejected_at at time zone 'America/Mexico_City')::date between %s and %s
           group by 1, 2, 3 order by 1, 2, 3""",
        (f.date_from, f.date_to),
    )
    columns = [
        Column("day", "Fecha", "date"),
        Column("entity", "Entidad / entity"),
        Column("rule", "Regla / rule"),
        Column("rows", "Filas / rows", "int"),
    ]
    return Table("quarantine", "quarantine", columns, rows)


def open_alerts(conn: psycopg.Connection, f: Filters) -> Table:
    rows = fetch(
        conn,
        """select alert_id, severity, kind, summary, status, occurrences, last_seen_at
           from ops.alerts where status in ('new', 'confirmed')
           order by case severity when 'critical' then 0 when 'high' then 1 when 'warning' then 2 else 3 end,
                    last_seen_at desc
           limit 200""",
    )
    columns = [
        Column("alert_id", "#", "int"),
        Column("severity", "Severidad / severity"),
        Column("kind", "Tipo / kind"),
        Column("summary", "Resumen / summary"),
        Column("status", "Estado / status"),
        Column("occurrences", "Veces / times", "int"),
        Column("last_seen_at", "Última vez / last seen", "datetime"),
    ]
    return Table("alerts", "alerts", columns, rows)


def latest_loads(conn: psycopg.Connection, f: Filters) -> Table:
    rows = fetch(
        conn,
        """select distinct on (source, entity) source, entity, finished_at, rows_loaded, rows_quarantined, gate_passed
           from ops.ingest_loads order by source, entity, finished_at desc nulls last""",
    )
    columns = [
        Column("source", "Fuente / source"),
        Column("entity", "Entidad / entity"),
        Column("finished_at", "Cargado / loaded", "datetime"),
        Column("rows_loaded", "Filas / rows", "int"),
        Column("rows_quarantined", "Cuarentena / quarantined", "int"),
        Column("gate_passed", "Control pasó / gate passed", "bool"),
    ]
    return Table("loads", "loads", columns, rows)


def outbox_by_status(conn: psycopg.Connection, f: Filters) -> Table:
    last = scalar(conn, "select max(as_of_date) from ops.outbox")
    f = f.with_range(last, 30)
    rows = fetch(
        conn,
        """select as_of_date as day, status, channel, count(*) as messages from ops.outbox
           where as_of_date between %s and %s group by 1, 2, 3 order by 1 desc, 2, 3""",
        (f.date_from, f.date_to),
    )
    columns = [
        Column("day", "Fecha", "date"),
        Column("status", "Estado / status"),
        Column("channel", "channel"),
        Column("messages", "messages", "int"),
    ]
    return Table("outbox", "messages", columns, rows)
