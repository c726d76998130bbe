"""Each document rule on a hand-made book: raised when the pattern is there, silent when not."""

from __future__ import annotations

import datetime as dt

from book_builder import AS_OF, book, instant, invoice

from cartera.anomalies import rules_documents as rules

D = dt.date


def test_a_second_invoice_of_the_same_amount_within_a_week_is_a_duplicate() -> None:
    found = rules.duplicate_invoices(book(invoices=[
        invoice("1", "C1", D(2026, 5, 4), 1234.56), invoice("2", "C1", D(2026, 5, 7), 1234.56),
        invoice("3", "C2", D(2026, 5, 7), 1234.56),  # another customer
        invoice("4", "C1", D(2026, 5, 25), 1234.56),  # 18 days later: a repeat order
    ]))  # fmt: skip

    assert [(f.entity_id, f.facts) for f in found] == [("2", ("1", "2"))]
    assert found[0].severity == "high" and "1,234.56 MXN" in found[0].reasons[0].en


def test_a_reused_folio_or_cfdi_uuid_is_a_duplicate_whatever_the_amount() -> None:
    found = rules.duplicate_invoices(book(invoices=[
        invoice("1", "C1", D(2026, 1, 4), 100.0), invoice("2", "C1", D(2026, 4, 7), 250.0, cfdi_uuid="UUID-1"),
        invoice("3", "C2", D(2026, 4, 9), 300.0, invoice_number="INV/1"),
    ]))  # fmt: skip

    assert sorted(f.entity_id for f in found) == ["2", "3"]


def test_an_invoice_posted_weeks_after_its_issue_date_is_backdated_unless_loaded_in_bulk() -> None:
    found = rules.backdated_invoices(book(invoices=[
        invoice("1", "C1", D(2026, 3, 20), 10.0, first_seen=instant(D(2026, 4, 15))),
        invoice("2", "C1", D(2026, 4, 10), 10.0, first_seen=instant(D(2026, 4, 12))),  # two days: ordinary
        invoice("3", "C1", D(2026, 1, 10), 10.0, first_seen=instant(D(2026, 5, 1)), seen_live=False),
    ]))  # fmt: skip

    assert [(f.entity_id, f.severity) for f in found] == [("1", "high")]  # and in an earlier month
    assert "26 days earlier" in found[0].reasons[0].en


def test_an_invoice_whose_due_date_moved_after_posting_is_edited() -> None:
    v = {"customer_id": "C1", "issue_date": D(2026, 3, 1), "total_amount": 500.0}
    found = rules.edited_invoices(book(invoice_versions=[
        {**v, "invoice_id": "1", "due_date": D(2026, 3, 31), "updated_at": instant(D(2026, 3, 1))},
        {**v, "invoice_id": "1", "due_date": D(2026, 3, 31), "updated_at": instant(D(2026, 3, 20))},  # paid: same values
        {**v, "invoice_id": "1", "due_date": D(2026, 4, 30), "updated_at": instant(D(2026, 4, 2))},
        {**v, "invoice_id": "2", "due_date": D(2026, 3, 31), "updated_at": instant(D(2026, 3, 1))},
        {**v, "invoice_id": "2", "due_date": D(2026, 3, 31), "updated_at": instant(D(2026, 3, 25))},
    ]))  # fmt: skip

    assert [(f.entity_id, f.day) for f in found] == [("1", D(2026, 4, 2))]
    assert "Due date changed from 2026-03-31 to 2026-04-30" in found[0].reasons[0].en


def test_a_credit_note_on_an_invoice_paid_in_full_is_raised_and_one_before_payment_is_not() -> None:
    found = rules.credit_notes_after_payment(book(
        invoices=[invoice("1", "C1", D(2026, 3, 1), 1000.0), invoice("2", "C1", D(2026, 3, 1), 1000.0)],
        allocations=[
            {"allocation_id": "A1", "payment_id": "P1", "invoice_id": "1", "amount": 1000.0, "allocation_date": D(2026, 4, 1)},
            {"allocation_id": "A2", "payment_id": "P2", "invoice_id": "2", "amount": 600.0, "allocation_date": D(2026, 4, 1)},
        ],
        credit_notes=[
            {"credit_note_id": "N1", "customer_id": "C1", "invoice_id": "1", "issue_date": D(2026, 4, 6), "currency": "MXN",
             "total_amount": 1000.0, "total_mxn": 1000.0},
            {"credit_note_id": "N2", "customer_id": "C1", "invoice_id": "2", "issue_date": D(2026, 4, 6), "currency": "MXN",
             "total_amount": 400.0, "total_mxn": 400.0},
        ],
    ))  # fmt: skip

    assert [(f.entity_id, f.facts) for f in found] == [("N1", ("N1", "1"))]
    assert "paid in full 5 days earlier" in found[0].reasons[0].en


def _payment(pid: str, status: str, day: dt.date, at: dt.date, amount: float = 5000.0) -> dict[str, object]:
    return {"payment_id": pid, "customer_id": "C1", "payment_date": day, "currency": "MXN", "amount": amount,
            "amount_mxn": amount, "status": status, "updated_at": instant(at)}  # fmt: skip


def test_a_payment_cancelled_after_it_was_applied_is_a_reversal_but_a_bounced_cheque_is_not() -> None:
    found = rules.reversed_payments(book(
        payment_versions=[
            _payment("P1", "posted", D(2026, 4, 1), D(2026, 4, 1)), _payment("P1", "cancel", D(2026, 4, 1), D(2026, 4, 20)),
            _payment("P2", "posted", D(2026, 4, 1), D(2026, 4, 1)), _payment("P2", "cancel", D(2026, 4, 1), D(2026, 4, 4)),
        ],
        allocations=[{"allocation_id": "A1", "payment_id": "P1", "invoice_id": "9", "amount": 5000.0,
                      "allocation_date": D(2026, 4, 1)}],
    ))  # fmt: skip

    assert [(f.entity_id, f.day) for f in found] == [("P1", D(2026, 4, 20))]


def test_cash_left_unapplied_for_weeks_is_raised_but_not_yesterdays_or_an_overpayment() -> None:
    found = rules.unapplied_cash(book(
        payment_versions=[
            _payment("P1", "posted", D(2026, 4, 1), D(2026, 4, 1)),
            _payment("P2", "posted", AS_OF - dt.timedelta(days=2), AS_OF - dt.timedelta(days=2)),
            _payment("P3", "posted", D(2026, 4, 1), D(2026, 4, 1)),
        ],
        allocations=[{"allocation_id": "A3", "payment_id": "P3", "invoice_id": "9", "amount": 4800.0,
                      "allocation_date": D(2026, 4, 1)}],
    ))  # fmt: skip

    assert [f.entity_id for f in found] == ["P1"]
    assert "5,000.00 MXN not applied" in found[0].reasons[0].en
