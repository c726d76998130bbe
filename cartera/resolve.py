"""What a person types, resolved against the warehouse: a customer or an invoice, or a clear refusal.

A collector types a customer's internal id or its RFC, an invoice's internal id or the folio the
customer sees on the invoice (``invoice_number``). Anything that writes on a person's word (a hold,
an opt-out) resolves first and writes the internal id, so a typo fails closed instead of recording
a hold or an opt-out for nobody while the real customer keeps receiving reminders.

Where a reference is looked up (every table that exists is read; matches are merged by id):

- customers: ``marts.dim_customers`` (after ``dbt build``) and the latest version of each
  ``raw.customers`` row (the staging model's rule: newest ``updated_at``, then load), so a
  customer loaded since the last build, or a warehouse whose marts were never built, still
  resolves;
- invoices: ``marts.fct_invoices``, ``marts.fct_open_items`` and the latest version of each
  ``raw.invoices`` row, likewise.

Matching: surrounding whitespace is stripped; internal ids match exactly; an RFC and a folio
match case-insensitively (and ignoring surrounding whitespace in the stored value). Nothing else
is forgiven: a reference that still does not match is unknown. A reference that matches more than
one customer or invoice is ambiguous and refused with the count.

Messages echo what the person typed only when it cannot be personal: an RFC (or anything shaped
like one) is never echoed, nor is any value read from the warehouse other than internal ids.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql

from cartera.errors import BadInputError, SourceUnavailableError

MAX_REFERENCE_LENGTH = 64
# A Mexican RFC: 3 letters (companies) or 4 (people), the date yymmdd, a 3-character homoclave.
_RFC_SHAPE = re.compile(r"[A-ZÑ&]{3,4}\d{6}[A-Z\d]{3}")
_FOLIO_MATCH = sql.SQL("invoice_id = %(ref)s or upper(btrim(invoice_number)) = %(folio)s")


class UnknownReferenceError(BadInputError):
    """Nothing in the warehouse matches what the person typed."""


class AmbiguousReferenceError(BadInputError):
    """More than one customer or invoice matches what the person typed."""


class InvoiceOfAnotherCustomerError(BadInputError):
    """The invoice exists but belongs to a customer other than the one named."""


@dataclass(frozen=True)
class ResolvedInvoice:
    """An invoice by its internal id, with its customer's internal id."""

    invoice_id: str
    customer_id: str


def looks_like_rfc(text: str) -> bool:
    """True when ``text`` has the shape of an RFC (case-insensitive, surrounding spaces ignored)."""
    return _RFC_SHAPE.fullmatch(text.strip().upper()) is not None


def clean_reference(raw: str, what: str) -> str:
    """``raw`` without surrounding whitespace, or BadInputError when it is empty, too long or holds
    control characters (a NUL byte, a newline inside it). The value itself is never echoed here."""
    reference = raw.strip()
    if not reference:
        raise BadInputError(f"the {what} is empty: give an internal id or, for a customer, its RFC")
    if len(reference) > MAX_REFERENCE_LENGTH:
        raise BadInputError(
            f"the {what} is {len(reference)} characters long; a reference has at most {MAX_REFERENCE_LENGTH}"
        )
    if any(unicodedata.category(char) in ("Cc", "Cf") for char in reference):
        raise BadInputError(f"the {what} contains control characters (a NUL byte, a newline or a tab inside it)")
    return reference


def shown(reference: str) -> str:
    """How a (cleaned) reference appears in a message: quoted, or not at all when it may be an RFC."""
    return "given as an RFC" if looks_like_rfc(reference) else repr(reference)


