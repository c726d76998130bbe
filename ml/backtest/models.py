"""The per-book models of one backtest split: the champion chosen on the training side's latest
window and calibrated there (ml/selection.py, ml/calibration.py), and the days-to-pay regressor
with its conformal interval (ml/payment_regressor.py), scored on the split's test invoices.

Everything here is fitted on the split's training side only (invoices issued before the cutoff −
horizon, labels as known at the cutoff); the test invoices are read once, to be scored.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ml.history import LATE_SHARE_HALF_LIVES, decayed_share_name
from ml.labels import TimeSplit
from ml.payment_regressor import PaymentRegressor, fit_payment_regressor
from ml.selection import CANDIDATES, Selection, select_model

HELPERS = ("cust_late_share", "cust_median_days_late", "cust_mean_days_late", "due_date", "issue_date")


@dataclass(frozen=True)
class SplitModels:
    """The split's champion and regressor, and their columns for the test rows."""

    selection: Selection
    regressor: PaymentRegressor | None
    columns: pd.DataFrame  # aligned with the test rows
    origin: dict[str, Any]


def training_frame(features: pd.DataFrame, side: pd.DataFrame, names: Sequence[str]) -> pd.DataFrame:
    """The side's feature rows (names, the decayed late shares and the helpers) with ``late``."""
    wanted = list(dict.fromkeys([*names, *(decayed_share_name(h) for h in LATE_SHARE_HALF_LIVES), *HELPERS]))
    return features.loc[side["invoice_id"], wanted].assign(late=side["late"].to_numpy())


def fit_split_models(
    split: TimeSplit, features: pd.DataFrame, names: Sequence[str], settled_dates: pd.Series
) -> SplitModels:
    """Select, calibrate and fit the regressor on ``split.train``; score ``split.test``.

    ``settled_dates``: settled_date by invoice_id (the whole history; only dates on or before the
    split's cutoff are read for training).
    """
    train = training_frame(features, split.train, names)
    test = training_frame(features, split.test, names)
    issue = pd.Series(split.train["issue_date"].to_numpy(), index=train.index)
    selection = select_model(train, issue, names)

    settled = settled_dates.reindex(train.index)
    known = settled.notna() & (settled <= pd.Timestamp(split.cutoff))
    days_late = (settled[known] - train.loc[known, "due_date"]).dt.days.astype("float64")
    regressor = fit_payment_regressor(train[known], days_late, issue[known], selection.feature_names)

    columns = pd.DataFrame(index=test.index)
    columns["champion"] = selection.champion
    raw = selection.predict_raw(test) if len(test) else np.zeros(0)
    columns["p_champion_raw"] = raw
    columns["p_champion"] = selection.calibrator.apply(raw) if len(test) else np.zeros(0)
    for kind in CANDIDATES:
        columns[f"p_candidate_{kind}"] = selection.predict_raw(test, kind) if len(test) else np.zeros(0)
    fallback_mean = float(days_late.mean()) if len(days_late) else 0.0
    customer_mean = test["cust_mean_days_late"].fillna(fallback_mean).round()
    columns["customer_mean_payment_date"] = test["due_date"] + pd.to_timedelta(customer_mean, unit="D")
    if regressor is not None and len(test):
        dates = regressor.predict_dates(test)
        columns["regressor_payment_date"] = dates["expected"].to_numpy()
        columns["payment_date_lower"] = dates["lower"].to_numpy()
        columns["payment_date_upper"] = dates["upper"].to_numpy()
    else:
        for column in ("regressor_payment_date", "payment_date_lower", "payment_date_upper"):
            columns[column] = pd.Series(pd.NaT, index=test.index, dtype="datetime64[ns]")
    origin = {
        "champion": selection.champion,
        "reason": selection.reason,
        "half_life_days": selection.half_life_days,
        "features": list(selection.feature_names),
        "calibration": selection.calibrator.to_json() | {"params": None},
        "validation": selection.validation,
        "payment_regressor": None if regressor is None else regressor.to_json(),
    }
    return SplitModels(selection, regressor, columns, origin)
