"""Labels known at an instant, censoring, and the time split around the cutoff."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from ml_frames import D, behaviour_history, frame, invoice

from ml.labels import label_known_at, time_split

T = dt.date(2025, 3, 1)


def test_labels_are_late_on_time_known_late_or_censored_at_an_instant() -> None:
    rows = frame(
        [
            invoice("paid-late", "A", dt.date(2025, 1, 1), settled_after_due=3),
            invoice("paid-on-due-date", "A", dt.date(2025, 1, 1), settled_after_due=0),
            invoice("open-past-due", "A", dt.date(2025, 1, 1), settled_after_due=None),
            invoice("open-not-due", "A", dt.date(2025, 2, 15), settled_after_due=None),
            invoice("settled-after-t-but-due-before", "A", dt.date(2025, 1, 10), settled_after_due=40),
            invoice("settled-after-t-not-due-at-t", "A", dt.date(2025, 2, 20), settled_after_due=-5),
            invoice("issued-after-t", "A", dt.date(2025, 3, 5), settled_after_due=0),
        ]
    )
    labels = label_known_at(rows, T).to_dict()
    assert labels["paid-late"] == 1.0 and labels["paid-on-due-date"] == 0.0
    assert labels["open-past-due"] == 1.0
    assert labels["settled-after-t-but-due-before"] == 1.0  # it was already overdue at T
    assert pd.isna(labels["open-not-due"]) and pd.isna(labels["settled-after-t-not-due-at-t"])  # censored
    assert pd.isna(labels["issued-after-t"])


def test_no_test_invoice_is_issued_before_the_cutoff_and_training_is_older_than_cutoff_minus_horizon() -> None:
    history = behaviour_history()
    split = time_split(history, D, horizon_days=90)
    assert split.cutoff == D - dt.timedelta(days=120)
    assert len(split.train) > 100 and len(split.test) > 50
    assert (split.test["issue_date"] >= pd.Timestamp(split.cutoff)).all()
    assert (split.train["issue_date"] < pd.Timestamp(split.cutoff - dt.timedelta(days=90))).all()
    assert set(split.train["invoice_id"]).isdisjoint(split.test["invoice_id"])


def test_training_labels_use_nothing_after_the_cutoff() -> None:
    history = behaviour_history()
    # No horizon: invoices issued just before the cutoff are in play, some of them censored.
    split = time_split(history, D, horizon_days=0)
    cutoff = pd.Timestamp(split.cutoff)
    # Rewrite every outcome after the cutoff: all of them settled the day after it.
    rewritten = history.copy()
    after = rewritten["settled_date"].isna() | (pd.to_datetime(rewritten["settled_date"]) > cutoff)
    rewritten.loc[after, "settled_date"] = split.cutoff + dt.timedelta(days=1)
    again = time_split(rewritten, D, horizon_days=0)
    pd.testing.assert_frame_equal(again.train, split.train)
    assert again.test["late"].tolist() != split.test["late"].tolist()  # the rewrite did change outcomes


def test_invoices_open_and_not_yet_due_at_the_cutoff_are_left_out_of_training() -> None:
    history = frame(
        [
            invoice(f"I{k}", "A", dt.date(2024, 1, 1) + dt.timedelta(days=5 * k), terms=400, settled_after_due=-1)
            for k in range(10)
        ]
    )
    split = time_split(history, D, cutoff=dt.date(2025, 1, 1), horizon_days=90)
    # Due in 400 days: at the cutoff they are open and not due yet — censored, not labelled on time.
    assert split.train.empty


def test_invoices_open_and_not_yet_due_at_as_of_are_left_out_of_the_test_set() -> None:
    rows = [
        invoice("due-later", "A", D - dt.timedelta(days=10), settled_after_due=None),
        invoice("overdue", "A", D - dt.timedelta(days=60), settled_after_due=None),
    ]
    split = time_split(frame(rows), D)
    assert list(split.test["invoice_id"]) == ["overdue"] and list(split.test["late"]) == [1.0]
