"""DDL of the ERP source schema (docs/data_model.md section 1), Odoo-like names.

Tables are created bare (primary keys and value checks only), loaded with COPY, and then get
their foreign keys and indexes: one pass of validation is faster than a check per copied row.
``write_date`` is indexed on every table because the extractor reads each table incrementally by it.
Columns beyond the contract (``tz``, ``x_behaviour``, ``payment_state``, ...) are realistic extras.
"""

from __future__ import annotations

from psycopg import sql

# Column order of each table: the row tuples built in company.py follow it.
COLUMNS: dict[str, tuple[str, ...]] = {
    "res_partner": (
        "id",
        "name",
        "vat",
        "l10n_mx_tax_regime",
        "country_code",
        "state_code",
        "city",
        "zip",
        "tz",
        "industry",
        "payment_term_days",
        "credit_limit",
        "credit_limit_currency",
        "is_company",
        "active",
        "x_behaviour",
        "create_date",
        "write_date",
    ),
    "res_partner_contact": (
        "id",
        "partner_id",
        "name",
        "function",
        "email",
        "mobile",
        "whatsapp_opt_in",
        "email_opt_out",
        "sms_opt_out",
        "lang",
        "preferred_channel",
        "create_date",
        "write_date",
    ),
    "account_move": (
        "id",
        "name",
        "move_type",
        "partner_id",
        "invoice_date",
        "invoice_date_due",
        "currency",
        "amount_untaxed",
        "amount_tax",
        "amount_total",
        "amount_residual",
        "payment_state",
        "state",
        "reversed_entry_id",
        "l10n_mx_edi_cfdi_uuid",
        "refund_reason",
        "create_date",
        "write_date",
    ),
    "account_move_line": (
        "id",
        "move_id",
        "name",
        "product_code",
        "quantity",
        "price_unit",
        "tax_rate",
        "price_subtotal",
        "create_date",
        "write_date",
    ),
    "account_payment": (
        "id",
        "name",
        "partner_id",
        "date",
        "currency",
        "amount",
        "payment_method",
        "state",
        "create_date",
        "write_date",
    ),
    "account_partial_reconcile": ("id", "payment_id", "invoice_id", "amount", "max_date", "create_date", "write_date"),
    "collection_dispute": (
        "id",
        "move_id",
        "partner_id",
        "opened_date",
        "resolved_date",
        "reason",
        "state",
        "create_date",
        "write_date",
    ),
    "res_currency_rate": ("id", "name", "currency", "rate_to_mxn", "create_date", "write_date"),
}

_STAMPS = "create_date timestamptz not null, write_date timestamptz not null"

