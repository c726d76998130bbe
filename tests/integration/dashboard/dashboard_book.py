"""A small company for the dashboard's tests and screenshots: twelve customers invoicing for ten
months (MXN and USD, some paying late, one disputing; ten in Mexico, two in the United States, one
of which invoices in pesos), built into real marts by `dbt build` as of 2026-11-24, then the rows
other stages would write (scores and segments, models, KPI snapshots, quarantined rows, alerts,
sent messages with policy decisions, and a batch waiting for approval) and the collectors'
portfolios (two collectors, two customers unassigned).

A module with a unique name, shared by tests/integration/dashboard and tests/browser."""

from __future__ import annotations

import datetime as dt
import json
import math
import random
import sys
from pathlib import Path

import psycopg

from cartera.collector_assignments import assign
from cartera.config import REPO_ROOT

sys.path.insert(0, str(REPO_ROOT / "tests" / "integration" / "dbt"))
from warehouse_builds import dbt_build, failures  # noqa: E402

AS_OF = dt.date(2026, 11, 24)
START = dt.date(2026, 1, 5)
USD = 18.0
# customer: (name, RFC, state, zone, behaviour, currency)
CUSTOMERS = {
    "C01": ("Abarrotes del Norte", "ANO010101AB1", "SON", "America/Hermosillo", "exemplary", "MXN"),
    "C02": ("Ferretería La Paz", "FLP020202CD2", "BCS", "America/Mazatlan", "occasional", "MXN"),
    "C03": ("Distribuidora Maya", "DMA030303EF3", "ROO", "America/Cancun", "chronic", "MXN"),
    "C04": ("Importadora Pacífico", "IPA040404GH4", "TX", "America/Chicago", "occasional", "USD"),
    "C05": ("Comercial Bajío", "CBA050505IJ5", "GTO", "America/Mexico_City", "chronic", "MXN"),
    "C06": ("Servicios Monterrey", "SMO060606KL6", "NLE", "America/Monterrey", "exemplary", "USD"),
    "C07": ("Papelería Central", "PCE070707MN7", "CMX", "America/Mexico_City", "at_risk", "MXN"),
    "C08": ("Logística San Diego", "LTI080808OP8", "CA", "America/Los_Angeles", "chronic", "MXN"),
    "C09": ("Agroinsumos Sinaloa", "ASI090909QR9", "SIN", "America/Mazatlan", "occasional", "MXN"),
    "C10": ("Textiles Puebla", "TPU101010ST0", "PUE", "America/Mexico_City", "at_risk", "MXN"),
    "C11": ("Farmacias Yucatán", "FYU111111UV1", "YUC", "America/Merida", "exemplary", "MXN"),
    "C12": ("Constructora Oaxaca", "COA121212WX2", "OAX", "America/Mexico_City", "chronic", "MXN"),
}
COUNTRIES = {"C04": "US", "C08": "US"}  # the others are in Mexico (MX)
# The collectors' portfolios (their sign-in usernames; cobranza is `make up`'s collector user).
PORTFOLIOS = {
    "cobranza": ("C01", "C03", "C05", "C07", "C09"),
    "lupita": ("C02", "C04", "C06", "C08", "C10"),
}  # C11 and C12: unassigned
LATE = {"exemplary": (0.05, 3), "occasional": (0.3, 15), "at_risk": (0.6, 35), "chronic": (0.9, 70)}
PENDING_BATCH = "campaign-2026-11-24"


def _q(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, int | float):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


def _insert(table: str, columns: str, rows: list[tuple[object, ...]]) -> str:
    values = ",\n".join("(" + ", ".join(_q(v) for v in row) + ")" for row in rows)
    return f"insert into {table} ({columns}) values\n{values};\n"


