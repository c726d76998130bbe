"""Recognising an export's columns by their English or Spanish headers."""

from __future__ import annotations

from cartera.sources.files.headers import detect, normalise


def test_headers_are_compared_without_case_accents_punctuation_or_extra_spaces() -> None:
    assert normalise("  Fecha de Emisión ") == "fecha de emision"
    assert normalise("Inv. No.") == "inv no"
    assert normalise("NÚM. FACTURA") == "num factura"
    assert normalise(None) == ""


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
