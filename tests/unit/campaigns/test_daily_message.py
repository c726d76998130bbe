"""One message per customer per day (cartera/campaigns/daily_message.py)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from cartera.campaigns.candidates import OpenItem, build_candidates
from cartera.campaigns.daily_message import firmest_step, merge_day
from cartera.campaigns.playbook import Segment, load_playbook

PLAYBOOK = load_playbook()
AS_OF = dt.date(2026, 12, 4)


def item(invoice_id: str, days: int, customer: str = "C1") -> OpenItem:
    due = AS_OF - dt.timedelta(days=days)
    return OpenItem(invoice_id, f"F-{invoice_id}", customer, due, "MXN", Decimal(100), Decimal(100), days, False)


def merged(items: list[OpenItem], segment: Segment, statement: list[OpenItem] | None = None):  # type: ignore[no-untyped-def]
    due = build_candidates(items, {"C1": segment}, PLAYBOOK)
    return merge_day(due, statement if statement is not None else items)


def test_the_issue_10_customer_gets_one_firm_statement_not_four_messages() -> None:
    # Two invoices in the firm range, one in the first week, one about to fall due: four steps.
    items = [item("A", 20), item("B", 12), item("C", 3), item("D", -2)]
    due = build_candidates(items, {"C1": "new"}, PLAYBOOK)
    assert {c.step.name for c in due} == {"recordatorio_firme", "recordatorio", "preventivo"}
    daily = merge_day(due, items)
    assert daily.candidate.step.name == "recordatorio_firme" and daily.candidate.step.tone == "firme"
    assert [i.invoice_id for i in daily.candidate.invoices] == ["A", "B", "C", "D"]  # oldest first
    assert daily.steps == ("recordatorio_firme", "preventivo", "recordatorio")
    assert set(daily.covered) == {
        ("recordatorio_firme", "A"), ("recordatorio_firme", "B"), ("recordatorio", "C"), ("preventivo", "D"),
    }  # fmt: skip


def test_the_statement_lists_open_invoices_whose_step_is_not_due_today() -> None:
    daily = merged([item("A", 3)], "occasional", statement=[item("A", 3), item("E", -20), item("F", 40)])
    assert {i.invoice_id for i in daily.candidate.invoices} == {"A", "E", "F"}
    assert daily.covered == (("recordatorio", "A"),)  # only the due step fired: F's steps stay for their day


def test_firm_wins_over_friendly_and_among_friendly_the_later_step_wins() -> None:
    steps = {s.name: s for s in PLAYBOOK.steps}
    assert firmest_step([steps["preventivo"], steps["recordatorio_firme"]]).name == "recordatorio_firme"
    assert firmest_step([steps["preventivo"], steps["recordatorio"]]).name == "recordatorio"
    assert firmest_step([steps["seguimiento_firme"], steps["recordatorio_firme"]]).name == "seguimiento_firme"
    with pytest.raises(ValueError):
        firmest_step([steps["escalamiento"]])


@pytest.mark.parametrize("days", [1, 5, 12, 30])
def test_an_exemplary_payer_late_once_gets_the_service_tone_never_the_firm_script(days: int) -> None:
    daily = merged([item("A", days)], "exemplary")
    assert daily.candidate.step.template == "consulta_servicio" and daily.candidate.step.tone == "amable"


def test_an_exemplary_payer_more_than_30_days_overdue_gets_the_firm_reminder() -> None:
    daily = merged([item("A", 31), item("B", 4)], "exemplary")
    assert daily.candidate.step.name == "seguimiento_firme" and daily.candidate.step.tone == "firme"


def test_steps_of_two_customers_are_never_merged() -> None:
    due = build_candidates([item("A", 3), item("B", 3, customer="C2")], {}, PLAYBOOK)
    with pytest.raises(ValueError):
        merge_day(due, [])
