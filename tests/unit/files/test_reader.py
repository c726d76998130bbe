"""Reading invoice exports nobody here has seen: awkward CSV and Excel files, written by the tests."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from cartera.errors import BadInputError
from cartera.sources.files import FileMapping, read_invoice_file

SPANISH_HEADER = "Folio;Cliente;RFC;Fecha de emisión;Vencimiento;Importe;Moneda;Fecha de pago"


def write(path: Path, lines: list[str], encoding: str = "utf-8") -> Path:
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return path


def day(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def test_a_latin1_semicolon_file_with_decimal_commas_titles_blank_lines_repeated_headers_and_a_total(
    tmp_path: Path,
) -> None:
    path = write(
        tmp_path / "cartera_mayo.csv",
        [
            "Reporte de antigüedad de saldos - Distribuidora del Bajío",
            "",
            SPANISH_HEADER,
            "F-1;Ferretería Núñez;FNU010101AB1;02/01/2025;01/02/2025;$1.234,56;MXN;15/02/2025",
            "F-2;Ferretería Núñez;FNU010101AB1;15/01/2025;14/02/2025;500,00;MXN;",
            "",
            SPANISH_HEADER,
            "F-3;Aceros del Norte;ANO020202CD2;20/03/2025;19/04/2025;2.000,5;USD;",
            "TOTAL GENERAL;;;;;3.735,06;;",
        ],
        encoding="latin-1",
    )
    parsed = read_invoice_file(path)
    frame = parsed.invoices
    assert list(frame["invoice_number"]) == ["F-1", "F-2", "F-3"]
    assert list(frame["source_row"]) == [4, 5, 8]  # the rows a person sees in the file
    assert list(frame["amount"]) == [Decimal("1234.56"), Decimal("500.00"), Decimal("2000.5")]
    assert list(frame["customer_name"])[0] == "Ferretería Núñez"  # decoded as Latin-1, not mojibake
    assert frame["issue_date"].tolist()[0] == day("2025-01-02") and frame["due_date"].tolist()[2] == day("2025-04-19")
    assert frame["paid_date"].tolist()[0] == day("2025-02-15") and frame["paid_date"].isna().tolist()[1:] == [True] * 2
    assert (parsed.date_order, parsed.decimal) == ("dmy", ",")
    assert parsed.skipped == {"blank lines": [6], "repeated header rows": [7], "total rows": [9]}
    assert any("total rows (rows 9)" in w for w in parsed.warnings)
    assert parsed.rejects == ()
    assert parsed.mapping["issue_date"] == "Fecha de emisión"
    # 'Cliente' holds names here: the RFC identifies the customer, the name is kept as the name.
    assert (parsed.mapping["customer_id"], parsed.mapping["customer_name"]) == ("RFC", "Cliente")
    assert list(frame["customer_id"]) == ["FNU010101AB1", "FNU010101AB1", "ANO020202CD2"]


def test_english_headers_month_first_dates_and_thousands_commas(tmp_path: Path) -> None:
    path = write(
        tmp_path / "ar.csv",
        [
            "Invoice No.,Customer,Invoice Date,Due Date,Amount,Currency,Payment Date",
            'INV-7,ACME,04/23/2025,05/23/2025,"1,250.00",USD,05/30/2025',
            'INV-8,ACME,05/02/2025,06/01/2025,"$12,000",USD,',
        ],
    )
    parsed = read_invoice_file(path)
    assert parsed.date_order == "mdy"
    assert parsed.invoices["issue_date"].tolist() == [day("2025-04-23"), day("2025-05-02")]
    assert parsed.invoices["amount"].tolist() == [Decimal("1250.00"), Decimal("12000")]


def test_ambiguous_dates_are_refused_without_a_mapping_and_read_with_one(tmp_path: Path) -> None:
    path = write(
        tmp_path / "amb.csv",
        ["Factura,Cliente,Fecha,Vencimiento,Importe,Moneda", "A1,C1,03/04/2025,05/04/2025,10.00,MXN"],
    )
    with pytest.raises(BadInputError) as error:
        read_invoice_file(path)
    message = str(error.value)
    assert "amb.csv" in message and "row 2" in message and "'Fecha'" in message and "date_format" in message
    as_dmy = read_invoice_file(path, FileMapping(date_format="dd/mm/yyyy"))
    as_mdy = read_invoice_file(path, FileMapping(date_format="mm/dd/yyyy"))
    assert as_dmy.invoices["issue_date"].tolist() == [day("2025-04-03")]
    assert as_mdy.invoices["issue_date"].tolist() == [day("2025-03-04")]


def test_a_column_that_mixes_iso_and_day_first_dates_is_read_and_contradicting_orders_are_refused(
    tmp_path: Path,
) -> None:
    mixed = write(
        tmp_path / "mixed.csv",
        [
            "Factura,Cliente,Fecha,Vencimiento,Importe,Moneda",
            "A1,C1,2025-04-03,25/04/2025,10,MXN",
            "A2,C1,05/04/2025,2025-05-05,10,MXN",
        ],
    )
    parsed = read_invoice_file(mixed)
    assert parsed.invoices["issue_date"].tolist() == [day("2025-04-03"), day("2025-04-05")]
    contradicting = write(
        tmp_path / "contra.csv",
        [
            "Factura,Cliente,Fecha,Vencimiento,Importe,Moneda",
            "A1,C1,25/04/2025,26/04/2025,10,MXN",
            "A2,C1,04/25/2025,04/26/2025,10,MXN",
        ],
    )
    with pytest.raises(BadInputError, match="row 2.*row 3|mix day-first"):
        read_invoice_file(contradicting)
    with_mapping = read_invoice_file(contradicting, FileMapping(date_format="dd/mm/yyyy"))
    assert [(r.row, r.field) for r in with_mapping.rejects] == [(3, "issue_date")]


def test_bad_rows_are_rejected_naming_row_and_column_and_the_rest_reads(tmp_path: Path) -> None:
    path = write(
        tmp_path / "bad.csv",
        [
            "Factura,Cliente,Fecha,Vencimiento,Importe,Moneda",
            "A1,C1,2025-04-01,2025-05-01,100.00,MXN",
            "A2,,2025-04-01,2025-05-01,100.00,MXN",
            "A3,C1,2025-04-01,2025-03-01,100.00,MXN",
            "A4,C1,2025-04-01,2025-05-01,100.00,XYZ",
            "A5,C1,2025-04-01,2025-05-01,-5.00,MXN",
            "A6,C1,2025-04-31,2025-05-01,5.00,MXN",
            "A7,C1,2025-04-01,2025-05-01,doce,MXN",
        ],
    )
    parsed = read_invoice_file(path)
    assert list(parsed.invoices["invoice_number"]) == ["A1"]
    got = {(r.row, r.field): r.reason for r in parsed.rejects}
    assert set(got) == {
        (3, "customer_id"),
        (4, "due_date"),
        (5, "currency"),
        (6, "amount"),
        (7, "issue_date"),
        (8, "amount"),
    }
    assert got[(4, "due_date")] == "Vencimiento: before the invoice date"
    assert {r.row: r.key for r in parsed.rejects} == {3: "A2", 4: "A3", 5: "A4", 6: "A5", 7: "A6", 8: "A7"}
    assert got[(5, "currency")].startswith("Moneda: unknown currency code")
    assert "valid calendar date" in got[(7, "issue_date")]


def test_a_duplicated_invoice_number_with_different_amounts_rejects_both_and_an_exact_repeat_keeps_one(
    tmp_path: Path,
) -> None:
    path = write(
        tmp_path / "dup.csv",
        [
            "Factura,Cliente,Fecha,Vencimiento,Importe,Moneda",
            "A1,C1,2025-04-01,2025-05-01,100.00,MXN",
            "A1,C1,2025-04-01,2025-05-01,150.00,MXN",
            "B1,C2,2025-04-01,2025-05-01,10.00,MXN",
            "B1,C2,2025-04-01,2025-05-01,10.00,MXN",
        ],
    )
    parsed = read_invoice_file(path)
    assert list(parsed.invoices["invoice_number"]) == ["B1"]
    assert [(r.row, r.rule) for r in parsed.rejects] == [
        (2, "file_duplicate_invoice_number"),
        (3, "file_duplicate_invoice_number"),
    ]
    assert parsed.rejects[0].reason == "Factura: the same invoice number is on rows 2, 3 with different Importe"
    assert {r.key for r in parsed.rejects} == {"A1"}
    assert any("exact repeats" in w and "rows 5" in w for w in parsed.warnings)


def test_a_file_without_the_required_columns_names_what_is_missing_and_what_it_has(tmp_path: Path) -> None:
    path = write(tmp_path / "short.csv", ["Factura,Cliente,Fecha,Moneda", "A1,C1,2025-04-01,MXN"])
    with pytest.raises(BadInputError) as error:
        read_invoice_file(path)
    text = str(error.value)
    assert "short.csv" in text and "'amount'" in text and "Factura" in text


def test_a_mapping_names_the_files_own_columns_and_a_wrong_one_is_a_clear_error(tmp_path: Path) -> None:
    path = write(tmp_path / "erp.csv", ["Doc,Cte,F. doc,F. venc,Saldo orig", "D1,K9,2025-04-01,2025-05-01,10.5"])
    mapping = FileMapping(
        columns={
            "invoice_number": "Doc",
            "customer_id": "Cte",
            "issue_date": "F. doc",
            "due_date": "F. venc",
            "amount": "Saldo orig",
        },
        currency="MXN",
    )
    parsed = read_invoice_file(path, mapping)
    assert parsed.invoices[["invoice_number", "customer_id", "currency"]].values.tolist() == [["D1", "K9", "MXN"]]
    with pytest.raises(BadInputError, match="Importe"):
        read_invoice_file(path, FileMapping(columns={"amount": "Importe"}))


def test_credit_terms_give_the_due_date_and_a_partial_payment_is_not_a_settlement(tmp_path: Path) -> None:
    path = write(
        tmp_path / "terms.csv",
        [
            "Factura,Cliente,Fecha,Plazo,Importe,Moneda,Importe pagado,Fecha de pago",
            "A1,C1,2025-04-01,30 días,100.00,MXN,40.00,2025-04-20",
            "A2,C1,2025-04-01,30,100.00,MXN,100.00,2025-04-25",
        ],
    )
    parsed = read_invoice_file(path)
    frame = parsed.invoices
    assert frame["due_date"].tolist() == [day("2025-05-01")] * 2
    assert frame["paid_date"].isna().tolist() == [True, False]  # 40 of 100 paid: still open
    assert frame["payment_date"].tolist() == [day("2025-04-20"), day("2025-04-25")]


def test_an_excel_workbook_with_date_cells_and_a_title_row(tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Cartera al 31 de mayo"])
    sheet.append(["No. Factura", "Razón social", "Cliente", "Fecha", "Fecha de vencimiento", "Monto", "Divisa"])
    sheet.append(["X-1", "Aceros SA", "C7", dt.datetime(2025, 3, 3), dt.datetime(2025, 4, 2), 1500.25, "MXN"])
    sheet.append(["X-2", "Aceros SA", "C7", dt.datetime(2025, 3, 9), dt.datetime(2025, 4, 8), 99, "USD"])
    path = tmp_path / "cartera.xlsx"
    book.save(path)
    parsed = read_invoice_file(path)
    assert parsed.invoices["source_row"].tolist() == [3, 4]
    assert parsed.invoices["issue_date"].tolist() == [day("2025-03-03"), day("2025-03-09")]
    assert parsed.invoices["amount"].tolist() == [Decimal("1500.25"), Decimal("99")]
    assert parsed.mapping["customer_name"] == "Razón social"


def test_a_dispute_flag_without_its_date_is_read_but_flagged_as_not_point_in_time(tmp_path: Path) -> None:
    path = write(
        tmp_path / "disp.csv",
        ["Factura,Cliente,Fecha,Vencimiento,Importe,Moneda,En disputa", "A1,C1,2025-04-01,2025-05-01,10,MXN,sí"],
    )
    parsed = read_invoice_file(path)
    assert parsed.invoices["disputed"].tolist() == [True]
    (note,) = [w for w in parsed.warnings if "dispute flag has no date" in w]
    assert "backtest leaves it out" in note and "opened on the import day" in note


def test_ambiguous_thousands_or_decimals_need_the_mapping(tmp_path: Path) -> None:
    path = write(
        tmp_path / "thou.csv",
        ["Factura,Cliente,Fecha,Vencimiento,Importe,Moneda", 'A1,C1,2025-04-01,2025-05-01,"1,234",MXN'],
    )
    parsed = read_invoice_file(path)
    assert parsed.rejects and "decimal" in parsed.rejects[0].reason
    assert read_invoice_file(path, FileMapping(decimal=".")).invoices["amount"].tolist() == [Decimal("1234")]


def test_the_documented_example_mapping_loads() -> None:
    from cartera.config import REPO_ROOT
    from cartera.sources.files import load_mapping

    mapping = load_mapping(REPO_ROOT / "docs" / "examples" / "contpaqi_cartera.mapping.yml")
    assert (mapping.date_format, mapping.decimal, mapping.source) == ("dmy", ",", "contpaqi")
    assert mapping.columns["paid_date"] == "Últ. abono"


def test_a_column_of_only_ambiguous_dates_takes_the_order_another_column_shows_and_says_so(tmp_path: Path) -> None:
    path = write(
        tmp_path / "pooled.csv",
        ["Invoice,Customer,Date,Due date,Amount,Currency", "A1,C1,03/04/2025,25/04/2025,10.00,MXN"],
    )
    parsed = read_invoice_file(path)
    assert parsed.date_order == "dmy"
    assert parsed.invoices["issue_date"].tolist() == [day("2025-04-03")]
    notes = [w for w in parsed.warnings if "'Date'" in w]
    assert len(notes) == 1 and "day-first" in notes[0] and "'Due date' row 2" in notes[0] and "date_format" in notes[0]
    # A mapping that says the order leaves nothing to explain.
    settled = read_invoice_file(path, FileMapping(date_format="dd/mm/yyyy"))
    assert not [w for w in settled.warnings if "'Date'" in w]


def test_a_dispute_flag_with_the_date_it_became_known_is_read_with_that_date_and_no_warning(tmp_path: Path) -> None:
    path = write(
        tmp_path / "disp_dated.csv",
        [
            "Factura,Cliente,Fecha,Vencimiento,Importe,Moneda,Disputa,Fecha de disputa",
            "A1,C1,2025-04-01,2025-05-01,10,MXN,sí,2025-04-20",
            "A2,C1,2025-04-01,2025-05-01,10,MXN,no,",
        ],
    )
    parsed = read_invoice_file(path)
    assert parsed.invoices["disputed"].tolist() == [True, False]
    assert parsed.invoices["dispute_opened_date"].tolist()[0] == day("2025-04-20")
    assert not [w for w in parsed.warnings if "dispute" in w]


def test_a_row_with_an_invoice_number_is_never_taken_for_a_total_even_for_a_customer_named_total(
    tmp_path: Path,
) -> None:
    path = write(
        tmp_path / "totalplay.csv",
        [
            "Factura,Cliente,Fecha,Vencimiento,Importe,Moneda",
            "A1,Total Play Telecomunicaciones,2025-04-01,2025-05-01,10.00,MXN",
            "A2,Totales del Norte,2025-04-01,2025-05-01,10.00,MXN",
            ",Total cliente,,,20.00,",
            "Subtotal,,,,20.00,",
            "TOTAL GENERAL,,,,20.00,",
        ],
    )
    parsed = read_invoice_file(path)
    assert list(parsed.invoices["invoice_number"]) == ["A1", "A2"]
    assert parsed.skipped == {"total rows": [4, 5, 6]}


def test_repeats_of_an_invoice_that_differ_in_what_was_paid_are_not_exact_repeats(tmp_path: Path) -> None:
    path = write(
        tmp_path / "pagos.csv",
        [
            "Factura,Cliente,Fecha,Vencimiento,Importe,Moneda,Importe pagado,Fecha de pago",
            "A1,C1,2025-04-01,2025-05-01,100.00,MXN,40.00,2025-04-20",
            "A1,C1,2025-04-01,2025-05-01,100.00,MXN,60.00,2025-04-28",
        ],
    )
    parsed = read_invoice_file(path)
    assert parsed.invoices.empty  # neither payment is dropped quietly: a person says which is right
    assert [(r.row, r.rule) for r in parsed.rejects] == [
        (2, "file_duplicate_invoice_number"),
        (3, "file_duplicate_invoice_number"),
    ]
    assert "Importe pagado" in parsed.rejects[0].reason and "Fecha de pago" in parsed.rejects[0].reason


def test_an_excel_sheet_named_by_the_mapping_with_numeric_invoice_numbers_and_a_total_row(tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    cover = book.active
    assert cover is not None
    cover.title = "Portada"
    cover.append(["Este libro tiene la cartera en otra hoja"])
    sheet = book.create_sheet("Cartera")
    sheet.append(["Factura", "Cliente", "Fecha", "Vencimiento", "Importe", "Moneda"])
    sheet.append([1001, "C1", dt.datetime(2025, 3, 3), "02/04/2025", 1500, "MXN"])
    sheet.append([1002, "C1", "2025-03-09", dt.datetime(2025, 4, 8), "1.250,50", "MXN"])
    sheet.append([None, None, None, None, 2750.5, None])
    path = tmp_path / "libro.xlsx"
    book.save(path)
    parsed = read_invoice_file(path, FileMapping(sheet="Cartera", date_format="dd/mm/yyyy"))
    assert parsed.invoices["invoice_number"].tolist() == ["1001", "1002"]
    assert parsed.invoices["due_date"].tolist() == [day("2025-04-02"), day("2025-04-08")]
    assert parsed.invoices["amount"].tolist() == [Decimal("1500"), Decimal("1250.50")]
    assert parsed.skipped == {"total rows": [4]}
    with pytest.raises(BadInputError, match=r"file libro.xlsx: no sheet 'Saldos'; sheets: \['Portada', 'Cartera'\]"):
        read_invoice_file(path, FileMapping(sheet="Saldos"))


def test_a_mapping_error_on_a_file_without_a_header_never_prints_its_data(tmp_path: Path) -> None:
    path = tmp_path / "sin_encabezado.csv"
    path.write_text("F-1,Juana Pérez,juana@example.mx,2025-04-01,100.00\n", encoding="utf-8")
    with pytest.raises(BadInputError) as error:
        read_invoice_file(path, FileMapping(columns={"amount": "Importe"}))
    message = str(error.value)
    assert "Importe" in message and "reads like a header" in message
    assert "juana" not in message.lower() and "Pérez" not in message
