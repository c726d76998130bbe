"""Recognising an export's columns by their English or Spanish headers."""

from __future__ import annotations

from cartera.sources.files.header_words import looks_like_outcome
from cartera.sources.files.headers import detect, detect_columns


def test_spanish_headers_of_a_mexican_report_are_recognised() -> None:
    headers = ["No. Factura", "Cliente", "R.F.C.", "Fecha", "Vencimiento", "Importe", "Moneda", "Fecha de Pago"]
    assert detect(headers) == {
        "invoice_number": "No. Factura",
        "customer_id": "Cliente",
        "rfc": "R.F.C.",
        "issue_date": "Fecha",
        "due_date": "Vencimiento",
        "amount": "Importe",
        "currency": "Moneda",
        "paid_date": "Fecha de Pago",
    }


def test_english_headers_are_recognised() -> None:
    headers = ["Invoice No.", "Customer", "Invoice Date", "Due Date", "Amount", "Currency", "Date Paid", "Disputed"]
    assert detect(headers) == {
        "invoice_number": "Invoice No.",
        "customer_id": "Customer",
        "issue_date": "Invoice Date",
        "due_date": "Due Date",
        "amount": "Amount",
        "currency": "Currency",
        "paid_date": "Date Paid",
        "disputed": "Disputed",
    }


def test_other_spellings_of_the_same_fields() -> None:
    detected = detect(["FOLIO", "Razón Social", "fecha_emision", "FECHA-VENCIMIENTO", "Monto", "Divisa", "Abonos"])
    assert detected == {
        "invoice_number": "FOLIO",
        "customer_name": "Razón Social",
        "issue_date": "fecha_emision",
        "due_date": "FECHA-VENCIMIENTO",
        "amount": "Monto",
        "currency": "Divisa",
        "paid_amount": "Abonos",
    }


def test_the_first_column_that_reads_as_a_field_takes_it_and_unknown_headers_are_left_alone() -> None:
    detected = detect(["Factura", "Total", "Importe", "Vendedor", "Observaciones"])
    assert detected == {"invoice_number": "Factura", "amount": "Total"}


def test_a_file_that_names_customers_only_by_rfc_identifies_them_by_it() -> None:
    detected = detect(["Factura", "RFC", "Fecha", "Importe"])
    assert detected["customer_id"] == detected["rfc"] == "RFC"


def test_english_camel_case_headers_of_another_companys_export_are_recognised() -> None:
    headers = ["invoiceNumber", "customerId", "issueDate", "dueDate", "amountDue", "currencyCode", "paidDate"]
    assert detect(headers) == {
        "invoice_number": "invoiceNumber",
        "customer_id": "customerId",
        "issue_date": "issueDate",
        "due_date": "dueDate",
        "amount": "amountDue",
        "currency": "currencyCode",
        "paid_date": "paidDate",
    }


def test_snake_case_and_title_case_headers_are_recognised() -> None:
    snake = ["invoice_number", "customer_id", "invoice_date", "due_date", "amount", "paid_date", "customer_name"]
    title = ["Invoice Number", "Customer ID", "Invoice Date", "Due Date", "Amount", "Paid Date", "Customer Name"]
    expected = ["invoice_number", "customer_id", "issue_date", "due_date", "amount", "paid_date", "customer_name"]
    assert detect(snake) == dict(zip(expected, snake, strict=True))
    assert detect(title) == dict(zip(expected, title, strict=True))


def test_spanish_headers_with_or_without_accents_and_abbreviations_are_recognised() -> None:
    accented = ["Núm. factura", "Clave cliente", "Fecha de emisión", "Fecha de vencimiento", "Importe", "País"]
    plain = ["num_factura", "clave_cliente", "fecha_emision", "fecha_vencimiento", "importe", "pais"]
    fields = ["invoice_number", "customer_id", "issue_date", "due_date", "amount", "country"]
    assert detect(accented) == dict(zip(fields, accented, strict=True))
    assert detect(plain) == dict(zip(fields, plain, strict=True))


def test_a_match_carries_its_evidence_and_a_lower_score_when_words_are_reordered_or_extra() -> None:
    chosen = detect_columns(["Factura Número", "Customer Code", "Invoice Date (UTC)", "Amount"]).chosen
    assert chosen["invoice_number"].score == 0.95
    assert chosen["issue_date"].score == 0.85 and "invoice date" in chosen["issue_date"].evidence
    assert chosen["amount"].score == 1.0 and "same words" in chosen["amount"].evidence


def test_outcome_and_other_meaning_columns_never_read_as_a_field_by_a_word_they_contain() -> None:
    detected = detect(["Folio", "Cliente", "Fecha", "Días de crédito", "Importe", "Days Late", "Open Amount",
                       "Folio Fiscal", "Balance Due", "Customer Name"])  # fmt: skip
    assert detected == {
        "invoice_number": "Folio",
        "customer_id": "Cliente",
        "issue_date": "Fecha",
        "credit_terms_days": "Días de crédito",
        "amount": "Importe",
        "customer_name": "Customer Name",
    }
    assert looks_like_outcome("Days Late") and looks_like_outcome("balanceAfter") and looks_like_outcome("Saldo")
    assert not looks_like_outcome("Vendedor")


def test_other_columns_that_read_as_a_chosen_field_are_listed_as_ambiguous() -> None:
    detection = detect_columns(["Factura", "Total", "Importe", "Fecha"])
    assert detection.chosen["amount"].column == "Total"
    assert [c.column for c in detection.ambiguous["amount"]] == ["Importe"]
