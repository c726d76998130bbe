"""The open book's customer history (one date, open items excluded) equals the self-join's, bit for bit."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from ml.features import normalise_allocations, normalise_history
from ml.history import PAIR_BUDGET, _joined_history, _open_exclusions, customer_history

AS_OF = pd.Timestamp("2025-06-30")


def _book(seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Customers with settled, open, overdue, part-paid and future invoices; allocations with
    several on one day (their sums are order-sensitive floats)."""
    rng = np.random.default_rng(seed)
    rows, allocations = [], []
    for c in range(40):
        for k in range(int(rng.integers(1, 30))):
            issued = dt.date(2024, 1, 1) + dt.timedelta(days=int(rng.integers(0, 560)))
            due = issued + dt.timedelta(days=int(rng.choice([0, 15, 30, 60])))
            settled = due + dt.timedelta(days=int(rng.integers(-10, 90))) if rng.random() < 0.7 else None
            invoice_id = f"C{c:02d}-{k:02d}"
            amount = float(np.round(rng.uniform(10, 50_000), 2)) / 3.0
            rows.append((invoice_id, f"C{c:02d}", issued, due, "USD" if rng.random() < 0.2 else "MXN", amount, settled))
            for _ in range(int(rng.integers(0, 4))):
                day = issued + dt.timedelta(days=int(rng.integers(0, 5)))
                allocations.append((invoice_id, day, amount * rng.uniform(0.05, 0.4)))
    history = pd.DataFrame(
        rows,
        columns=["invoice_id", "customer_id", "issue_date", "due_date", "currency", "total_amount_mxn", "settled_date"],
    )
    history["first_invoice_date"] = history.groupby("customer_id")["issue_date"].transform("min")
    return normalise_history(history), normalise_allocations(
        pd.DataFrame(allocations, columns=["invoice_id", "allocation_date", "amount_mxn"])
    )


def _open_targets(history: pd.DataFrame) -> pd.DataFrame:
    issued = history["issue_date"] <= AS_OF
    open_ = issued & (history["settled_date"].isna() | (history["settled_date"] > AS_OF))
    chosen = history[open_]
    return pd.DataFrame(
        {
            "key": np.arange(len(chosen)),
            "customer_id": chosen["customer_id"].to_numpy(),
            "as_of": AS_OF,
            "exclude_invoice_id": chosen["invoice_id"].to_numpy(),
        }
    ).astype({"as_of": "datetime64[ns]"})


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("pair_budget", [PAIR_BUDGET, 2_000])
def test_open_book_history_equals_the_self_join_exactly(seed: int, pair_budget: int) -> None:
    history, allocs = _book(seed)
    targets = _open_targets(history)
    assert len(targets) > 50 and targets["customer_id"].duplicated().any()  # several open items a customer
    assert _open_exclusions(history, targets) is not None  # the shared-date path is the one under test

    shared = customer_history(history, targets, allocs, pair_budget=pair_budget)
    joined = _joined_history(history, targets, allocs, pair_budget)

    pd.testing.assert_frame_equal(shared, joined, check_exact=True)


def test_a_target_excluding_nothing_keeps_the_customers_open_items() -> None:
    history, allocs = _book(4)
    targets = _open_targets(history)
    targets.loc[targets.index[::3], "exclude_invoice_id"] = ""  # mixed: some exclude their invoice, some none

    shared = customer_history(history, targets, allocs)

    pd.testing.assert_frame_equal(shared, _joined_history(history, targets, allocs, PAIR_BUDGET), check_exact=True)
    first = shared.iloc[0]
    assert first["cust_n_open"] >= 1  # its own open invoice counts when it is not excluded


def test_targets_on_different_dates_or_excluding_a_settled_invoice_take_the_self_join() -> None:
    history, allocs = _book(5)
    targets = _open_targets(history)
    settled = history.loc[history["settled_date"] <= AS_OF].iloc[0]
    own = targets.index[targets["customer_id"] == settled["customer_id"]]
    mixed = targets.copy()
    if len(own):
        mixed.loc[own[0], "exclude_invoice_id"] = settled["invoice_id"]
    else:
        mixed.loc[0, ["customer_id", "exclude_invoice_id"]] = [settled["customer_id"], settled["invoice_id"]]
    dated = targets.assign(as_of=[AS_OF - pd.Timedelta(days=i % 3) for i in range(len(targets))]).astype(
        {"as_of": "datetime64[ns]"}
    )

    for case in (mixed, dated):
        assert _open_exclusions(history, case) is None
        pd.testing.assert_frame_equal(
            customer_history(history, case, allocs),
            _joined_history(history, case, allocs, PAIR_BUDGET),
            check_exact=True,
        )
