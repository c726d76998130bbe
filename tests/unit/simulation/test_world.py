from __future__ import annotations

from cartera.simulation.world import build_world, rng_for


def test_the_same_seed_builds_the_same_world() -> None:
    first, second = build_world(3, 30, 40), build_world(3, 30, 40)
    assert [c.traits for c in first.customers] == [c.traits for c in second.customers]
    assert [(i.invoice_id, i.amount_mxn, i.pay_day) for i in first.invoices] == [
        (i.invoice_id, i.amount_mxn, i.pay_day) for i in second.invoices
    ]


def test_another_seed_builds_another_world() -> None:
    assert [c.traits for c in build_world(3, 30, 40).customers] != [c.traits for c in build_world(4, 30, 40).customers]


def test_a_customer_day_stream_does_not_depend_on_other_draws() -> None:
    assert (
        rng_for(1, "message", "C00001", "2026-01-05").random() == rng_for(1, "message", "C00001", "2026-01-05").random()
    )
    assert (
        rng_for(1, "message", "C00001", "2026-01-05").random() != rng_for(1, "message", "C00002", "2026-01-05").random()
    )


def test_the_past_is_settled_and_the_book_has_open_invoices_on_the_first_day() -> None:
    world = build_world(5, 60, 30)
    before = [i for i in world.invoices if i.issue < world.start]
    assert all(i.paid_on is None or i.paid_on < world.start for i in before)
    assert any(i.paid_on is None for i in before)
    assert any(i.paid_on is not None for i in before)
