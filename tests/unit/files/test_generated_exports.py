"""The generator's book written the way a Mexican accounting system exports it (Latin-1, ';', dd/mm/yyyy,
decimal comma with thousands points, '$', a title, a total row) reads back to the very same invoices,
and the backtest of that file gives the same figures as the backtest of the plain CSV."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

from cartera.sources.files import read_invoice_file
from cartera.sources.files.backtest_frame import read_invoice_export
from cartera.synthetic.export import spanish_export
from ml.backtest.inputs import prepare_input
from ml.backtest.run import BacktestOptions, run_backtest
from tests.unit.ml.backtest_frames import generated_export


def test_a_spanish_style_export_reads_back_to_the_same_invoices(tmp_path: Path) -> None:
    book = generated_export(customers=30, months=12)
    parsed = read_invoice_file(spanish_export(book, tmp_path / "saldos.csv"))
    assert parsed.rejects == () and parsed.skipped == {"total rows": [len(book) + 4]}
    got = parsed.invoices
    assert len(got) == len(book)
    assert list(got["invoice_id"]) == [f"F-{i}" for i in book["invoice_id"]]
    assert list(got["amount"]) == [Decimal(str(a)).quantize(Decimal("0.01")) for a in book["amount"]]
    assert list(got["currency"]) == list(book["currency"])
    expected_paid = pd.to_datetime(book["paid_date"]).astype("datetime64[ns]")
    assert got["paid_date"].equals(expected_paid.rename("paid_date"))
    assert got["issue_date"].dt.date.tolist() == [dt.date.fromisoformat(str(d)) for d in book["issue_date"]]


def test_the_backtest_of_the_spanish_export_equals_the_backtest_of_the_plain_csv(tmp_path: Path) -> None:
    book = generated_export(customers=30, months=12)
    plain = tmp_path / "plain.csv"
    book.drop(columns=["disputed", "dispute_opened_date"]).to_csv(plain, index=False)
    spanish = spanish_export(book, tmp_path / "saldos.csv")
    options = BacktestOptions(n_bootstrap=20)
    figures = [
        run_backtest(prepare_input(read_invoice_export(path)), options).figures["models"] for path in (plain, spanish)
    ]
    for model in ("xgboost", "prior_late_rate", "logistic_regression"):
        assert figures[1][model]["roc_auc"]["value"] == pytest.approx(figures[0][model]["roc_auc"]["value"], abs=1e-9)
