from __future__ import annotations

from learning_builders import candidate, playbook

from cartera.learning.preventive import plan


def _codes(notes: list) -> list[str]:  # type: ignore[type-arg]
    return [n.code for n in notes]


def test_a_low_risk_customer_gets_nothing_before_the_due_date() -> None:
    kept, notes = plan([candidate("new", -3, p_late=0.1)], playbook())
    assert kept == []
    assert _codes(notes) == ["predue_low_risk"]


def test_a_pre_due_reminder_needs_enough_expected_late_amount() -> None:
    small, small_notes = plan([candidate("at_risk", -3, amount=5_000, p_late=0.6)], playbook())
    large, large_notes = plan([candidate("at_risk", -3, amount=80_000, p_late=0.6)], playbook())
    assert small == [] and _codes(small_notes) == ["predue_not_worth"]
    assert len(large) == 1 and _codes(large_notes) == ["predue_justified"]


def test_an_exemplary_payer_late_once_gets_the_service_check_first() -> None:
    kept, notes = plan([candidate("exemplary", 4, p_late=0.05)], playbook())
    assert [c.step.name for c in kept] == ["consulta_servicio"]
    assert _codes(notes) == ["service_tone_first"]


def test_a_low_risk_slip_waits_a_few_days_before_its_first_reminder() -> None:
    early, notes = plan([candidate("occasional", 1, p_late=0.1)], playbook())
    later, _ = plan([candidate("occasional", 3, p_late=0.1)], playbook())
    assert early == [] and _codes(notes) == ["low_risk_grace"]
    assert [c.step.name for c in later] == ["recordatorio"]


def test_a_chronic_late_payer_reaches_a_collector_from_fifteen_days_late() -> None:
    before, _ = plan([candidate("chronic", 12)], playbook())
    after, notes = plan([candidate("chronic", 16)], playbook())
    assert [c.step.action for c in before] == ["message"]
    assert [c.step.name for c in after] == ["escalamiento"]
    assert _codes(notes) == ["chronic_early_collector"]


def test_an_invoice_already_with_a_collector_is_not_escalated_or_reminded_again() -> None:
    c = candidate("chronic", 20)
    kept, notes = plan([c], playbook(), covered={("escalamiento", c.invoices[0].invoice_id)})
    assert kept == [] and _codes(notes) == ["with_collector"]
