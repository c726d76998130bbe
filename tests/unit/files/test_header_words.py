"""A header's words: compared without case, accents or punctuation, and cut into words across
styles (cartera/sources/files/header_words.py)."""

from __future__ import annotations

from cartera.sources.files.header_words import normalise, tokens


def test_headers_are_compared_without_case_accents_punctuation_or_extra_spaces() -> None:
    assert normalise("  Fecha de Emisión ") == "fecha de emision"
    assert normalise("Inv. No.") == "inv no"
    assert normalise("NÚM. FACTURA") == "num factura"
    assert normalise(None) == ""


def test_headers_are_cut_into_words_across_styles() -> None:
    assert tokens("invoiceNumber") == tokens("invoice_number") == tokens("Invoice No.") == ("invoice", "number")
    assert tokens("customerID") == ("customer", "id")
    assert tokens("NÚM. FACTURA") == tokens("Número de Factura") == ("number", "factura")
    assert tokens("Inv #") == ("invoice", "number")
