"""Exports from companies other than ours: headers in any style, no currency column, invoice numbers
re-formatted, countries, and the columns the import does not use, all said out loud."""

from __future__ import annotations

from pathlib import Path

import pytest

from cartera.errors import BadInputError
from cartera.sources.files import FileMapping, read_invoice_file
from cartera.sources.files.invoice_keys import invoice_key
from cartera.sources.files.mapping import with_options

CAMEL = "invoiceNumber,customerId,issueDate,dueDate,amountDue,currency,paidDate,daysLate,balanceAfter,status,salesRep"


def write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_an_english_camel_case_export_is_read_and_every_column_is_accounted_for(tmp_path: Path) -> None:
    path = write(
        tmp_path / "ar.csv",
        [
            CAMEL,
            "F-0001,C1,2025-01-02,2025-02-01,100.50,USD,2025-02-10,9,0,paid,R1",
            "F-0002,C2,2025-01-05,2025-02-04,200.00,USD,,,200,open,R2",
        ],
    )
    parsed = read_invoice_file(path)
    assert parsed.mapping == {
        "invoice_number": "invoiceNumber",
        "customer_id": "customerId",
        "issue_date": "issueDate",
        "due_date": "dueDate",
        "amount": "amountDue",
        "currency": "currency",
        "paid_date": "paidDate",
        "status": "status",
    }
    assert len(parsed.invoices) == 2 and parsed.rejects == ()
    report = parsed.columns
    assert report is not None
    assert report.ignored == ("salesRep",)
    assert report.outcomes["daysLate"].startswith("refused as an outcome")
    assert report.outcomes["balanceAfter"].startswith("refused as an outcome")
    assert "label" in report.outcomes["paidDate"] and "never a feature" in report.outcomes["paidDate"]
    assert "cancelled" in report.outcomes["status"]
    used = {choice.field: choice for choice in report.used}
    assert used["issue_date"].parsed == 1.0 and used["issue_date"].sampled == 2
    assert used["amount"].confidence == 1.0 and used["amount"].level == "high"
    assert any("['daysLate', 'balanceAfter']" in w and "never a feature" in w for w in parsed.warnings)
    assert any("['salesRep'] are not used" in w for w in parsed.warnings)


@pytest.mark.parametrize(
    "header",
    [
        "invoice_number;customer_id;invoice_date;due_date;amount;currency",
        "Invoice Number;Customer ID;Invoice Date;Due Date;Amount;Currency",
        "Núm. factura;Clave cliente;Fecha de emisión;fecha_vencimiento;Importe;Moneda",
        "num_factura;clave_cliente;fecha_emision;Fecha de Vencimiento;importe;moneda",
    ],
)
def test_snake_title_and_spanish_headers_with_or_without_accents_map_to_the_same_fields(
    tmp_path: Path, header: str
) -> None:
    path = write(tmp_path / "book.csv", [header, "A-7;K1;2025-03-01;2025-03-31;10.00;MXN"])
    parsed = read_invoice_file(path)
    names = header.split(";")
    fields = ["invoice_number", "customer_id", "issue_date", "due_date", "amount", "currency"]
    assert parsed.mapping == dict(zip(fields, names, strict=True))
    assert parsed.invoices["invoice_id"].tolist() == ["A-7"]


def test_a_low_parse_rate_lowers_the_confidence_of_a_column(tmp_path: Path) -> None:
    path = write(
        tmp_path / "book.csv",
        [
            "Invoice,Customer,Invoice Date,Due Date,Amount,Currency",
            "A1,K1,2025-03-01,2025-03-31,10.00,MXN",
            "A2,K1,not a date,2025-03-31,10.00,MXN",
        ],
    )
    used = {c.field: c for c in read_invoice_file(path).columns.used}  # type: ignore[union-attr]
    assert used["issue_date"].parsed == 0.5 and used["issue_date"].level == "low"


def test_a_file_without_a_currency_column_is_refused_as_a_whole_naming_the_fix(tmp_path: Path) -> None:
    path = write(
        tmp_path / "nocur.csv", ["Invoice,Customer,Invoice Date,Due Date,Amount", "A1,K1,2025-03-01,2025-03-31,10"]
    )
    with pytest.raises(BadInputError) as refused:
        read_invoice_file(path)
    assert refused.value.field == "currency"
    assert "--currency MXN" in str(refused.value) and "currency: MXN" in str(refused.value)
    parsed = read_invoice_file(path, with_options(FileMapping(), currency="mxn"))
    assert parsed.invoices["currency"].tolist() == ["MXN"]


