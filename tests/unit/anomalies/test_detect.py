"""Alerts from findings: keyed by the facts, bilingual, and the fraud kinds the same in Python
and in the database trigger that holds a confirmed fraud's customer."""

from __future__ import annotations

import datetime as dt
import re

from cartera.anomalies.book import Finding, Reason
from cartera.anomalies.detect import FRAUD_KINDS, KINDS, to_alert
from cartera.config import REPO_ROOT
from cartera.synthetic.anomalies import KINDS as INJECTED_KINDS


def _finding(facts: tuple[str, ...]) -> Finding:
    return Finding("duplicate_invoice", "high", "invoice", "2", "C1", dt.date(2026, 5, 1), facts,
                   (Reason("Mismo importe", "Same amount"),))  # fmt: skip


def test_the_same_facts_give_the_same_key_and_other_facts_another() -> None:
    assert _finding(("1", "2")).dedup_key == _finding(("1", "2")).dedup_key
    assert _finding(("1", "2")).dedup_key != _finding(("3", "2")).dedup_key


def test_an_alert_says_what_and_why_in_spanish_and_english_with_ids_only() -> None:
    alert = to_alert(_finding(("1", "2")))
    assert alert.source == "anomaly" and alert.kind == "duplicate_invoice" and alert.entity_id == "2"
    assert alert.summary == "Factura duplicada / Duplicate invoice: invoice 2 (cliente/customer C1)"
    assert list(alert.reasons) == ["Mismo importe | Same amount"]


def test_the_trigger_holds_exactly_the_fraud_kinds() -> None:
    sql = (REPO_ROOT / "cartera" / "sql" / "70_anomalies.sql").read_text(encoding="utf-8")
    listed = re.search(r"new\.kind in \(([^)]*)\)", sql)
    assert listed is not None
    assert set(re.findall(r"'([a-z0-9_]+)'", listed.group(1))) == FRAUD_KINDS


def test_every_injected_kind_has_a_detector() -> None:
    assert set(INJECTED_KINDS) == set(KINDS)
