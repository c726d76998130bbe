"""The words of a header: camelCase and snake_case split, punctuation dropped, accents stripped,
lower-cased, Spanish and English abbreviations spelt out (``Núm. factura`` → number factura), and
the words that say a column holds what happened after the invoice was issued.
"""

from __future__ import annotations

import re
import unicodedata

_STOP = frozenset({"de", "del", "la", "el", "las", "los", "of", "the", "y", "and"})
_ABBREVIATIONS = {
    "no": "number",
    "num": "number",
    "nro": "number",
    "nbr": "number",
    "nr": "number",
    "numero": "number",
    "cve": "clave",
    "cod": "codigo",
    "cust": "customer",
    "cte": "cliente",
    "inv": "invoice",
    "fact": "factura",
    "amt": "amount",
    "dt": "date",
    "fec": "fecha",
    "fch": "fecha",
    "venc": "vencimiento",
    "vto": "vencimiento",
    "curr": "currency",
    "ccy": "currency",
    "pmt": "payment",
    "pymt": "payment",
    "dias": "days",
    "ref": "reference",
}
# Words that say a column holds what happened after the invoice was issued (or something other
# than the field a synonym inside it names): a header holding one is never a partial match.
OUTCOME_WORDS = frozenset(
    {
        "late", "overdue", "vencido", "vencidos", "vencida", "atraso", "atrasado", "mora", "balance", "saldo",
        "outstanding", "remaining", "residual", "dpd", "aging", "antiguedad", "collected", "settled", "settlement",
        "open", "pending", "pendiente", "paid", "payment", "pago", "pagado", "pagada", "cobro", "cobrado",
        "liquidacion", "status", "estatus", "estado", "situacion", "written", "castigo",
    }
)  # fmt: skip
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def tokens(header: object) -> tuple[str, ...]:
    """The words of a header: 'invoiceNumber' -> ('invoice', 'number'); 'Núm. factura' ->
    ('number', 'factura'); 'fecha_de_emision' -> ('fecha', 'emision'); 'Inv #' -> ('invoice', 'number')."""
    text = str(header or "").replace("#", " number ").replace("\u2116", " number ")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z]+|\d+", _CAMEL.sub(" ", text).lower())
    return tuple(_ABBREVIATIONS.get(word, word) for word in words if word not in _STOP)


def normalise(header: object) -> str:
    """'Fecha de Emisión ' -> 'fecha de emision'; 'Inv. No.' -> 'inv no' (case, accents and
    punctuation only: how a mapping's column is found among the file's headers)."""
    text = unicodedata.normalize("NFKD", str(header or "")).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


def looks_like_outcome(header: object) -> bool:
    """True when a header's words say it holds what happened after issue (days late, balance, status)."""
    return bool(set(tokens(header)) & OUTCOME_WORDS)