def test_amounts_that_carry_their_own_currency_need_no_currency_column(tmp_path: Path) -> None:
    path = write(
        tmp_path / "marked.csv",
        [
            "Invoice,Customer,Invoice Date,Due Date,Amount",
            "A1,K1,2025-03-01,2025-03-31,US$ 10",
            "A2,K1,2025-03-01,2025-03-31,20 MXN",
        ],
    )
    assert read_invoice_file(path).invoices["currency"].tolist() == ["USD", "MXN"]


@pytest.mark.parametrize("written", ["F-000123", "F-123", " f-123 ", "F-0123", "f-00123"])
def test_invoice_numbers_are_keyed_without_leading_zeros_case_or_spaces(written: str) -> None:
    assert invoice_key(written) == "F-123"


def test_the_key_rule_collapses_inner_spaces_keeps_separators_and_can_be_turned_off() -> None:
    assert invoice_key("a  000 12") == "A 0 12"
    assert invoice_key("000123") == invoice_key("123") == "123"
    assert invoice_key("F123") != invoice_key("F-123")
    assert invoice_key(" A-01 ", "exact") == "A-01"


def test_the_file_keeps_the_number_as_written_and_lands_the_normalised_key(tmp_path: Path) -> None:
    path = write(
        tmp_path / "book.csv",
        ["Folio,Cliente,Fecha,Vencimiento,Importe,Moneda", " f-0007 ,K1,2025-03-01,2025-03-31,10,MXN"],
    )
    frame = read_invoice_file(path).invoices
    assert (frame["invoice_number"][0], frame["invoice_id"][0]) == ("f-0007", "F-7")
    exact = read_invoice_file(path, FileMapping(invoice_numbers="exact")).invoices
    assert exact["invoice_id"][0] == "f-0007"


def test_two_numbers_that_normalise_alike_with_different_data_are_quarantined_naming_the_way_out(
    tmp_path: Path,
) -> None:
    path = write(
        tmp_path / "book.csv",
        [
            "Folio,Cliente,Fecha,Vencimiento,Importe,Moneda",
            "A-01,K1,2025-03-01,2025-03-31,10,MXN",
            "A-1,K1,2025-03-01,2025-03-31,99,MXN",
        ],
    )
    parsed = read_invoice_file(path)
    assert parsed.invoices.empty and [r.row for r in parsed.rejects] == [2, 3]
    assert "leading zeros" in parsed.rejects[0].reason and "invoice_numbers: exact" in parsed.rejects[0].reason
    kept = read_invoice_file(path, FileMapping(invoice_numbers="exact"))
    assert kept.invoices["invoice_id"].tolist() == ["A-01", "A-1"]


def test_country_comes_from_the_file_then_the_option_and_the_default_is_never_silent(tmp_path: Path) -> None:
    with_column = write(
        tmp_path / "countries.csv",
        [
            "Folio,Cliente,Fecha,Vencimiento,Importe,Moneda,País",
            "A1,K1,2025-03-01,2025-03-31,10,MXN,México",
            "A2,K2,2025-03-01,2025-03-31,10,USD,USA",
            "A3,K3,2025-03-01,2025-03-31,10,USD,Atlantis",
            *[f"B{i},K4,2025-03-01,2025-03-31,10,MXN,mx" for i in range(30)],
        ],
    )
    parsed = read_invoice_file(with_column)
    assert parsed.invoices["country"].tolist()[:2] == ["MX", "US"] and parsed.country_assumed is None
    assert [(r.row, r.field) for r in parsed.rejects] == [(4, "country")]
    assert not any("default country" in w for w in parsed.warnings)

    without = write(
        tmp_path / "plain.csv", ["Folio,Cliente,Fecha,Vencimiento,Importe,Moneda", "A1,K1,2025-03-01,2025-03-31,10,MXN"]
    )
    assumed = read_invoice_file(without)
    assert assumed.country_assumed == "MX" and assumed.invoices["country"].tolist() == ["MX"]
    assert any("default country MX" in w and "--country" in w for w in assumed.warnings)
    given = read_invoice_file(without, with_options(FileMapping(), country="us"))
    assert given.country_assumed is None and given.invoices["country"].tolist() == ["US"]
    assert not any("default country" in w for w in given.warnings)


def test_an_option_that_is_not_a_code_is_refused_naming_it() -> None:
    with pytest.raises(BadInputError, match="--currency expects"):
        with_options(FileMapping(), currency="pesos")
    with pytest.raises(BadInputError, match="--country expects"):
        with_options(FileMapping(), country="Mexico")
