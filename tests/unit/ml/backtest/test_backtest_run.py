"""The backtest: the pipeline's own evaluation on an export, honest splits, censoring, leakage."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from cartera.sources.files.backtest_frame import read_invoice_export
from ml.backtest.inputs import prepare_input
from ml.backtest.run import BacktestOptions, BacktestResult, RandomSplitRefusedError, backtest_features, run_backtest
from ml.labels import time_split
from ml.recipe import train_model
from tests.unit.ml.backtest_frames import generated_export
from tests.unit.ml.ml_frames import behaviour_history, invoice

FAST = {"n_bootstrap": 20}
CUTOFF, END = dt.date(2025, 4, 1), dt.date(2025, 6, 30)


def _book() -> pd.DataFrame:
    """Good and bad payers over a year, in the canonical shape of an export."""
    history = behaviour_history(customers=12, start=dt.date(2024, 7, 1), end=END)
    return history.rename(columns={"total_amount_mxn": "amount_mxn", "settled_date": "paid_date"})


@pytest.fixture(scope="module")
def from_csv(tmp_path_factory: pytest.TempPathFactory) -> tuple[pd.DataFrame, BacktestResult]:
    """The generator's export written to CSV and read back, backtested with the pipeline's features."""
    path = tmp_path_factory.mktemp("export") / "invoices.csv"
    generated_export().to_csv(path, index=False)
    frame = read_invoice_export(path)
    return frame, run_backtest(prepare_input(frame, use_dated_fields=False), BacktestOptions(**FAST))


def test_the_backtest_of_an_export_matches_the_pipelines_own_evaluation(
    from_csv: tuple[pd.DataFrame, BacktestResult],
) -> None:
    frame, result = from_csv
    split = result.figures["split"]
    pipeline = train_model(
        prepare_input(frame, use_dated_fields=False).history,
        dt.date.fromisoformat(split["as_of"]),
        cutoff=dt.date.fromisoformat(split["cutoff"]),
    ).metrics
    models, counts = result.figures["models"], result.figures["counts"]
    assert models["xgboost"]["roc_auc"]["value"] == pytest.approx(pipeline["auc_test"], abs=1e-4)
    assert models["prior_late_rate"]["roc_auc"]["value"] == pytest.approx(
        pipeline["auc_baseline_prior_late_rate"], abs=1e-4
    )
    assert (counts["n_train"], counts["n_test"]) == (pipeline["n_train"], pipeline["n_test"])
    # The default split: the last quarter of the invoices is the test period.
    issued = pd.to_datetime(frame["issue_date"])
    assert (issued < pd.Timestamp(split["cutoff"])).mean() == pytest.approx(0.75, abs=0.02)


def test_test_invoices_whose_outcome_is_unknown_at_the_end_are_censored_not_labelled() -> None:
    book = _book()
    book = book[pd.to_datetime(book["issue_date"]) < pd.Timestamp(END - dt.timedelta(days=40))]
    not_yet_due = invoice("OPEN-NOT-DUE", "C01", END - dt.timedelta(days=5), terms=30, settled_after_due=None)
    overdue = invoice("OPEN-OVERDUE", "C01", END - dt.timedelta(days=45), terms=30, settled_after_due=None)
    rows = pd.DataFrame([not_yet_due, overdue]).rename(
        columns={"total_amount_mxn": "amount_mxn", "settled_date": "paid_date"}
    )
    result = run_backtest(
        prepare_input(pd.concat([book, rows], ignore_index=True)),
        BacktestOptions(cutoff=CUTOFF, as_of=END, **FAST),
    )
    labelled = result.predictions.set_index("invoice_id")["late"]
    assert "OPEN-NOT-DUE" not in labelled.index  # may still be paid on time: not labelled
    assert labelled["OPEN-OVERDUE"] == 1.0  # open past its due date: already known to be late
    counts = result.figures["counts"]
    assert counts["test_censored"] >= 1 and counts["test_open_past_due_labelled_late"] >= 1
    assert counts["test_window"] == counts["n_test"] + counts["test_censored"]


def test_rows_dated_after_the_cutoff_do_not_change_what_the_model_learned_from() -> None:
    book = _book()
    before = book[pd.to_datetime(book["issue_date"]) < pd.Timestamp(CUTOFF)]
    later = book[pd.to_datetime(book["issue_date"]) >= pd.Timestamp(CUTOFF)]
    # The same invoices known up to the cutoff: their outcomes after the cutoff are not known yet.
    known = before.assign(
        paid_date=before["paid_date"].where(pd.to_datetime(before["paid_date"]) <= pd.Timestamp(CUTOFF))
    )
    full = pd.concat([before, later], ignore_index=True)

    early = backtest_features(prepare_input(known)).sort_index()
    with_future = backtest_features(prepare_input(full)).loc[early.index]
    pd.testing.assert_frame_equal(early, with_future)

    # And the training side (invoices and their labels as known at the cutoff) is the same.
    small = time_split(prepare_input(pd.concat([known, later], ignore_index=True)).history, END, cutoff=CUTOFF)
    large = time_split(prepare_input(full).history, END, cutoff=CUTOFF)
    pd.testing.assert_frame_equal(small.train, large.train)


def test_a_random_split_is_refused_unless_asked_for_and_then_labelled(tmp_path: Path) -> None:
    data = prepare_input(_book())
    with pytest.raises(RandomSplitRefusedError, match="--allow-random-split"):
        run_backtest(data, BacktestOptions(kind="random", **FAST))
    result = run_backtest(data, BacktestOptions(kind="random", allow_random_split=True, **FAST))
    assert result.figures["split"]["kind"] == "random" and result.figures["split"]["honest"] is False
    assert any("RANDOM SPLIT" in w for w in result.warnings)
    from ml.backtest.report import render_markdown

    assert "RANDOM SPLIT" in render_markdown(result).split("## What this means")[0]


def test_rolling_origins_predict_each_month_with_a_model_trained_before_it() -> None:
    result = run_backtest(
        prepare_input(_book()), BacktestOptions(kind="rolling", cutoff=dt.date(2025, 5, 1), as_of=END, **FAST)
    )
    origins = result.figures["split"]["origins"]
    assert [o["cutoff"] for o in origins] == ["2025-05-01", "2025-06-01"]
    assert sum(o["n_test"] for o in origins) == result.figures["counts"]["n_test"] == len(result.predictions)
    issue = _book().set_index("invoice_id")["issue_date"].map(pd.Timestamp)
    for origin, rows in result.predictions.groupby("origin"):
        start = pd.Timestamp(str(origin))
        issued = issue.loc[rows["invoice_id"]]
        assert (issued >= start).all() and (issued < start + pd.offsets.MonthBegin(1)).all()