def raw_sql(seed: int = 11) -> str:
    """The raw rows: customers, contacts, invoices every ~3 weeks, payments by behaviour, FX."""
    rng = random.Random(seed)
    customers, contacts, invoices, payments, allocations, disputes = [], [], [], [], [], []
    n = 0
    for cid, (name, rfc, state, _zone, behaviour, currency) in CUSTOMERS.items():
        customers.append(("T", "erp", cid, name, rfc, COUNTRIES.get(cid, "MX"), state, 30, "2026-01-01"))
        contacts.append(
            ("T", "erp", f"K{cid}", cid, f"Contacto {cid}", f"cobranza@{cid.lower()}.example", "+525512345678",
             True, False, False, "es_MX", "email", "2026-01-01")
        )  # fmt: skip
        day = START + dt.timedelta(days=rng.randint(0, 15))
        p_late, late_days = LATE[behaviour]
        while day <= AS_OF - dt.timedelta(days=5):
            n += 1
            total = round(rng.uniform(8_000, 250_000) / (USD if currency == "USD" else 1), 2)
            subtotal = round(total / 1.16, 2)
            invoice_id = f"INV{n:04d}"
            due = day + dt.timedelta(days=30)
            invoices.append(
                ("T", "erp", invoice_id, f"A-{n:05d}", cid, day.isoformat(), due.isoformat(), currency, subtotal,
                 round(total - subtotal, 2), total, "posted", day.isoformat())
            )  # fmt: skip
            paid_on = due + dt.timedelta(
                days=rng.randint(1, late_days * 2) if rng.random() < p_late else -rng.randint(0, 10)
            )
            if paid_on <= AS_OF:
                payments.append(
                    ("T", "erp", f"P{n:04d}", cid, paid_on.isoformat(), currency, total, "posted", paid_on.isoformat())
                )
                allocations.append(
                    ("T", "erp", f"A{n:04d}", f"P{n:04d}", invoice_id, total, paid_on.isoformat(), paid_on.isoformat())
                )
            if cid == "C05" and n % 4 == 0 and paid_on > AS_OF:
                disputes.append(
                    ("T", "erp", f"D{n:04d}", invoice_id, cid, (due + dt.timedelta(days=5)).isoformat(), None,
                     "precio", "open", AS_OF.isoformat())
                )  # fmt: skip
            day += dt.timedelta(days=rng.randint(14, 28))
    # The peso moves around 18 per dollar, so AR at the closing rate differs from AR at issue rates.
    fx = [("T", "erp", (START - dt.timedelta(days=10) + dt.timedelta(days=d)).isoformat(), "USD",
           round(USD + 0.8 * math.sin(d / 20), 4), "2026-01-01") for d in range(0, 340, 1)]  # fmt: skip
    return "".join(
        [
            _insert("raw.customers", "load_id, source, customer_id, customer_name, rfc, country_code, state_code, "
                    "credit_terms_days, updated_at", customers),
            _insert("raw.contacts", "load_id, source, contact_id, customer_id, contact_name, email, mobile, "
                    "whatsapp_opt_in, email_opt_out, sms_opt_out, preferred_language, preferred_channel, updated_at",
                    contacts),
            _insert("raw.invoices", "load_id, source, invoice_id, invoice_number, customer_id, issue_date, due_date, "
                    "currency, subtotal, tax, total, status, updated_at", invoices),
            _insert("raw.payments", "load_id, source, payment_id, customer_id, payment_date, currency, amount, "
                    "status, updated_at", payments),
            _insert("raw.payment_allocations", "load_id, source, allocation_id, payment_id, invoice_id, amount, "
                    "allocation_date, updated_at", allocations),
            _insert("raw.disputes", "load_id, source, dispute_id, invoice_id, customer_id, opened_date, "
                    "resolved_date, reason, status, updated_at", disputes) if disputes else "",
            _insert("raw.fx_rates", "load_id, source, rate_date, currency, rate_to_mxn, updated_at", fx),
        ]
    )  # fmt: skip


