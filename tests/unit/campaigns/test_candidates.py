"""Grouping open items into candidates (cartera/campaigns/candidates.py)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from cartera.campaigns.candidates import OpenItem, build_candidates
from cartera.campaigns.playbook import load_playbook

PLAYBOOK = load_playbook()


def item(invoice_id: str, customer: str, days: int, amount: str = "100", p_late: float | None = None) -> OpenItem:
    due = dt.date(2026, 3, 10) - dt.timedelta(days=days)
    return OpenItem(
        invoice_id, f"F-{invoice_id}", customer, due, "MXN", Decimal(amount), Decimal(amount), days, False, p_late
    )


def test_one_candidate_per_customer_per_step_grouping_its_invoices() -> None:
    items = [item("A", "C1", 2, p_late=0.2), item("B", "C1", 6, p_late=0.9), item("C", "C1", -2), item("D", "C2", 3)]
    candidates = build_candidates(items, {"C1": "at_risk", "C2": "exemplary"}, PLAYBOOK)
    grouped = {(c.customer_id, c.step.name): [i.invoice_id for i in c.invoices] for c in candidates}
    assert grouped == {
        ("C1", "recordatorio"): ["B", "A"],
        ("C1", "preventivo"): ["C"],
        ("C2", "consulta_servicio"): ["D"],
    }
    assert [c.step.name for c in candidates if c.customer_id == "C1"] == ["recordatorio", "preventivo"]


def test_paid_invoices_steps_already_taken_and_exemplary_before_due_are_left_out() -> None:
    items = [item("A", "C1", 2, amount="0"), item("B", "C1", 3), item("C", "C2", -3)]
    candidates = build_candidates(items, {"C1": "occasional", "C2": "exemplary"}, PLAYBOOK, {("recordatorio", "B")})
    assert candidates == []


def test_a_customer_without_a_segment_is_treated_as_new() -> None:
    (candidate,) = build_candidates([item("A", "C9", -4)], {}, PLAYBOOK)
    assert candidate.segment == "new" and candidate.step.name == "preventivo"
