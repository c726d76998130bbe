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
    aging_bucket text, is_disputed boolean, cfdi_uuid text
);
alter table marts.fct_open_items add column if not exists cfdi_uuid text;
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
    "I2": ("C1", "F-0002", 5, "800.00", "MXN", False),  # standard reminder, same day: one merged message
    "I3": ("C2", "F-0003", -3, "500.00", "MXN", False),  # exemplary before due: no step, listed in C2's statement
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
NEVER_MESSAGED = {"I5", "I7", "I8", "I10", "I12"}


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
                "due_date, currency, open_amount, open_amount_mxn, days_past_due, aging_bucket, is_disputed, cfdi_uuid) "
                "values (%s, %s, %s, %s, %s, %s, %s, %s, %s::numeric * %s, %s, 'x', %s, %s)",
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
                    cfdi_uuid(iid),
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


def cfdi_uuid(invoice_id: str) -> str:
    """A made-up folio fiscal per invoice (UUID-shaped, as the SAT stamps it)."""
    return f"00000000-0000-4000-8000-{int(invoice_id[1:]):012d}"


def local(year: int, month: int, day: int, hour: int, minute: int = 0, tz: str = "America/Mexico_City") -> dt.datetime:
    """An aware instant given in a local zone."""
    return dt.datetime(year, month, day, hour, minute, tzinfo=ZoneInfo(tz))


def add_customer(
    dsn: str,
    customer_id: str,
    segment: str,
    invoices: dict[str, tuple[int, str, bool]],
    *,
    email: str | None = None,
    mobile: str | None = None,
    whatsapp_opt_in: bool = False,
    sms_opt_out: bool = False,
    rfc: str | None = None,
) -> None:
    """One more customer (Mexico City) with `invoices` {id: (days past due, open amount, disputed)}
    open on AS_OF, numbered F-<id>, each with a made-up CFDI UUID."""
    with psycopg.connect(dsn) as conn:
        conn.execute(
            "insert into marts.dim_customers (customer_id, customer_name, rfc, timezone) "
            "values (%s, %s, %s, 'America/Mexico_City')",
            (customer_id, f"Cliente {customer_id} S.A. de C.V.", rfc),
        )
        conn.execute(
            "insert into marts.dim_contacts (customer_id, contact_name, email, mobile, whatsapp_opt_in, email_opt_out, "
            "sms_opt_out, preferred_language, preferred_channel) values (%s, %s, %s, %s, %s, false, %s, 'es-MX', 'email')",
            (customer_id, f"Contacto {customer_id}", email, mobile, whatsapp_opt_in, sms_opt_out),
        )
        conn.execute(
            "insert into ml.customer_segments (score_date, customer_id, risk_score, segment) values (%s, %s, 0.5, %s)",
            (AS_OF, customer_id, segment),
        )
        for iid, (dpd, amount, disputed) in invoices.items():
            due = AS_OF - dt.timedelta(days=dpd)
            conn.execute(
                "insert into marts.fct_open_items (as_of_date, invoice_id, invoice_number, customer_id, issue_date, "
                "due_date, currency, open_amount, open_amount_mxn, days_past_due, aging_bucket, is_disputed, cfdi_uuid) "
                "values (%s, %s, %s, %s, %s, %s, 'MXN', %s, %s, %s, 'x', %s, %s)",
                (AS_OF, iid, f"F-{iid}", customer_id, due - dt.timedelta(days=30), due, amount, amount, dpd, disputed,
                 cfdi_uuid(iid)),
            )  # fmt: skip


def next_day(dsn: str) -> dt.date:
    """Roll the open items forward one day (same invoices, one day older); returns the new date."""
    day = AS_OF + dt.timedelta(days=1)
    with psycopg.connect(dsn) as conn:
        conn.execute(
            "insert into marts.fct_open_items select %s, invoice_id, invoice_number, customer_id, issue_date, due_date, "
            "currency, open_amount, open_amount_mxn, days_past_due + 1, aging_bucket, is_disputed, cfdi_uuid "
            "from marts.fct_open_items where as_of_date = %s",
            (day, AS_OF),
        )
    return day
