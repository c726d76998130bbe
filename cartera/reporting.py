"""Plain-text views for the terminal: the KPI table and the demo's closing report.

Customer ids only: no names, emails or phones are printed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from cartera.db import connect

if TYPE_CHECKING:
    from cartera.demo import DemoResult
    from cartera.kpi import KpiSnapshot


def _fmt(value: Any, suffix: str = "") -> str:
    if value is None:
        return "—"
    if isinstance(value, (int,)) and not isinstance(value, bool):
        return f"{value:,}{suffix}"
    try:
        return f"{float(value):,.2f}{suffix}"
    except (TypeError, ValueError):
        return str(value)


_KPI_LEGEND = (
    "as of: the business date; data thru: the last day with posted data (its KPIs are that day's).\n"
    "AR, FX reval., overdue: MXN at the day's closing rate (FX reval. = AR − AR at issue-date rates).\n"
    "DSO cb: DSO by countback; DSO simple: AR / credit sales of the last 90 days × 90; best DSO: current AR / the "
    "same sales × 90.\n"
    "ADD: average days delinquent = DSO simple − best DSO (days of sales owed to late payment; not the days past due "
    "of overdue invoices,\n"
    "     which is DPD overdue: their amount-weighted average days past due). CEI: collection effectiveness over 30 days."
)


def kpi_table(rows: Sequence[KpiSnapshot]) -> str:
    """The KPI history, newest first, with a legend of what each column means."""
    if not rows:
        return "no KPI snapshots yet: run the kpi_snapshot DAG (or `make demo`)"
    header = (
        f"{'as of':<10} {'data thru':<10} {'AR (MXN)':>15} {'FX reval.':>11} {'overdue (MXN)':>15} {'% current':>9} "
        f"{'DSO cb':>7} {'DSO simple':>10} {'best DSO':>8} {'ADD':>6} {'DPD overdue':>11} {'CEI':>7} {'open':>6}"
    )
    lines = [header, "-" * len(header)]
    for r in rows:
        through = r.data_through.isoformat() if r.data_through else "—"
        lines.append(
            f"{r.as_of_date.isoformat():<10} {through:<10} {_fmt(r.total_ar_mxn):>15} {_fmt(r.fx_revaluation_mxn):>11} "
            f"{_fmt(r.overdue_ar_mxn):>15} {_fmt(r.pct_current):>9} {_fmt(r.dso_countback):>7} "
            f"{_fmt(r.dso_simple):>10} {_fmt(r.best_possible_dso):>8} {_fmt(r.avg_days_delinquent):>6} "
            f"{_fmt(r.avg_days_past_due_overdue):>11} {_fmt(r.cei):>7} {_fmt(r.open_invoices):>6}"
        )
    return "\n".join([*lines, "", _KPI_LEGEND])


def _scalar(conn: Any, query: str, params: Sequence[Any] = ()) -> Any:
    try:
        with conn.transaction():
            row = conn.execute(query, params).fetchone()
    except Exception:  # noqa: BLE001 - a stage that has not run yet shows as "—"
        return None
    return row[0] if row else None


def _rows(conn: Any, query: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    try:
        with conn.transaction():
            return list(conn.execute(query, params).fetchall())
    except Exception:  # noqa: BLE001
        return []


def _contact_loop_lines(dsn: str) -> list[str]:
    """Channel mix, what came back (events, replies as read) and the one-message-a-day check."""
    with connect(dsn) as conn:
        channels = _rows(
            conn, "select channel, count(*) from ops.outbox where status = 'sent' group by 1 order by 2 desc"
        )
        most = _scalar(
            conn,
            "select coalesce(max(n), 0) from (select count(*) as n from ops.outbox where status = 'sent' "
            "group by customer_id, (sent_at at time zone 'America/Mexico_City')::date) as per_day",
        )
        has_events = _scalar(conn, "select to_regclass('ops.message_events') is not null")
        events = (
            _rows(
                conn, "select provider, event_type, count(*) from ops.message_events group by 1, 2 order by 1, 3 desc"
            )
            if has_events
            else []
        )
        replies = (
            _rows(conn, "select classification, count(*) from ops.inbound_replies group by 1 order by 2 desc")
            if has_events
            else []
        )
        opt_outs = _rows(conn, "select channel, source, count(*) from ops.opt_outs group by 1, 2 order by 1, 2")
    lines = ["Channel mix (sent): " + (", ".join(f"{c} {n}" for c, n in channels) or "—")]
    lines.append("Events back: " + (", ".join(f"{p}/{t} {n}" for p, t, n in events) or "—"))
    lines.append("Replies read: " + (", ".join(f"{c} {n}" for c, n in replies) or "—"))
    lines.append("Opt-outs: " + (", ".join(f"{c} by {s} {n}" for c, s, n in opt_outs) or "—"))
    lines.append(f"most messages to one customer in one day: {int(most or 0)}")
    return lines


def anomaly_table(figures: dict[str, Any]) -> str:
    """The anomaly evaluation (``cartera anomalies evaluate``): per type, injected, precision and
    recall at the book's prevalence, then the false alerts per 1000 invoices of the clean book."""
    book = figures.get("book", {})
    lines = [
        f"Anomaly detectors on a generated book ({book.get('customers')} customers, {book.get('months')} months, "
        f"{_fmt(100 * float(book.get('rate', 0)), ' %')} of each type injected):",
        f"  {'type':<32} {'injected':>8} {'alerts':>7} {'precision':>9} {'recall':>7}",
    ]
    for kind, row in figures.get("types", {}).items():
        lines.append(
            f"  {kind:<32} {row['injected']:>8} {row['alerts']:>7} {_fmt(row['precision']):>9} {_fmt(row['recall']):>7}"
        )
    clean = figures.get("clean", {})
    lines.append(
        f"  clean book: {clean.get('false_alerts')} false alerts on {_fmt(clean.get('invoices'))} invoices = "
        f"{_fmt(clean.get('false_alerts_per_1000_invoices'))} per 1000 invoices"
    )
    return "\n".join(lines)