def seed_after_build(dsn: str) -> None:
    """What the other stages would have written by 2026-11-24."""
    rng = random.Random(5)
    at = dt.datetime(2026, 11, 24, 14, tzinfo=dt.UTC)
    with psycopg.connect(dsn) as conn:
        opened = conn.execute(
            "select invoice_id, customer_id, days_past_due, open_amount_mxn from marts.fct_open_items "
            "where as_of_date = %s order by invoice_id",
            (AS_OF,),
        ).fetchall()
        conn.execute(
            "insert into ml.models (model_id, trained_at, as_of_date, cutoff_date, feature_names, params, metrics, "
            "booster, is_champion) select 'm-' || d::date, d, d::date, d::date - 90, '[]', '{}', "
            "jsonb_build_object('auc_test', 0.70 + 0.02 * k, 'auc_baseline_prior_late_rate', 0.61, 'n_test', 200 + k), "
            "'\\x00', k = 5 from generate_series(0, 5) as k, lateral (select (date '2026-06-01' + 28 * k)::timestamptz "
            "as d) as days"
        )
        for invoice_id, customer_id, days, _amount in opened:
            behaviour = CUSTOMERS[customer_id][4]
            p = min(0.98, LATE[behaviour][0] + (0.1 if days > 0 else 0))
            reasons = [
                {"feature": "prior_late_rate", "contribution": 0.4, "es": "pagó tarde antes", "en": "paid late before"},
                {"feature": "days_past_due", "contribution": 0.2, "es": f"{max(days, 0)} días vencida",
                 "en": f"{max(days, 0)} days past due"},
            ]  # fmt: skip
            conn.execute(
                "insert into ml.invoice_scores (score_date, invoice_id, customer_id, model_id, p_late, "
                "expected_payment_date, reasons) values (%s, %s, %s, 'm-2026-10-20', %s, %s, %s)",
                (AS_OF, invoice_id, customer_id, p, AS_OF + dt.timedelta(days=10), json.dumps(reasons)),
            )
        for cid, (_, _, _, _, behaviour, _) in CUSTOMERS.items():
            conn.execute(
                "insert into ml.customer_segments (score_date, customer_id, risk_score, segment, reasons) "
                "values (%s, %s, %s, %s, %s)",
                (AS_OF, cid, LATE[behaviour][0], behaviour,
                 json.dumps([{"rule": behaviour, "es": f"segmento {behaviour}", "en": f"segment {behaviour}"}])),
            )  # fmt: skip
        for k in range(14):
            when = at - dt.timedelta(days=k * 3)
            conn.execute(
                "insert into quarantine.rejected_rows (load_id, source, entity, row_number, record_key, rule, reason, "
                "record, rejected_at) select %s, 'erp', %s, g, null, 'not_null_total', 'total is missing', '{}', %s "
                "from generate_series(1, %s) g",
                (f"Q{k}", "invoices" if k % 2 else "payments", when, rng.randint(1, 9)),
            )
        for key, severity, kind, summary in (
            ("anomaly:C08:spike", "high", "amount_spike", "invoice amount 5× the customer's usual"),
            ("dispatch:no_channel:sms", "warning", "channel_not_configured", "SMS messages wait: no provider"),
        ):
            conn.execute(
                "insert into ops.alerts (dedup_key, kind, severity, summary, raised_at, last_seen_at) "
                "values (%s, %s, %s, %s, %s, %s)",
                (key, kind, severity, summary, at, at),
            )
        _messages(conn, opened, at)
        for collector, customer_ids in PORTFOLIOS.items():
            assign(conn, customer_ids, collector, at=at - dt.timedelta(days=30), by="admin")


SENT_BATCHES = (dt.date(2026, 10, 27), dt.date(2026, 11, 3), dt.date(2026, 11, 10), dt.date(2026, 11, 17))


