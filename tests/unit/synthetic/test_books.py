"""Harder books: the default options change nothing; each option bends the book as it says."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from cartera.synthetic.book_options import BookOptions
from cartera.synthetic.company import build_company
from cartera.synthetic.export import invoice_export, styled_export
from cartera.synthetic.summary import GenerationParams

PARAMS = GenerationParams(seed=5, customers=40, months=12, as_of=dt.date(2025, 12, 31))


def _export(options: BookOptions | None = None, params: GenerationParams = PARAMS) -> pd.DataFrame:
    return invoice_export(build_company(params, options))


def _late_share(frame: pd.DataFrame, first: bool) -> float:
    issued = pd.to_datetime(frame["issue_date"])
    half = issued < issued.quantile(0.5)
    rows = frame[half if first else ~half]
    rows = rows[rows["paid_date"].notna()]
    return float((pd.to_datetime(rows["paid_date"]) > pd.to_datetime(rows["due_date"])).mean())


def test_default_options_build_the_same_company_as_no_options() -> None:
    assert build_company(PARAMS, BookOptions()) == build_company(PARAMS)


def test_a_downward_drift_lowers_the_late_share_of_the_later_invoices() -> None:
    plain, drifted = _export(), _export(BookOptions(late_drift=-0.6))
    assert _late_share(drifted, first=False) < _late_share(plain, first=False) - 0.05
    assert _late_share(drifted, first=True) == pytest.approx(_late_share(plain, first=True), abs=0.06)


def test_mixed_terms_give_one_customer_several_terms_from_the_mix() -> None:
    mix = {15: 0.25, 30: 0.25, 60: 0.25, 90: 0.25}
    frame = _export(BookOptions(payment_terms=mix, mixed_terms=True))
    terms = (pd.to_datetime(frame["due_date"]) - pd.to_datetime(frame["issue_date"])).dt.days
    assert set(terms) == set(mix)
    assert terms.groupby(frame["customer_id"]).nunique().max() > 1


def test_without_disputes_no_invoice_is_disputed() -> None:
    company = build_company(PARAMS, BookOptions(disputes=False))
    assert company.tables["collection_dispute"] == []
    assert not invoice_export(company)["disputed"].any()


def test_volume_options_concentrate_or_spread_the_invoices_over_customers() -> None:
    few = _export(BookOptions(volume_scale=6.0), GenerationParams(seed=5, customers=10, months=12, as_of=PARAMS.as_of))
    many = _export(BookOptions(volume_scale=0.25), PARAMS)
    assert few.groupby("customer_id").size().median() > 4 * many.groupby("customer_id").size().median()


def test_a_styled_export_has_english_headers_us_dates_and_no_currency(tmp_path: Path) -> None:
    frame = _export()
    path = styled_export(
        frame, tmp_path / "book.csv", english_headers=True, us_dates=True, currency_column=False, disputes=False
    )
    written = pd.read_csv(path, dtype=str)
    assert list(written.columns) == ["invoiceNumber", "customerId", "invoiceDate", "dueDate", "amount", "paidDate"]
    first = frame.iloc[0]["issue_date"]
    assert written.iloc[0]["invoiceDate"] == first.strftime("%m/%d/%Y")
