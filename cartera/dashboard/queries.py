"""The operator's one-query summary of each stage (KPIs, aging, loads, quarantine, model,
worklist, policy, outbox) as plain SQL: the end-to-end test runs each on the real warehouse after
a day to prove every stage left rows. The pages themselves read through finance, health,
workspace and approvals, which degrade when a table or column is missing. Ids and figures only."""

from __future__ import annotations

from typing import Any

from cartera.db import connect

SECTIONS: dict[str, tuple[str, str]] = {
    "kpis": (
        "KPI snapshots (finance)",
        """select snapshot_date as "date", total_ar_mxn as "AR (MXN)", overdue_ar_mxn as "overdue (MXN)",
                  pct_current as "% current", dso_countback as "DSO", cei as "CEI",
                  avg_days_delinquent as "avg days delinquent", open_invoices as "open invoices"
           from kpi.daily_snapshots order by snapshot_date desc limit 30""",
    ),
    "aging": (
        "Aging of the open book (latest day)",
        """select aging_bucket as "bucket", count(*) as "invoices", round(sum(open_amount_mxn), 2) as "open (MXN)"
           from marts.fct_open_items where as_of_date = (select max(as_of_date) from marts.fct_open_items)
           group by aging_bucket order by min(days_past_due)""",
    ),
    "loads": (
        "Data health: latest load per source table",
        """select distinct on (source, entity) source, entity, finished_at as "loaded at",
                  rows_loaded as "rows loaded", rows_quarantined as "quarantined", gate_passed as "gate passed"
           from ops.ingest_loads order by source, entity, finished_at desc""",
    ),
    "quarantine": (
        "Quarantined rows by rule",
        """select entity, rule, count(*) as "rows", max(rejected_at) as "last seen"
           from quarantine.rejected_rows group by entity, rule order by 3 desc limit 50""",
    ),
    "model": (
        "Model health",
        """select model_id, trained_at, is_champion as "champion",
                  metrics->>'auc_test' as "test AUC", metrics->>'auc_baseline_prior_late_rate' as "baseline AUC",
                  metrics->>'n_train' as "train", metrics->>'n_test' as "test"
           from ml.models order by trained_at desc limit 10""",
    ),
    "worklist": (
        "Collectors' worklist: overdue customers by risk × amount (latest scores)",
        """select s.customer_id as "customer", s.segment, round(s.risk_score::numeric, 2) as "risk",
                  count(*) as "overdue invoices", round(sum(o.open_amount_mxn), 2) as "overdue (MXN)",
                  max(o.days_past_due) as "oldest (days)"
           from ml.customer_segments s
           join marts.fct_open_items o
             on o.customer_id = s.customer_id and o.as_of_date = s.score_date and o.days_past_due > 0
           where s.score_date = (select max(score_date) from ml.customer_segments)
           group by s.customer_id, s.segment, s.risk_score
           order by s.risk_score * sum(o.open_amount_mxn) desc nulls last limit 25""",
    ),
    "policy": (
        "Contact policy decisions, last 7 days (why a message went, waited or was stopped)",
        """select decided_at::date as "day", stage, verdict, rule_id as "rule", rule_pack_version as "pack version",
                  count(*) as "decisions"
           from ops.contact_decisions
           where decided_at >= (select max(decided_at) from ops.contact_decisions) - interval '7 days'
           group by 1, 2, 3, 4, 5 order by 1 desc, 2, 3, 6 desc limit 60""",
    ),
    "outbox": (
        "Messages by day and status",
        """select as_of_date as "day", status, count(*) as "messages"
           from ops.outbox group by as_of_date, status order by as_of_date desc, status limit 60""",
    ),
}


def section(dsn: str, key: str) -> tuple[str, list[str], list[tuple[Any, ...]]]:
    """(title, column names, rows) of one section; a stage that never ran shows no rows."""
    title, query = SECTIONS[key]
    with connect(dsn) as conn:
        try:
            with conn.transaction(), conn.cursor() as cur:
                cur.execute(query)  # type: ignore[arg-type]  # fixed queries above
                columns = [c.name for c in cur.description or []]
                return title, columns, list(cur.fetchall())
        except Exception:  # noqa: BLE001 - e.g. the table does not exist before the first run
            return title, [], []
