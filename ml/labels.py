"""Labels and the time split, with censoring.

Label "paid late" as known at an instant T (end of day T), grace 0 days:
- settled by T (``settled_date <= T``): late = ``settled_date > due_date``;
- open at T and already past due (``due_date < T``): late = 1 — the outcome is already known;
- open at T and not yet due: **censored** (NaN) — it may still be paid on time, so it is left out
  of the labelled set rather than labelled with what happened after T;
- issued after T: NaN (it did not exist).

Time split for a model trained on business date ``as_of`` with cutoff C and horizon H:
- train: invoices issued before ``C - H`` whose label is known at C (nothing after C is read:
  their features are as of their own issue dates, which are before C);
- test: invoices issued on or after C (and by as_of) whose label is known at as_of.
The horizon leaves time for most training invoices to reach their due date before C, so few are
censored and the training set is not biased toward early payers.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ml.features import normalise_history

DEFAULT_CUTOFF_DAYS = 120
DEFAULT_HORIZON_DAYS = 90


def label_known_at(history: pd.DataFrame, known_at: dt.date) -> pd.Series:
    """1.0 late, 0.0 on time, NaN unknown (censored or not issued) at ``known_at``; index = invoice_id."""
    frame = normalise_history(history)
    day = pd.Timestamp(known_at)
    settled = frame["settled_date"].notna() & (frame["settled_date"] <= day)
    late_settled = (frame["settled_date"] > frame["due_date"]).astype("float64")
    open_past_due = ~settled & (frame["due_date"] < day)
    label = np.where(settled, late_settled, np.where(open_past_due, 1.0, np.nan))
    label = np.where(frame["issue_date"] <= day, label, np.nan)
    return pd.Series(label, index=pd.Index(frame["invoice_id"], name="invoice_id"), name="late")


@dataclass(frozen=True)
class TimeSplit:
    """The labelled invoices on each side of the cutoff (frames: invoice_id, issue_date, late)."""

    cutoff: dt.date
    horizon_days: int
    train: pd.DataFrame
    test: pd.DataFrame


def time_split(
    history: pd.DataFrame, as_of: dt.date, *, cutoff: dt.date | None = None, horizon_days: int = DEFAULT_HORIZON_DAYS
) -> TimeSplit:
    """Train/test invoices for a model trained on ``as_of`` (cutoff defaults to as_of − 120 days)."""
    frame = normalise_history(history)
    cut = cutoff or as_of - dt.timedelta(days=DEFAULT_CUTOFF_DAYS)
    issue = frame.set_index("invoice_id")["issue_date"]
    at_cutoff = label_known_at(frame, cut)
    at_as_of = label_known_at(frame, as_of)
    train_ids = issue[(issue < pd.Timestamp(cut - dt.timedelta(days=horizon_days))) & at_cutoff.notna()].index
    test_ids = issue[(issue >= pd.Timestamp(cut)) & (issue <= pd.Timestamp(as_of)) & at_as_of.notna()].index

    def _side(ids: pd.Index, labels: pd.Series) -> pd.DataFrame:
        return pd.DataFrame(
            {"invoice_id": ids.to_numpy(), "issue_date": issue.loc[ids].to_numpy(), "late": labels.loc[ids].to_numpy()}
        )

    return TimeSplit(
        cutoff=cut, horizon_days=horizon_days, train=_side(train_ids, at_cutoff), test=_side(test_ids, at_as_of)
    )


def refit_set(history: pd.DataFrame, as_of: dt.date, *, horizon_days: int = DEFAULT_HORIZON_DAYS) -> pd.DataFrame:
    """What the stored model is refitted on: invoices issued before as_of − H, labels known at as_of."""
    frame = normalise_history(history)
    issue = frame.set_index("invoice_id")["issue_date"]
    labels = label_known_at(frame, as_of)
    ids = issue[(issue < pd.Timestamp(as_of - dt.timedelta(days=horizon_days))) & labels.notna()].index
    return pd.DataFrame(
        {"invoice_id": ids.to_numpy(), "issue_date": issue.loc[ids].to_numpy(), "late": labels.loc[ids].to_numpy()}
    )
