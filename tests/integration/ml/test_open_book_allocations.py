"""Scoring reads only the allocations the open book's figures use, and its figures do not change."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pandas as pd
import psycopg
import pytest
from marts_builder import AS_OF, build_marts, write_marts

from ml.features import (
    build_features,
    customer_features,
    load_allocations,
    load_invoice_history,
    load_open_book_allocations,
)

pytestmark = pytest.mark.integration


def test_the_open_books_allocations_give_the_same_features_and_customer_figures(fresh_db: str) -> None:
    marts = build_marts()
    # Part payments of open invoices, two of them on one day (their running sum is order-sensitive).
    open_ids = marts.invoices.loc[marts.invoices["settled_date"].isna(), "invoice_id"].tolist()[:12]
    part = [
        {"allocation_id": f"PP-{i}-{k}", "payment_id": f"PP-{i}-{k}", "invoice_id": invoice_id,
         "allocation_date": AS_OF - dt.timedelta(days=3 + i % 2), "amount": round(0.1 + 17.33 * (k + 1), 2)}
        for i, invoice_id in enumerate(open_ids) for k in range(2)
    ]  # fmt: skip
    marts = replace(marts, allocations=pd.concat([marts.allocations, pd.DataFrame(part)], ignore_index=True))
    write_marts(fresh_db, marts)
    with psycopg.connect(fresh_db) as conn:
        invoices = load_invoice_history(conn, AS_OF)
        every = load_allocations(conn, AS_OF)
        reduced = load_open_book_allocations(conn, AS_OF)
    assert 0 < len(reduced) < len(every)

    pd.testing.assert_frame_equal(
        build_features(invoices, AS_OF, allocations=reduced), build_features(invoices, AS_OF, allocations=every)
    )
    pd.testing.assert_frame_equal(
        customer_features(invoices, AS_OF, reduced), customer_features(invoices, AS_OF, every), check_exact=True
    )
    # The open items' paid amounts are there: some open invoice is part-paid on the marts.
    features = build_features(invoices, AS_OF, allocations=reduced)
    assert (features["open_amount_mxn"] < features["amount_mxn"]).any()
