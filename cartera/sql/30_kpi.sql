-- kpi: one row per business day, what finance reads on dashboards.
create table if not exists kpi.daily_snapshots (
    snapshot_date date primary key,
    total_ar_mxn numeric(18, 2) not null,
    overdue_ar_mxn numeric(18, 2) not null,
    pct_current numeric(7, 2),
    dso_countback numeric(9, 2),
    cei numeric(7, 2),
    avg_days_delinquent numeric(9, 2),
    open_invoices integer not null,
    rows_quarantined_today integer not null default 0,
    model_auc_test numeric(6, 4),
    taken_at timestamptz not null default now()
);
