"""The evaluation book: each anomaly type injected at the asked rate with its labels kept aside,
deterministically, and the default book untouched."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from cartera.synthetic.anomalies import KINDS, MIN_PER_TYPE
from cartera.synthetic.book_options import BookOptions
from cartera.synthetic.company import build_company
from cartera.synthetic.schema import COLUMNS
from cartera.synthetic.summary import GenerationParams

PARAMS = GenerationParams(seed=3, customers=120, months=12, as_of=dt.date(2026, 5, 31))


def test_the_default_book_has_no_labels_and_is_unchanged_by_the_option_set_to_zero() -> None:
    default = build_company(PARAMS)
    assert default.extras is None
    assert build_company(PARAMS, BookOptions(anomaly_rate=0.0)) == default


def test_every_type_is_injected_at_least_the_minimum_with_labels_aside_and_the_same_twice() -> None:
    options = BookOptions(anomaly_rate=0.005, history=True)
    company = build_company(PARAMS, options)
    assert company.extras is not None
    counts = Counter(label.kind for label in company.extras.labels)

    assert set(counts) == set(KINDS) and min(counts.values()) >= MIN_PER_TYPE
    assert all(len(row) == len(COLUMNS[t]) for t, rows in company.tables.items() for row in rows)
    assert "anomaly" not in " ".join(COLUMNS)  # the ERP tables carry no label
    again = build_company(PARAMS, options)
    assert again.tables == company.tables and again.extras == company.extras


def test_an_injected_duplicate_copies_an_existing_invoice_of_the_same_customer() -> None:
    company = build_company(PARAMS, BookOptions(anomaly_rate=0.005))
    assert company.extras is not None
    moves = {row[0]: dict(zip(COLUMNS["account_move"], row, strict=True)) for row in company.tables["account_move"]}
    for label in [lb for lb in company.extras.labels if lb.kind == "duplicate_invoice"]:
        dup = moves[int(label.entity_id)]
        twins = [m for m in moves.values() if m["id"] != dup["id"] and m["partner_id"] == dup["partner_id"]
                 and m["amount_total"] == dup["amount_total"] and m["move_type"] == "out_invoice"]  # fmt: skip
        assert twins and 0 <= (dup["invoice_date"] - twins[0]["invoice_date"]).days <= 5
