"""Run every detector on a book; write the findings to ``ops.alerts``.

:data:`FRAUD_KINDS` are the kinds whose confirmation holds the customer's campaigns (the trigger
in ``cartera/sql/70_anomalies.sql`` lists the same kinds; a unit test keeps them equal).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

import psycopg

from cartera.alerts import Alert, write_alert
from cartera.anomalies import deterioration, forest, rules_documents, rules_people
from cartera.anomalies.book import AnomalyBook, Finding
from cartera.logs import get_logger

log = get_logger(__name__)

TITLES: dict[str, tuple[str, str]] = {
    "duplicate_invoice": ("Factura duplicada", "Duplicate invoice"),
    "invoice_backdated": ("Factura con fecha anterior a su registro", "Invoice backdated"),
    "invoice_edited": ("Factura modificada después de registrarse", "Invoice edited after posting"),
    "credit_note_after_payment": ("Nota de crédito después del pago", "Credit note after payment"),
    "credit_note_unusual": ("Nota de crédito inusual", "Unusual credit note"),
    "payment_reversal": ("Pago revertido después de aplicarse", "Payment reversed after it was applied"),
    "unapplied_cash": ("Cobro sin aplicar", "Unapplied cash"),
    "contact_changed_before_request": ("Correo cambiado antes de cobrar", "E-mail changed before a payment request"),
    "terms_changed": ("Cambio brusco de plazo o límite", "Sudden change of terms or credit limit"),
    "payment_deterioration": ("Deterioro en días de pago", "Deterioration in days to pay"),
    "collector_bulk_actions": ("Acciones masivas de un cobrador", "Bulk actions by one collector"),
    "sat_69b_listed": ("Cliente en la lista 69-B del SAT", "Customer on SAT's 69-B list"),
}
KINDS = tuple(TITLES)
FRAUD_KINDS = frozenset({
    "duplicate_invoice", "invoice_backdated", "invoice_edited", "credit_note_after_payment", "credit_note_unusual",
    "contact_changed_before_request", "terms_changed", "sat_69b_listed",
})  # fmt: skip


def detect(book: AnomalyBook, *, lookback_days: int | None = None) -> list[Finding]:
    """Every detector's findings on ``book`` (only facts dated within ``lookback_days`` of as_of
    when given), in a stable order."""
    simple: Sequence[Callable[[AnomalyBook], list[Finding]]] = (
        rules_documents.duplicate_invoices,
        rules_documents.backdated_invoices,
        rules_documents.edited_invoices,
        rules_documents.reversed_payments,
        rules_documents.unapplied_cash,
        rules_people.contact_changed_before_request,
        rules_people.terms_changed,
        rules_people.collector_bulk_actions,
        rules_people.sat_69b_listed,
        deterioration.payment_deterioration,
    )
    found: list[Finding] = []
    for detector in simple:
        found += detector(book)
    after_payment = rules_documents.credit_notes_after_payment(book)
    found += after_payment
    found += forest.unusual_credit_notes(book, skip=frozenset(f.entity_id for f in after_payment))
    if lookback_days is not None:
        since = book.as_of - dt.timedelta(days=lookback_days)
        found = [f for f in found if f.day >= since]
    return sorted(found, key=lambda f: (KINDS.index(f.kind), f.entity_type, f.entity_id, f.dedup_key))


def to_alert(finding: Finding) -> Alert:
    es, en = TITLES[finding.kind]
    who = f"{finding.entity_type} {finding.entity_id}"
    if finding.customer_id and finding.entity_type != "customer":
        who += f" (cliente/customer {finding.customer_id})"
    return Alert(
        dedup_key=finding.dedup_key,
        kind=finding.kind,
        severity=finding.severity,
        summary=f"{es} / {en}: {who}",
        reasons=[r.text() for r in finding.reasons],
        entity_type=finding.entity_type,
        entity_id=finding.entity_id,
        source="anomaly",
    )


def write_findings(conn: psycopg.Connection, findings: Sequence[Finding], at: dt.datetime) -> list[int]:
    """Insert or refresh one alert per finding (a dismissed one stays dismissed); returns their ids."""
    ids = []
    for finding in findings:
        alert_id = write_alert(conn, to_alert(finding), at)
        if alert_id is not None:
            ids.append(alert_id)
    log.info("anomaly alerts written: %d", len(ids))
    return ids
