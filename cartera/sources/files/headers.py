"""Recognising an export's columns: English and Spanish headers of common ERP and accounting
reports, compared without case, accents or punctuation."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping

# canonical field -> headers that mean it (normalised form: see `normalise`). Order matters:
# the first field whose synonyms match a column takes it.
SYNONYMS: Mapping[str, tuple[str, ...]] = {
    "invoice_number": (
        "invoice",
        "invoice number",
        "invoice no",
        "invoice num",
        "inv no",
        "invoice id",
        "document number",
        "document no",
        "doc no",
        "factura",
        "no factura",
        "num factura",
        "numero factura",
        "numero de factura",
        "folio",
        "folio factura",
        "serie folio",
        "documento",
        "no documento",
        "comprobante",
    ),
    "customer_id": (
        "customer",
        "customer id",
        "customer code",
        "customer no",
        "customer number",
        "client",
        "client id",
        "account",
        "account number",
        "cliente",
        "id cliente",
        "clave cliente",
        "codigo cliente",
        "no cliente",
        "num cliente",
        "numero cliente",
        "numero de cliente",
        "cuenta",
    ),
    "customer_name": (
        "customer name",
        "client name",
        "name",
        "company",
        "nombre",
        "nombre cliente",
        "nombre del cliente",
        "razon social",
        "cliente nombre",
    ),
    "rfc": ("rfc", "r f c", "rfc cliente", "rfc del cliente", "tax id", "taxpayer id", "rfc receptor"),
    "issue_date": (
        "invoice date",
        "date",
        "issue date",
        "document date",
        "posting date",
        "fecha",
        "fecha factura",
        "fecha de factura",
        "fecha emision",
        "fecha de emision",
        "fecha documento",
        "fecha expedicion",
    ),
    "due_date": (
        "due date",
        "due",
        "due on",
        "payment due",
        "vencimiento",
        "fecha vencimiento",
        "fecha de vencimiento",
        "vence",
        "fecha limite",
        "fecha limite de pago",
    ),
    "amount": (
        "amount",
        "total",
        "invoice amount",
        "invoice total",
        "total amount",
        "gross amount",
        "importe",
        "importe total",
        "monto",
        "monto total",
        "total factura",
        "valor",
        "importe factura",
    ),
    "amount_mxn": (
        "amount mxn",
        "total mxn",
        "amount in mxn",
        "importe mxn",
        "monto mxn",
        "importe en pesos",
        "importe mn",
        "total mn",
        "valor mxn",
    ),
    "currency": ("currency", "currency code", "curr", "moneda", "divisa", "tipo moneda"),
    "paid_date": (
        "paid date",
        "payment date",
        "date paid",
        "paid on",
        "settled date",
        "settlement date",
        "fecha de pago",
        "fecha pago",
        "fecha cobro",
        "fecha de cobro",
        "fecha liquidacion",
        "fecha de liquidacion",
        "pagada el",
    ),
    "paid_amount": (
        "paid amount",
        "amount paid",
        "payment amount",
        "paid",
        "importe pagado",
        "monto pagado",
        "pagado",
        "cobrado",
        "importe cobrado",
        "abono",
        "abonos",
    ),
    "credit_terms_days": (
        "terms",
        "payment terms",
        "terms days",
        "credit days",
        "dias credito",
        "dias de credito",
        "plazo",
        "plazo dias",
        "condiciones de pago",
        "dias",
    ),
    "disputed": ("disputed", "dispute", "in dispute", "en disputa", "disputa", "controversia"),
    "dispute_opened_date": (
        "dispute date",
        "disputed on",
        "dispute opened",
        "dispute opened date",
        "dispute known date",
        "disputed date",
        "fecha disputa",
        "fecha de disputa",
        "fecha controversia",
    ),
    "status": ("status", "state", "estatus", "estado", "situacion"),
}
REQUIRED = ("invoice_number", "customer_id", "issue_date", "amount")


def normalise(header: object) -> str:
    """'Fecha de Emisión ' -> 'fecha de emision'; 'Inv. No.' -> 'inv no'."""
    text = unicodedata.normalize("NFKD", str(header or "")).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


_LOOKUP = {synonym: field for field, synonyms in SYNONYMS.items() for synonym in synonyms}


def detect(headers: Iterable[object]) -> dict[str, str]:
    """{canonical field: the file's header} for every header we recognise (first one wins)."""
    found: dict[str, str] = {}
    for header in headers:
        field = _LOOKUP.get(normalise(header))
        if field and field not in found:
            found[field] = str(header)
    # A file with only an RFC identifies customers by it.
    if "customer_id" not in found and "rfc" in found:
        found["customer_id"] = found["rfc"]
    return found


def recognised(headers: Iterable[object]) -> int:
    """How many cells of a row read like our headers (to find the header row under a title)."""
    return sum(1 for header in headers if normalise(header) in _LOOKUP)
