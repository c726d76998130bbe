"""Recognising an export's columns: English and Spanish headers of common ERP and accounting
reports, written in any case or style (``invoiceNumber``, ``due_date``, ``Fecha de Emisión``,
``NÚM. FACTURA``).

A header is cut into words (:func:`tokens`: camelCase and snake_case split, punctuation dropped,
accents stripped, lower-cased, Spanish and English abbreviations spelt out) and compared with each
field's synonyms (:data:`SYNONYMS`, cut the same way). The score says how close the match is:

- 1.0: the same words in the same order (``invoiceNumber`` = "invoice number");
- 0.95: the same words in another order (``Número de factura`` / "factura numero");
- 0.85: a synonym plus a qualifier that changes nothing (``Invoice Status``);
- 0.5 to 0.8: a synonym plus words we do not know, less the more there are;
- no match when the extra words belong to another field (``Customer Name`` is not the customer's
  id) or change the meaning (``Days Late``, ``Open Amount``, ``Folio Fiscal``).

Each column goes to at most one field and each field to one column, best score first (a tie goes
to the leftmost column, as an export puts its main columns first). The other columns that also
read as a field are returned as ambiguous, so that the dry run can show them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

# canonical field -> headers that mean it (cut into words by `tokens`). Order matters only for a
# column that reads equally well as two fields: the first field takes it.
SYNONYMS: Mapping[str, tuple[str, ...]] = {
    "invoice_number": (
        "invoice ref",
        "invoice reference",
        "bill number",
        "numero de documento",
        "serie y folio",
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
        "customer ref",
        "customer key",
        "account id",
        "client code",
        "client number",
        "clave",
        "id del cliente",
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
        "account name",
        "company name",
        "client company",
        "nombre comercial",
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
        "issued",
        "issued on",
        "issued date",
        "billing date",
        "bill date",
        "created date",
        "emision",
        "fecha de expedicion",
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
        "payment due date",
        "due by",
        "fecha de vto",
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
        "amount due",
        "invoice value",
        "grand total",
        "monto factura",
        "importe de la factura",
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
        "date of payment",
        "payment received date",
        "fecha en que se pago",
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
        "credit terms",
        "net days",
        "terms in days",
        "dias de plazo",
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
    "country": (
        "country",
        "country code",
        "customer country",
        "pais",
        "pais cliente",
        "codigo pais",
        "pais del cliente",
    ),
    "status": ("status", "state", "estatus", "estado", "situacion"),
}
REQUIRED = ("invoice_number", "customer_id", "issue_date", "amount")
# Fields known only after the invoice was issued: read to land payments (and cancellations), and
# used by the backtest as its labels, never as features.
OUTCOME_FIELDS = ("paid_date", "paid_amount", "status")
# The lowest score at which a header is taken for a field without a mapping.
ACCEPT = 0.6

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
_OTHER_MEANING = OUTCOME_WORDS | {"fiscal", "uuid", "cfdi", "sat", "tax", "iva", "impuesto", "discount", "descuento"}
# Words that qualify a field without changing it ("Invoice Status" is the status).
_QUALIFIERS = frozenset({"invoice", "factura", "document", "documento", "doc", "original", "utc", "local"})
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


_SYNONYM_TOKENS = {field: tuple(dict.fromkeys(tokens(s) for s in synonyms)) for field, synonyms in SYNONYMS.items()}
_VOCABULARY = {field: frozenset(t for s in phrases for t in s) for field, phrases in _SYNONYM_TOKENS.items()}
_ALL_WORDS = frozenset(t for words in _VOCABULARY.values() for t in words)


@dataclass(frozen=True)
class Candidate:
    """A column that reads as a field: its position, the score (see the module docstring), and
    the synonym whose words matched (the evidence)."""

    field: str
    column: str
    position: int
    score: float
    words: tuple[str, ...]
    synonym: tuple[str, ...]

    @property
    def evidence(self) -> str:
        how = "same words" if self.score == 1.0 else "same words, other order" if self.score == 0.95 else "contains"
        return f"{' '.join(self.words)!r} ~ {' '.join(self.synonym)!r} ({how})"


@dataclass(frozen=True)
class Detection:
    """{field: the chosen candidate}, and {field: other columns that also read as it}."""

    chosen: dict[str, Candidate]
    ambiguous: dict[str, tuple[Candidate, ...]]


def score(words: tuple[str, ...], field: str) -> tuple[float, tuple[str, ...]]:
    """How well a header's words read as `field`, and the synonym that matched (0.0, () if none)."""
    have = set(words)
    best: tuple[float, tuple[str, ...]] = (0.0, ())
    for synonym in _SYNONYM_TOKENS[field]:
        wanted = set(synonym)
        if words == synonym:
            value = 1.0
        elif have == wanted:
            value = 0.95
        elif wanted and wanted < have:
            extra = have - wanted
            own = _VOCABULARY[field]
            foreign = {w for w in extra if w in _ALL_WORDS and w not in own and w not in _QUALIFIERS}
            if foreign or (extra & _OTHER_MEANING) - own:
                continue
            value = 0.85 if extra <= _QUALIFIERS else round(0.5 + 0.3 * len(wanted) / len(have), 2)
        else:
            continue
        if value > best[0]:
            best = (value, synonym)
    return best


def candidates(headers: Iterable[object]) -> list[Candidate]:
    """Every (column, field) pair scoring at least ACCEPT, best first, then leftmost, then field order."""
    found = []
    order = {field: i for i, field in enumerate(SYNONYMS)}
    for position, header in enumerate(headers):
        words = tokens(header)
        if not words:
            continue
        for field in SYNONYMS:
            value, synonym = score(words, field)
            if value >= ACCEPT:
                found.append(Candidate(field, str(header), position, value, words, synonym))
    return sorted(found, key=lambda c: (-c.score, c.position, order[c.field]))


def detect_columns(headers: Iterable[object], given: Mapping[str, str] | None = None) -> Detection:
    """The columns that read as our fields (see the module docstring). `given` ({field: header},
    from a mapping) is left out: its fields and columns are taken already."""
    headers = list(headers)
    given = dict(given or {})
    taken_columns = {normalise(column) for column in given.values()}
    chosen: dict[str, Candidate] = {}
    taken: set[int] = {i for i, h in enumerate(headers) if normalise(h) in taken_columns}
    every = candidates(headers)
    for candidate in every:
        if candidate.field in chosen or candidate.field in given or candidate.position in taken:
            continue
        chosen[candidate.field] = candidate
        taken.add(candidate.position)
    used = {c.position for c in chosen.values()}
    ambiguous = {
        field: others
        for field, pick in chosen.items()
        if (
            others := tuple(
                c for c in every if c.field == field and c.position not in used and c.position != pick.position
            )
        )
    }
    return Detection(chosen, ambiguous)


def detect(headers: Iterable[object]) -> dict[str, str]:
    """{canonical field: the file's header} for every header we recognise."""
    found = {field: candidate.column for field, candidate in detect_columns(headers).chosen.items()}
    # A file with only an RFC identifies customers by it.
    if "customer_id" not in found and "rfc" in found:
        found["customer_id"] = found["rfc"]
    return found


def recognised(headers: Iterable[object]) -> int:
    """How many cells of a row read like our headers (to find the header row under a title)."""
    return len({c.position for c in candidates(headers)})


def looks_like_outcome(header: object) -> bool:
    """True when a header's words say it holds what happened after issue (days late, balance, status)."""
    return bool(set(tokens(header)) & OUTCOME_WORDS)
