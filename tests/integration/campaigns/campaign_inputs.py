"""The campaigns' inputs for integration tests: the marts and ml tables with the columns
documented in docs/data_model.md (created here when dbt / the ml DDL have not), and a handful of
customers across Mexico's zones. A module with a unique name, imported by the tests here."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import psycopg

AS_OF = dt.date(2026, 3, 10)
API_KEY = "SG.test-key-for-the-fake"

INPUT_DDL = """
create schema if not exists marts;
create schema if not exists ml;
create table if not exists marts.dim_customers (
    customer_id text primary key, customer_name text, rfc text, country_code text, state_code text, timezone text,
    industry text, credit_terms_days integer, first_invoice_date date
);
create table if not exists marts.fct_payments (
    payment_id text primary key, customer_id text, payment_date date, currency text, amount numeric(18, 2),
    amount_mxn numeric(18, 2)
);
create table if not exists marts.dim_contacts (
    customer_id text primary key, contact_name text, email text, mobile text, whatsapp_opt_in boolean,
    email_opt_out boolean, sms_opt_out boolean, preferred_language text, preferred_channel text
);
create table if not exists marts.fct_open_items (
    as_of_date date, invoice_id text, invoice_number text, customer_id text, issue_date date, due_date date,
    currency text, open_amount numeric(18, 2), open_amount_mxn numeric(18, 2), days_past_due integer,
    aging_bucket text, is_disputed boolean
);
create table if not exists ml.customer_segments (
    score_date date not null, customer_id text not null, risk_score double precision, segment text not null,
    reasons jsonb not null default '[]'::jsonb
);
create table if not exists ml.invoice_scores (
    score_date date not null, invoice_id text not null, customer_id text not null, model_id text not null,
    p_late double precision not null, expected_payment_date date not null, reasons jsonb not null default '[]'::jsonb
);
"""

# customer: (segment, timezone, email, email_opt_out, language)
CUSTOMERS = {
    "C1": ("at_risk", "America/Mexico_City", "c1@example.mx", False, "es-MX"),
    "C2": ("exemplary", "America/Hermosillo", "c2@example.mx", False, "es-MX"),
    "C3": ("chronic", "America/Cancun", "c3@example.mx", False, "es-MX"),
    "C4": ("occasional", "America/Tijuana", "c4@example.mx", False, "en-US"),
    "C5": ("new", None, "c5@example.mx", False, "es-MX"),
    "C6": ("at_risk", "America/Mexico_City", "c6@example.mx", True, "es-MX"),
    "C7": ("at_risk", "America/Monterrey", "c7@example.mx", False, "es-MX"),
}
# invoice: (customer, number, days_past_due, open_amount, currency, is_disputed)
INVOICES = {
    "I1": ("C1", "F-0001", -3, "12345.67", "MXN", False),  # preventive (at_risk, before due)
    "I2": ("C1", "F-0002", 5, "800.00", "MXN", False),  # standard reminder: second step, same day
    "I3": ("C2", "F-0003", -3, "500.00", "MXN", False),  # exemplary before due: nothing
    "I4": ("C2", "F-0004", 3, "1500.50", "MXN", False),
    "I12": ("C2", "F-0012", 3, "0.00", "MXN", False),  # paid (zero open amount)
    "I5": ("C3", "F-0005", 45, "90000.00", "MXN", False),  # chronic past 30: escalation
    "I6": ("C4", "F-0006", 10, "2000.00", "USD", False),
    "I7": ("C4", "F-0007", 12, "300.00", "MXN", True),  # disputed
    "I8": ("C4", "F-0008", 11, "400.00", "MXN", False),  # on hold in ops.holds
    "I9": ("C5", "F-0009", 2, "700.00", "MXN", False),  # unknown time zone
    "I10": ("C6", "F-0010", 2, "650.00", "MXN", False),  # opted out of e-mail
    "I11": ("C7", "F-0011", 4, "999.99", "MXN", False),  # paid between build and dispatch
}
NEVER_MESSAGED = {"I3", "I5", "I7", "I8", "I10", "I12"}


def seed_inputs(dsn: str) -> None:
    """Create the input tables (if absent) and fill them for AS_OF."""
    with psycopg.connect(dsn) as conn:
        conn.execute(INPUT_DDL)
        for cid, (segment, tz, email, opt_out, lang) in CUSTOMERS.items():
            conn.execute(
                "insert into marts.dim_customers (customer_id, customer_name, timezone) values (%s, %s, %s)",
                (cid, f"Cliente {cid} S.A. de C.V.", tz),
            )
            conn.execute(
                "insert into marts.dim_contacts (customer_id, contact_name, email, whatsapp_opt_in, email_opt_out, "
                "sms_opt_out, preferred_language, preferred_channel) values (%s, %s, %s, false, %s, false, %s, 'email')",
                (cid, f"Contacto {cid}", email, opt_out, lang),
            )
            conn.execute(
                "insert into ml.customer_segments (score_date, customer_id, risk_score, segment) values (%s, %s, 0.5, %s)",
                (AS_OF, cid, segment),
            )
        for iid, (cid, number, dpd, amount, currency, disputed) in INVOICES.items():
            due = AS_OF - dt.timedelta(days=dpd)
            rate = 17 if currency == "USD" else 1
            conn.execute(
                "insert into marts.fct_open_items (as_of_date, invoice_id, invoice_number, customer_id, issue_date, "
                "due_date, currency, open_amount, open_amount_mxn, days_past_due, aging_bucket, is_disputed) "
                "values (%s, %s, %s, %s, %s, %s, %s, %s, %s::numeric * %s, %s, 'x', %s)",
                (
                    AS_OF,
                    iid,
                    number,
                    cid,
                    due - dt.timedelta(days=30),
                    due,
                    currency,
                    amount,
                    amount,
                    rate,
                    dpd,
                    disputed,
                ),
            )
            conn.execute(
                "insert into ml.invoice_scores (score_date, invoice_id, customer_id, model_id, p_late, "
                "expected_payment_date) values (%s, %s, %s, 'm1', 0.4, %s)",
                (AS_OF, iid, cid, due),
            )
        conn.execute(
            "insert into ops.holds (customer_id, invoice_id, reason, opened_at) values ('C4', 'I8', 'promise_to_pay', %s)",
            (dt.datetime(2026, 3, 1, tzinfo=dt.UTC),),
        )


def local(year: int, month: int, day: int, hour: int, minute: int = 0, tz: str = "America/Mexico_City") -> dt.datetime:
    """An aware instant given in a local zone."""
    return dt.datetime(year, month, day, hour, minute, tzinfo=ZoneInfo(tz))