TABLES: dict[str, str] = {
    "res_partner": f"""
        id integer primary key, name text not null, vat varchar(13) not null, l10n_mx_tax_regime varchar(3),
        country_code char(2) not null, state_code varchar(3) not null, city text, zip varchar(5), tz text, industry text,
        payment_term_days integer not null check (payment_term_days in (15, 30, 60, 90)),
        credit_limit numeric(18, 2), credit_limit_currency char(3), is_company boolean not null, active boolean not null,
        x_behaviour text not null, {_STAMPS}""",
    "res_partner_contact": f"""
        id integer primary key, partner_id integer not null, name text not null, function text, email text, mobile text,
        whatsapp_opt_in boolean not null, email_opt_out boolean not null, sms_opt_out boolean not null,
        lang text not null check (lang in ('es_MX', 'en_US')), preferred_channel text, {_STAMPS}""",
    "account_move": f"""
        id integer primary key, name text not null unique, move_type text not null check (move_type in ('out_invoice', 'out_refund')),
        partner_id integer not null, invoice_date date not null, invoice_date_due date not null, currency char(3) not null,
        amount_untaxed numeric(18, 2) not null, amount_tax numeric(18, 2) not null, amount_total numeric(18, 2) not null,
        amount_residual numeric(18, 2) not null, payment_state text not null, state text not null check (state in ('posted', 'cancel')),
        reversed_entry_id integer, l10n_mx_edi_cfdi_uuid uuid not null, refund_reason text, {_STAMPS},
        check (amount_total = amount_untaxed + amount_tax)""",
    "account_move_line": f"""
        id integer primary key, move_id integer not null, name text not null, product_code text, quantity numeric(18, 4) not null,
        price_unit numeric(18, 4) not null, tax_rate numeric(6, 4) not null, price_subtotal numeric(18, 2) not null, {_STAMPS}""",
    "account_payment": f"""
        id integer primary key, name text not null unique, partner_id integer not null, date date not null, currency char(3) not null,
        amount numeric(18, 2) not null check (amount > 0),
        payment_method text not null check (payment_method in ('transfer', 'check', 'cash', 'card')),
        state text not null check (state in ('posted', 'cancel')), {_STAMPS}""",
    "account_partial_reconcile": f"""
        id integer primary key, payment_id integer not null, invoice_id integer not null,
        amount numeric(18, 2) not null check (amount > 0), max_date date not null, {_STAMPS}""",
    "collection_dispute": f"""
        id integer primary key, move_id integer not null, partner_id integer not null, opened_date date not null,
        resolved_date date, reason text not null, state text not null check (state in ('open', 'resolved')), {_STAMPS},
        check ((state = 'resolved') = (resolved_date is not null))""",
    "res_currency_rate": f"""
        id integer primary key, name date not null, currency char(3) not null, rate_to_mxn numeric(18, 6) not null,
        {_STAMPS}, unique (name, currency)""",
}

# (table, column, referenced table)
FOREIGN_KEYS: tuple[tuple[str, str, str], ...] = (
    ("res_partner_contact", "partner_id", "res_partner"),
    ("account_move", "partner_id", "res_partner"),
    ("account_move", "reversed_entry_id", "account_move"),
    ("account_move_line", "move_id", "account_move"),
    ("account_payment", "partner_id", "res_partner"),
    ("account_partial_reconcile", "payment_id", "account_payment"),
    ("account_partial_reconcile", "invoice_id", "account_move"),
    ("collection_dispute", "move_id", "account_move"),
    ("collection_dispute", "partner_id", "res_partner"),
)

GENERATION_INFO = """
    generator_version integer not null, seed bigint not null, customers integer not null, months integer not null,
    as_of date not null, counts jsonb not null"""


def create_tables(schema: str) -> list[sql.Composed]:
    """Statements creating the schema's tables (before the COPY)."""
    statements = [sql.SQL("create schema {}").format(sql.Identifier(schema))]
    for table, body in {**TABLES, "generation_info": GENERATION_INFO}.items():
        ddl = sql.SQL(body)  # trusted DDL above, not user input
        statements.append(sql.SQL("create table {}.{} ({})").format(sql.Identifier(schema), sql.Identifier(table), ddl))
    return statements


def add_constraints_and_indexes(schema: str) -> list[sql.Composed]:
    """Foreign keys, and indexes on write_date (incremental extraction) and on the foreign keys."""
    statements = []
    for table, column, target in FOREIGN_KEYS:
        statements.append(
            sql.SQL("alter table {s}.{t} add constraint {c} foreign key ({col}) references {s}.{target} (id)").format(
                s=sql.Identifier(schema),
                t=sql.Identifier(table),
                c=sql.Identifier(f"{table}_{column}_fkey"),
                col=sql.Identifier(column),
                target=sql.Identifier(target),
            )
        )
        statements.append(
            sql.SQL("create index {i} on {s}.{t} ({col})").format(
                i=sql.Identifier(f"{table}_{column}_idx"),
                s=sql.Identifier(schema),
                t=sql.Identifier(table),
                col=sql.Identifier(column),
            )
        )
    for table in TABLES:
        statements.append(
            sql.SQL("create index {i} on {s}.{t} (write_date, id)").format(
                i=sql.Identifier(f"{table}_write_date_idx"), s=sql.Identifier(schema), t=sql.Identifier(table)
            )
        )
    return statements
