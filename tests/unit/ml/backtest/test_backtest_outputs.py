"""What a backtest hands back beyond the figures: the per-invoice CSV, the chosen model's record,
and rolling origins on a book whose every invoice is settled."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from ml.backtest.inputs import prepare_input
from ml.backtest.report import PREDICTIONS_NAME, write_report
from ml.backtest.run import BacktestOptions, BacktestResult, run_backtest
from ml.labels import label_known_at
from tests.unit.ml.backtest_frames import generated_export
from tests.unit.ml.ml_frames import behaviour_history

FAST = {"n_bootstrap": 20}
END = dt.date(2025, 6, 30)


@pytest.fixture(scope="module")
def generated() -> tuple[pd.DataFrame, BacktestResult]:
    frame = generated_export()
    # An innocently named column that is the outcome itself: it must never reach a model.
    known = label_known_at(prepare_input(frame).history, pd.to_datetime(frame["paid_date"]).max().date()).reset_index(
        drop=True
    )
    frame["risk_flag"] = known.fillna(0.0).to_numpy()
    return frame, run_backtest(prepare_input(frame), BacktestOptions(**FAST))


def test_the_per_invoice_csv_has_one_row_per_test_invoice_with_its_outcome_probability_and_dates(
    generated: tuple[pd.DataFrame, BacktestResult], tmp_path: Path
) -> None:
    _, result = generated
    paths = write_report(result, tmp_path)
    rows = pd.read_csv(paths["predictions"], dtype={"invoice_id": str})
    assert paths["predictions"].name == PREDICTIONS_NAME
    assert list(rows.columns) == [
        "invoice_id",
        "origin",
        "actual_late",
        "actual_payment_date",
        "model",
        "p_late",
        "predicted_payment_date",
        "predicted_payment_date_lower",
        "predicted_payment_date_upper",
    ]
    assert len(rows) == result.figures["counts"]["n_test"] and rows["invoice_id"].is_unique
    labels = result.predictions.set_index("invoice_id")["late"]
    assert (rows.set_index("invoice_id")["actual_late"] == labels.loc[rows["invoice_id"]].to_numpy()).all()
    assert rows["p_late"].between(0, 1).all()
    dated = rows.dropna(subset=["predicted_payment_date"])
    assert len(dated) > 0
    assert (dated["predicted_payment_date_lower"] <= dated["predicted_payment_date"]).all()
    assert (dated["predicted_payment_date"] <= dated["predicted_payment_date_upper"]).all()
    assert "customer_name" not in rows.columns and "amount" not in rows.columns


def test_a_column_equal_to_the_label_never_becomes_a_feature_of_any_candidate(
    generated: tuple[pd.DataFrame, BacktestResult],
) -> None:
    _, result = generated
    decisions = {p["name"]: p["use"] for p in result.figures["features"]["post_issuance"]}
    assert decisions["risk_flag"] == "left_out"
    assert any("risk_flag" in w and "outcome" in w for w in result.warnings)
    for origin in result.figures["split"]["origins"]:
        assert "risk_flag" not in origin["features"]


def test_the_report_says_which_model_won_and_why_with_both_windows_figures(
    generated: tuple[pd.DataFrame, BacktestResult], tmp_path: Path
) -> None:
    _, result = generated
    report = write_report(result, tmp_path)["report"].read_text()
    origin = result.figures["split"]["origins"][0]
    assert origin["champion"] in ("prior_late_rate", "logistic_regression", "xgboost")
    assert "## The model chosen for this book" in report and origin["reason"] in report
    assert "| candidate | validation ROC-AUC" in report and "## Expected payment dates" in report
    selection = result.figures["selection"]
    assert set(selection["candidates_test"]) == {"prior_late_rate", "logistic_regression", "xgboost"}
    assert selection["auc_difference_vs_prior_late_rate"]["champion_minus_prior_late_rate"]["value"] is not None


def test_rolling_origins_on_a_fully_settled_book_skip_the_months_without_test_invoices() -> None:
    book = behaviour_history(customers=12, start=dt.date(2024, 7, 1), end=END)
    # Every invoice settled (a book exported long after its last sale): the last origins have none.
    open_rows = book["settled_date"].isna()
    book.loc[open_rows, "settled_date"] = pd.to_datetime(book.loc[open_rows, "due_date"]) + pd.Timedelta(days=3)
    book = book.rename(columns={"total_amount_mxn": "amount_mxn", "settled_date": "paid_date"})
    as_of = dt.date(2025, 8, 31)
    result = run_backtest(
        prepare_input(book), BacktestOptions(kind="rolling", cutoff=dt.date(2025, 5, 1), as_of=as_of, **FAST)
    )
    origins = {o["cutoff"]: o["n_test"] for o in result.figures["split"]["origins"]}
    assert list(origins) == ["2025-05-01", "2025-06-01", "2025-07-01", "2025-08-01"]
    assert origins["2025-07-01"] == origins["2025-08-01"] == 0
    assert origins["2025-05-01"] + origins["2025-06-01"] == len(result.predictions) > 0
