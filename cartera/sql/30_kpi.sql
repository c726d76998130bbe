-- kpi: one row per day (as_of_date), what finance reads on dashboards: the day's AR KPIs, copied
-- and backfilled from marts.fct_ar_kpi_daily by cartera/kpi.py. Idempotent: safe on every start.
-- Columns are described in docs/data_model.md (KPI section) and, with their formulas, in
-- dbt_project/models/marts/finance/fct_ar_kpi_daily.yml.
create table if not exists kpi.daily_snapshots (
    as_of_date date primary key,
    total_ar_mxn numeric(18, 2) not null,
    overdue_ar_mxn numeric(18, 2) not null,
    pct_current numeric(7, 2),
    dso_countback numeric(9, 2),
    cei numeric(7, 2),
    avg_days_delinquent numeric(9, 2),
    open_invoices integer not null,
    rows_quarantined_today integer not null default 0,
    model_auc_test numeric(6, 4)
);

-- The first version was keyed by snapshot_date and held the KPIs of the as-of day, empty or not.
do $$
begin
    if exists (
        select 1 from information_schema.columns
        where table_schema = 'kpi' and table_name = 'daily_snapshots' and column_name = 'snapshot_date'
    ) and not exists (
        select 1 from information_schema.columns
        where table_schema = 'kpi' and table_name = 'daily_snapshots' and column_name = 'as_of_date'
    ) then
        alter table kpi.daily_snapshots rename column snapshot_date to as_of_date;
    end if;
end
$$;

-- Written from the caller's business date, never the clock: a rerun writes the same row.
alter table kpi.daily_snapshots drop column if exists taken_at;
-- The last day the row's data covers (its KPIs are that day's); before as_of_date when the as-of
-- day had no posted data yet. Null only on rows written before this column existed.
alter table kpi.daily_snapshots add column if not exists data_through date;
alter table kpi.daily_snapshots add column if not exists open_mxn_at_closing_rate numeric(18, 2);
alter table kpi.daily_snapshots add column if not exists open_mxn_at_issue_rate numeric(18, 2);
alter table kpi.daily_snapshots add column if not exists fx_revaluation_mxn numeric(18, 2);
alter table kpi.daily_snapshots add column if not exists current_ar_mxn numeric(18, 2);
alter table kpi.daily_snapshots add column if not exists dso_simple numeric(9, 2);
alter table kpi.daily_snapshots add column if not exists best_possible_dso numeric(9, 2);
alter table kpi.daily_snapshots add column if not exists avg_days_past_due_overdue numeric(9, 2);
alter table kpi.daily_snapshots add column if not exists dso_period_sales_mxn numeric(18, 2);
alter table kpi.daily_snapshots add column if not exists overdue_invoices integer;
-- Business date of the kpi_snapshot run that last wrote the row (later runs restate history).
alter table kpi.daily_snapshots add column if not exists snapshot_run_date date;

-- Transitional: snapshot_date, the old key, kept equal to as_of_date so readers and writers of
-- the first version keep working. Drop once nothing names it (docs/data_model.md).
alter table kpi.daily_snapshots add column if not exists snapshot_date date;
create or replace function kpi.daily_snapshots_legacy_date() returns trigger
language plpgsql as $$
begin
    new.as_of_date := coalesce(new.as_of_date, new.snapshot_date);
    new.snapshot_date := new.as_of_date;
    return new;
end
$$;
create or replace trigger daily_snapshots_legacy_date
before insert or update on kpi.daily_snapshots
for each row execute function kpi.daily_snapshots_legacy_date();
update kpi.daily_snapshots set snapshot_date = as_of_date where snapshot_date is distinct from as_of_date;