def demo_report(result: DemoResult) -> str:
    import json

    from cartera.cli_anomalies import evaluation_path
    from cartera.kpi import latest

    dsn = result.env["CARTERA_DATABASE_URL"]
    day = result.as_of
    with connect(dsn) as conn:
        loads = _rows(
            conn,
            "select entity, sum(rows_loaded), sum(rows_quarantined) from ops.ingest_loads group by entity order by entity",
        )
        model = _rows(
            conn,
            "select metrics->>'auc_test', metrics->>'auc_baseline_prior_late_rate', metrics->>'n_train', metrics->>'n_test' "
            "from ml.models where is_champion order by trained_at desc limit 1",
        )
        segments = _rows(
            conn,
            "select segment, count(*) from ml.customer_segments where score_date = %s group by 1 order by 2 desc",
            (day,),
        )
        outbox = _rows(conn, "select status, count(*) from ops.outbox group by 1 order by 1")
        policy = _rows(
            conn,
            # The law's and collectibility's decisions (not the playbook's or the learner's own lines).
            """select verdict, reason, count(distinct (customer_id, channel, invoice_ids, blocked_invoice_ids))
               from ops.contact_decisions cross join lateral unnest(reason_codes) as reason
               where stage = 'build' and decided_at::date between %s and %s + 1
                 and rule_pack_id not in ('playbook', 'learning')
               group by 1, 2 order by 1, 3 desc""",
            (day, day),
        )
        worklist = _rows(
            conn,
            """select s.customer_id, s.segment, round(s.risk_score::numeric, 2) as risk, round(sum(o.open_amount_mxn), 2) as overdue
               from ml.customer_segments s join marts.fct_open_items o using (customer_id)
               where s.score_date = %s and o.days_past_due > 0 and s.risk_score is not null
               group by s.customer_id, s.segment, s.risk_score
               order by s.risk_score * sum(o.open_amount_mxn) desc limit 5""",
            (day,),
        )
    lines = [f"\ncartera demo — business date {day.isoformat()}", ""]
    lines.append("Ingest (rows loaded / quarantined, all loads):")
    lines += [f"  {e:<20} {_fmt(int(a)):>8} / {_fmt(int(q))}" for e, a, q in loads] or ["  —"]
    if model:
        auc, base, n_train, n_test = model[0]
        lines.append(
            f"\nLate-payment model (time split): test AUC {_fmt(auc)} vs prior-late-rate baseline {_fmt(base)} (train {n_train}, test {n_test})"
        )
    lines.append("Segments: " + (", ".join(f"{s} {n}" for s, n in segments) or "—"))
    lines.append("Outbox: " + (", ".join(f"{s} {n}" for s, n in outbox) or "—"))
    lines += _contact_loop_lines(dsn)
    if policy:
        by_verdict: dict[str, list[str]] = {}
        for verdict, reason, count in policy:
            by_verdict.setdefault(verdict, []).append(f"{reason} {count}")
        lines.append(
            "Contact policy at build, messages by verdict and reason (ops.contact_decisions): "
            + "; ".join(f"{v}: {', '.join(r)}" for v, r in sorted(by_verdict.items()))
        )
    if worklist:
        lines.append("\nCollector worklist, top 5 overdue customers by risk × amount (ids only):")
        lines += [f"  {c:<10} {s:<11} risk {_fmt(r)}  overdue {_fmt(a)} MXN" for c, s, r, a in worklist]
    evaluation = evaluation_path()  # written by `cartera anomalies evaluate`, when it has run
    if evaluation.exists():
        lines += ["", anomaly_table(json.loads(evaluation.read_text(encoding="utf-8")))]
    lines.append("\nKPI snapshot:")
    lines.append(kpi_table(latest(dsn, 3)))
    lines.append("\nTimings (s): " + ", ".join(f"{k} {v:.1f}" for k, v in result.timings.items()))
    lines.append(
        f"\nWhere to look next:\n  messages as they would arrive: {result.outbox_dir}/*.eml\n"
        f"  the warehouse: psql {dsn}  (schemas raw, quarantine, marts, ml, ops, kpi)\n"
        "  Airflow UI with the DAGs: make up   (then http://localhost:8080)\n"
        "  the KPI history: .venv/bin/cartera kpi"
    )
    return "\n".join(lines)
