"""The rules on customers and people, each on a hand-made case and its near miss."""

from __future__ import annotations

import datetime as dt

from book_builder import AS_OF, book, instant

from cartera.anomalies import rules_people as rules
from cartera.anomalies.book import key_of

D = dt.date


def _contact(customer: str, email: str, at: dt.datetime) -> dict[str, object]:
    return {"contact_id": f"K{customer}", "customer_id": customer, "email_key": key_of(email),
            "domain_key": key_of(email.split("@")[1]), "updated_at": at}  # fmt: skip


def test_an_email_moved_to_another_domain_days_before_a_payment_request_is_raised() -> None:
    found = rules.contact_changed_before_request(book(
        contact_versions=[
            _contact("C1", "ana@example.mx", instant(D(2025, 1, 1))),
            _contact("C1", "ana.pagos@example.net", instant(D(2026, 5, 1))),  # another domain
            _contact("C2", "luis@example.mx", instant(D(2025, 1, 1))),
            _contact("C2", "pagos@example.mx", instant(D(2026, 5, 1))),  # same company, new person
            _contact("C3", "eva@example.mx", instant(D(2025, 1, 1))),
            _contact("C3", "eva@example.com", instant(D(2026, 3, 1))),  # no request in the next 7 days
        ],
        requests=[{"customer_id": c, "requested_at": instant(D(2026, 5, 3))} for c in ("C1", "C2", "C3")],
    ))  # fmt: skip

    assert [(f.entity_id, f.severity) for f in found] == [("C1", "high")]
    assert "48 hours before a payment request" in found[0].reasons[0].en
    assert "example" not in found[0].reasons[0].en  # no address in the alert


def _customer(cid: str, terms: int, limit: float, at: dt.date) -> dict[str, object]:
    return {"customer_id": cid, "credit_terms_days": terms, "credit_limit": limit, "credit_limit_currency": "MXN",
            "updated_at": instant(at)}  # fmt: skip


def test_terms_stretched_or_a_limit_multiplied_is_raised_but_a_review_is_not() -> None:
    found = rules.terms_changed(book(customer_versions=[
        _customer("C1", 30, 100_000, D(2025, 1, 1)), _customer("C1", 90, 100_000, D(2026, 4, 1)),
        _customer("C2", 30, 100_000, D(2025, 1, 1)), _customer("C2", 30, 400_000, D(2026, 4, 1)),
        _customer("C3", 30, 100_000, D(2025, 1, 1)), _customer("C3", 60, 130_000, D(2026, 4, 1)),
    ]))  # fmt: skip

    assert {f.entity_id: f.reasons[0].en for f in found} == {
        "C1": "Credit terms from 30 to 90 days",
        "C2": "Credit limit multiplied by 4.0",
    }


def test_one_collector_opening_forty_holds_in_a_day_is_raised_and_ordinary_days_are_not() -> None:
    log = []
    for n in range(20):  # two holds a day for twenty weekdays
        day = AS_OF - dt.timedelta(days=n)
        log += [{"recorded_by": "cobrador1", "recorded_at": instant(day, 16), "kind": "hold", "customer_id": "C1"}] * 2
    log += [{"recorded_by": "cobrador2", "recorded_at": instant(AS_OF, 16), "kind": "hold", "customer_id": "C1"}] * 40
    log += [{"recorded_by": "cobrador1", "recorded_at": instant(AS_OF, 16), "kind": "call", "customer_id": "C1"}] * 40
    found = rules.collector_bulk_actions(book(collector_activity=log))

    assert [f.entity_id for f in found] == [f"cobrador2:{AS_OF.isoformat()}"]


def test_a_customer_presumed_or_definitive_on_the_69b_list_is_raised_and_a_cleared_one_is_not() -> None:
    listing = [
        {
            "rfc": "AAA010101AA1",
            "situation": "Definitivo",
            "presumed_published": D(2024, 1, 5),
            "list_published": D(2026, 5, 20),
        },
        {
            "rfc": "BBB010101BB2",
            "situation": "Desvirtuado",
            "presumed_published": D(2024, 1, 5),
            "list_published": D(2026, 5, 20),
        },
        {
            "rfc": "CCC010101CC3",
            "situation": "Presunto",
            "presumed_published": D(2025, 1, 5),
            "list_published": D(2026, 4, 20),
        },
    ]  # C3 was presumed on an older list; the latest one no longer names it
    found = rules.sat_69b_listed(book(
        sat_69b=listing,
        customer_rfcs=[{"customer_id": "C1", "rfc": "aaa010101aa1 "}, {"customer_id": "C2", "rfc": "BBB010101BB2"},
                       {"customer_id": "C3", "rfc": "CCC010101CC3"}],
    ))  # fmt: skip

    assert [(f.entity_id, f.severity) for f in found] == [("C1", "critical")]
    assert "AAA010101AA1" not in found[0].reasons[0].text()