def resolve_customer(conn: psycopg.Connection[Any], raw: str) -> str:
    """The internal id of the one customer whose id is ``raw`` or whose RFC is ``raw``.

    Raises BadInputError (UnknownReferenceError, AmbiguousReferenceError) when none or several
    match, and SourceUnavailableError when the warehouse has no customer table at all."""
    reference = clean_reference(raw, "customer reference")
    params = {"ref": reference, "rfc": reference.upper()}
    queries: list[sql.Composable] = []
    if _exists(conn, "marts", "dim_customers"):
        queries.append(
            sql.SQL(
                "select customer_id from marts.dim_customers where customer_id = %(ref)s or upper(btrim(rfc)) = %(rfc)s"
            )
        )
    if _exists(conn, "raw", "customers"):
        # Candidates by any version, then kept only if their latest version still matches.
        queries.append(
            sql.SQL(
                "select customer_id from ("
                " select distinct on (customer_id) customer_id, rfc from raw.customers"
                " where customer_id in (select customer_id from raw.customers"
                "  where customer_id = %(ref)s or upper(btrim(rfc)) = %(rfc)s)"
                " order by customer_id, updated_at desc nulls last, loaded_at desc, load_id desc"
                ") as latest where customer_id = %(ref)s or upper(btrim(rfc)) = %(rfc)s"
            )
        )
    if not queries:
        raise SourceUnavailableError(
            "warehouse",
            "it has no customer table (marts.dim_customers or raw.customers)",
            "run `cartera db init` and load data (an ingest, `cartera import` or `cartera demo`)",
        )
    found = sorted({row[0] for row in conn.execute(sql.SQL(" union ").join(queries), params).fetchall()})
    if not found:
        raise UnknownReferenceError(f"no customer with the id or RFC {shown(reference)}")
    if len(found) > 1:
        raise AmbiguousReferenceError(
            f"the customer reference {shown(reference)} matches {len(found)} customers; give the internal id"
        )
    return str(found[0])


def resolve_invoice(conn: psycopg.Connection[Any], raw: str, *, customer_id: str | None = None) -> ResolvedInvoice:
    """The one invoice whose internal id or folio (``invoice_number``) is ``raw``; with
    ``customer_id``, it must be that customer's.

    A folio repeated across customers resolves when only one of them is ``customer_id``. Raises
    InvoiceOfAnotherCustomerError when matches exist but none is ``customer_id``'s, and
    UnknownReferenceError / AmbiguousReferenceError as for customers."""
    reference = clean_reference(raw, "invoice reference")
    params = {"ref": reference, "folio": reference.upper()}
    queries: list[sql.Composable] = [
        sql.SQL("select invoice_id, customer_id from {} where {}").format(sql.Identifier("marts", table), _FOLIO_MATCH)
        for table in ("fct_invoices", "fct_open_items")
        if _exists(conn, "marts", table)
    ]
    if _exists(conn, "raw", "invoices"):
        queries.append(
            sql.SQL(
                "select invoice_id, customer_id from ("
                " select distinct on (invoice_id) invoice_id, invoice_number, customer_id from raw.invoices"
                " where invoice_id in (select invoice_id from raw.invoices where {match})"
                " order by invoice_id, updated_at desc nulls last, loaded_at desc, load_id desc"
                ") as latest where {match}"
            ).format(match=_FOLIO_MATCH)
        )
    if not queries:
        raise SourceUnavailableError(
            "warehouse",
            "it has no invoice table (marts.fct_invoices, marts.fct_open_items or raw.invoices)",
            "run `cartera db init` and load data (an ingest, `cartera import` or `cartera demo`)",
        )
    found = sorted(
        {(str(row[0]), str(row[1])) for row in conn.execute(sql.SQL(" union ").join(queries), params).fetchall()}
    )
    if not found:
        raise UnknownReferenceError(f"no invoice with the id or folio {shown(reference)}")
    if customer_id is not None:
        theirs = [pair for pair in found if pair[1] == customer_id]
        if not theirs:
            raise InvoiceOfAnotherCustomerError(
                f"the invoice {shown(reference)} is not an invoice of customer {customer_id!r}"
            )
        found = theirs
    if len(found) > 1:
        raise AmbiguousReferenceError(
            f"the invoice reference {shown(reference)} matches {len(found)} invoices; give the internal id"
            + ("" if customer_id is not None else " or name the customer")
        )
    invoice_id, owner = found[0]
    return ResolvedInvoice(invoice_id=invoice_id, customer_id=owner)


def _exists(conn: psycopg.Connection[Any], schema: str, table: str) -> bool:
    row = conn.execute("select to_regclass(%s) is not null", (f"{schema}.{table}",)).fetchone()
    return bool(row and row[0])
