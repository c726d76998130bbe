"""`cartera import --dry-run`: what the reader understood, printed without a database; a file it
cannot read is a one-line error with exit status 2."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from cartera import cli, cli_data


def run(monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
    def no_database() -> str:
        raise AssertionError("a dry run must not open the warehouse")

    monkeypatch.setattr(cli_data, "_local_warehouse", no_database)
    monkeypatch.setattr(sys, "argv", ["cartera", *args])
    with pytest.raises(SystemExit) as exit_:
        cli.main()
    return int(exit_.value.code or 0)


def test_a_dry_run_prints_the_columns_the_date_order_what_was_skipped_and_the_rows_it_would_reject(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "saldos.csv"
    path.write_bytes(
        "Folio;Cliente;Fecha;Vencimiento;Importe;Moneda\n"
        "F-1;C1;23/01/2025;22/02/2025;1.234,56;MXN\n"
        "F-2;C1;03/02/2025;01/01/2025;10,00;MXN\n"
        "Total;;;;1.244,56;\n".encode("latin-1")
    )
    assert run(monkeypatch, "import", str(path), "--dry-run") == 0
    out = capsys.readouterr().out
    assert "file saldos.csv: 1 invoices readable, 1 rows rejected" in out
    assert "invoice_number <- 'Folio'" in out and "due_date <- 'Vencimiento'" in out
    assert "dates read as dmy; decimal separator ," in out
    assert "skipped 1 total rows (rows 4)" in out
    assert "row 3, Vencimiento: before the invoice date" in out


def test_a_file_without_the_required_columns_exits_with_status_2_naming_the_file_and_what_is_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "short.csv"
    path.write_text("Factura,Cliente,Fecha\nA1,C1,2025-04-01\n", encoding="utf-8")
    assert run(monkeypatch, "import", str(path), "--dry-run") == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: file short.csv") and "'amount'" in err and "'due_date'" in err
    assert len(err.splitlines()) == 1  # a message, not a traceback


def test_a_dry_run_shows_each_fields_column_evidence_and_confidence_and_the_columns_ignored_or_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "ar.csv"
    path.write_text(
        "invoiceNumber,customerId,issueDate,dueDate,amountDue,Total,paidDate,daysLate,salesRep\n"
        "F-1,C1,2025-01-02,2025-02-01,100.50,100.50,2025-02-10,9,R1\n",
        encoding="utf-8",
    )
    assert run(monkeypatch, "import", str(path), "--dry-run", "--currency", "MXN", "--country", "MX") == 0
    out = capsys.readouterr().out
    assert "invoice_number <- 'invoiceNumber': detected, 'invoice number' ~ 'invoice number' (same words)" in out
    assert "issue_date <- 'issueDate'" in out and "100% of 1 sampled values read; confidence 1.00 (high)" in out
    assert "paid_date <- 'paidDate'" in out and "label" in out
    assert "ambiguous: amount could also be ['Total']" in out
    assert "columns refused as outcomes (never imported, never a feature): ['daysLate']" in out
    assert "columns ignored (no field reads them): ['Total', 'salesRep']" in out
    assert "default country" not in out


def test_without_a_country_the_dry_run_says_which_default_customers_will_be_tagged_with(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "ar.csv"
    path.write_text("Invoice,Customer,Invoice Date,Due Date,Amount\nA1,C1,2025-01-02,2025-02-01,10\n", encoding="utf-8")
    assert run(monkeypatch, "import", str(path), "--dry-run", "--currency", "MXN") == 0
    assert "warning: the file has no country column and no --country was given: every customer is tagged with the " \
        "default country MX" in capsys.readouterr().out  # fmt: skip


@pytest.mark.parametrize("command", ["import --dry-run", "backtest"])
def test_a_file_without_a_currency_exits_2_with_the_fix_and_no_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    path = tmp_path / "nocur.csv"
    path.write_text(
        "invoiceNumber,customerId,issueDate,dueDate,amount\nA1,C1,2025-01-02,2025-02-01,10\n", encoding="utf-8"
    )
    if command == "backtest":
        args = ["backtest", "--file", str(path), "--out", str(tmp_path / "bt")]
    else:
        args = ["import", str(path), "--dry-run"]
    assert run(monkeypatch, *args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("error: file nocur.csv, field 'currency': the file has no currency column")
    assert "--currency MXN" in err[-1] and "currency: MXN" in err[-1]
    assert not any("Traceback" in line for line in err)
