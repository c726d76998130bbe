-- ops: files imported (cartera/sources/files). One row per file content: a rerun of the same bytes
-- loads nothing; a corrected file (other bytes, same name) is a new import whose rows supersede.
create schema if not exists ops;
create table if not exists ops.file_imports (
    sha256 text primary key,
    file_name text not null,
    source text not null,
    load_id text not null,
    imported_at timestamptz not null,
    rows_read integer not null,
    invoices_loaded integer not null,
    rows_quarantined integer not null,
    gate_passed boolean not null,
    mapping jsonb not null,
    warnings jsonb not null default '[]'::jsonb
);
-- Rows set aside (blank, repeated header, total, exact repeat), so rows_read = loaded + quarantined
-- + skipped can be checked; and why a file was refused as a whole (null when it was read).
alter table ops.file_imports add column if not exists rows_skipped integer not null default 0;
alter table ops.file_imports add column if not exists error text;