def _batch(conn: psycopg.Connection, batch_id: str, day: dt.date, status: str, overdue: list[tuple[str, str]]) -> None:
    """One batch: a message per customer with overdue invoices, and its build decision."""
    planned = dt.datetime.combine(day, dt.time(15), tzinfo=dt.UTC)
    by_customer: dict[str, list[str]] = {}
    for invoice_id, customer_id in overdue:
        by_customer.setdefault(customer_id, []).append(invoice_id)
    conn.execute(
        "insert into ops.campaign_batches (batch_id, as_of_date, playbook_version, planned_at, candidates, "
        "enqueued, escalated, denied, deferred, last_built_at) values (%s, %s, 'v2', %s, %s, %s, 0, 0, 0, %s)",
        (batch_id, day, planned, len(by_customer), len(by_customer), planned),
    )
    for n, (customer_id, invoice_ids) in enumerate(sorted(by_customer.items())):
        channel = ("email", "whatsapp", "sms")[n % 3]
        sent = planned + dt.timedelta(hours=1) if status == "sent" else None
        bounced = sent is not None and channel == "sms" and n % 2 == 0
        row = conn.execute(
            "insert into ops.outbox (idempotency_key, batch_id, as_of_date, customer_id, invoice_ids, step, "
            "template, tone, channel, status, not_before, created_at, updated_at, sent_at, provider_message_id, "
            "delivery_status, delivered_at, bounced_at) values "
            "(%s, %s, %s, %s, %s, 'vencido_1', 'recordatorio_vencido', 'amable', %s, %s, %s, %s, %s, %s, %s, %s, %s, "
            "%s) returning outbox_id",
            (f"{batch_id}:{customer_id}", batch_id, day, customer_id, invoice_ids, channel, status,
             planned, planned, planned, sent, f"pm-{batch_id}-{customer_id}" if sent else None,
             ("bounced" if bounced else "delivered") if sent else None,
             None if bounced or sent is None else sent + dt.timedelta(minutes=1),
             sent + dt.timedelta(minutes=1) if bounced else None),
        ).fetchone()  # fmt: skip
        assert row is not None
        verdict = "allow" if n % 4 else "defer"
        conn.execute(
            "insert into ops.contact_decisions (decided_at, stage, customer_id, channel, invoice_ids, proposed_at, "
            "verdict, next_allowed_at, rule_pack_id, rule_pack_version, rule_id, reason_codes, reason_es, "
            "reason_en, reasons, inputs, batch_id, outbox_id) values (%s, 'build', %s, %s, %s, %s, %s, %s, "
            "'MX-CONDUSEF-2014', '2026.1', %s, '{}', %s, %s, '[]', '{}', %s, %s)",
            (planned, customer_id, channel, invoice_ids, planned, verdict,
             planned + dt.timedelta(days=9) if verdict == "defer" else None,
             "MX-CONDUSEF-2014/contact_window" if verdict == "defer" else "MX-CONDUSEF-2014/allowed",
             "fuera del horario permitido" if verdict == "defer" else "permitido",
             "outside the allowed hours" if verdict == "defer" else "allowed", batch_id, row[0]),
        )  # fmt: skip
        if sent is not None and channel == "sms" and n % 6 == 2:
            conn.execute(
                "insert into ops.opt_outs (customer_id, channel, opted_out_at, source) values (%s, 'sms', %s, 'reply')",
                (customer_id, sent + dt.timedelta(hours=5)),
            )


def _overdue_on(conn: psycopg.Connection, day: dt.date) -> list[tuple[str, str]]:
    """Invoices due before ``day`` and not paid by then, from the raw rows (before any build)."""
    rows = conn.execute(
        "select i.invoice_id, i.customer_id from raw.invoices i where i.due_date < %s and not exists "
        "(select 1 from raw.payment_allocations a where a.invoice_id = i.invoice_id and a.allocation_date <= %s) "
        "order by i.invoice_id",
        (day, day),
    ).fetchall()
    return [(str(i), str(c)) for i, c in rows]


def seed_sent_messages(dsn: str) -> None:
    """Weekly batches already sent, before the build (the outcome marts read them)."""
    with psycopg.connect(dsn) as conn:
        for day in SENT_BATCHES:
            _batch(conn, f"campaign-{day.isoformat()}", day, "sent", _overdue_on(conn, day))


def _messages(conn: psycopg.Connection, opened: list[tuple[object, ...]], at: dt.datetime) -> None:
    """Today's batch, waiting for approval (new rule-pack version)."""
    overdue = [(str(i), str(c)) for i, c, days, _ in opened if isinstance(days, int) and days > 0]
    _batch(conn, PENDING_BATCH, AS_OF, "pending", overdue)
    from cartera.campaigns.approval import ApprovalRules, assess

    reasons = assess(conn, PENDING_BATCH, at, rules=ApprovalRules(), policy="MX-CONDUSEF-2014:2026.2")
    assert reasons, "the dashboard book's batch must wait for approval"


def build(dsn: str, work_dir: Path) -> None:
    """Raw rows, `dbt build` as of AS_OF, then the other stages' rows."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(raw_sql())  # type: ignore[arg-type]
    seed_sent_messages(dsn)
    result = dbt_build(dsn, as_of=AS_OF.isoformat(), work_dir=work_dir)
    assert result.success, failures(result)
    # No kpi.daily_snapshots rows: the dashboard reads the KPI mart's own history when the
    # snapshots hold fewer days (and the snapshot table's shape is another stage's to change).
    seed_after_build(dsn)
