"""The ERP source: incremental extract of the ERP's tables (docs/data_model.md §1), mapped to the
canonical raw entities (`cartera.raw_contract`).

Contract:
- a window is ``watermark - overlap < write_date <= upper_bound`` per entity (no watermark: from the
  start); :func:`extract` returns rows ordered by (write_date, id); the ingest streams them unordered
  (`cartera.sources.erp_stream` says why);
- ERP ids become text keys, ``updated_at`` is ``write_date``; `account_move` feeds two entities
  (invoices: ``out_invoice``, credit notes: ``out_refund``, whose ``invoice_id`` is ``reversed_entry_id``);
- every table is read in one read-only, repeatable-read transaction (one snapshot for the run);
- an unreachable ERP, a missing table or a missing column raises `SourceUnavailableError`
  naming the source, the table and what to check. Nothing here logs a value or a DSN.

Why the overlap. ``write_date`` is stamped by the writing transaction (Odoo writes ``now()``, the
transaction's *start*), but the row only becomes visible when that transaction *commits*. A payment
written at 10:00 by a transaction that commits at 10:05 is invisible to an extract at 10:02; if that
extract lands anything written at 10:01, the watermark passes 10:00 and a plain ``write_date >
watermark`` never reads the payment. So every extract re-reads the last `overlap` before the
watermark (``CARTERA_ERP_EXTRACT_OVERLAP``, default one day), and the caller drops the row versions
(key, write_date) already landed or quarantined (`cartera.loading.watermarks.split_overlap`).
A row is therefore never missed when its transaction commits less than `overlap` after its
write_date; only a transaction left open longer than that can still slip by.

Postgres' commit-order alternatives were weighed and not taken: re-reading rows whose ``xmin`` the
previous snapshot could not see needs xid8 arithmetic on 32-bit ``xmin`` (wraparound, frozen rows)
and breaks when the ERP is read through a view, a logical replica or a foreign table; holding the
watermark back to the oldest open transaction needs ``pg_stat_activity`` rights over other users'
sessions (``pg_read_all_stats``) and sees nothing of the primary from a read replica. The overlap
needs only SELECT on the tables and the ``write_date`` index, on any Postgres the ERP may run.

This is the only module that speaks to the ERP.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING

import psycopg
from psycopg import sql

from cartera.db import connect
from cartera.errors import SourceUnavailableError
from cartera.raw_contract import raw_columns

if TYPE_CHECKING:  # pandas is heavy: imported where frames are built
    import pandas as pd

SOURCE = "erp"
_SCHEMA_HINT = (
    "that the ERP schema is right (CARTERA_ERP_SCHEMA) and holds the ERP tables (`cartera generate` fills a demo one)"
)


@dataclass(frozen=True)
class TableMapping:
    """How one raw entity is read from one ERP table: canonical column → SQL expression."""

    entity: str
    table: str
    key: tuple[str, ...]  # canonical columns naming one row (with updated_at: one row version)
    columns: Mapping[str, str]
    condition: str = "true"  # extra filter on the table (trusted constant)


def _mapping(entity: str, table: str, condition: str = "true", *, key: tuple[str, ...], **columns: str) -> TableMapping:
    missing = (set(raw_columns(entity)) | set(key)) - set(columns)
    if missing:  # a programming error, caught at import by any test
        raise ValueError(f"ERP mapping of {entity} lacks {sorted(missing)}")
    ordered = MappingProxyType({c: columns[c] for c in raw_columns(entity)})
    return TableMapping(entity, table, key, ordered, condition)


# Expressions are constants written here, never user input (safe to splice into SQL).
MAPPINGS: Mapping[str, TableMapping] = MappingProxyType(
    {
        m.entity: m
        for m in (
            _mapping(
                "customers",
                "res_partner",
                key=("customer_id",),
                customer_id="id::text",
                customer_name="name",
                rfc="vat",
                tax_regime="l10n_mx_tax_regime",
                country_code="country_code",
                state_code="state_code",
                city="city",
                postal_code="zip",
                industry="industry",
                credit_terms_days="payment_term_days",
                credit_limit="credit_limit",
                credit_limit_currency="credit_limit_currency",
                created_at="create_date",
                updated_at="write_date",
            ),
            _mapping(
                "contacts",
                "res_partner_contact",
                key=("contact_id",),
                contact_id="id::text",
                customer_id="partner_id::text",
                contact_name="name",
                email="email",
                mobile="mobile",
                whatsapp_opt_in="whatsapp_opt_in",
                email_opt_out="email_opt_out",
                sms_opt_out="sms_opt_out",
                preferred_language="lang",
                preferred_channel="preferred_channel",
                updated_at="write_date",
            ),
            _mapping(
                "invoices",
                "account_move",
                "move_type = 'out_invoice'",
                key=("invoice_id",),
                invoice_id="id::text",
                invoice_number="name",
                customer_id="partner_id::text",
                issue_date="invoice_date",
                due_date="invoice_date_due",
                currency="currency",
                subtotal="amount_untaxed",
                tax="amount_tax",
                total="amount_total",
                status="state",
                cfdi_uuid="l10n_mx_edi_cfdi_uuid::text",
                payment_method="null::text",
                updated_at="write_date",
            ),
            _mapping(
                "invoice_lines",
                "account_move_line",
                key=("line_id",),
                line_id="id::text",
                invoice_id="move_id::text",
                description="name",
                quantity="quantity",
                unit_price="price_unit",
                tax_rate="tax_rate",
                amount="price_subtotal",
                updated_at="write_date",
            ),
            _mapping(
                "credit_notes",
                "account_move",
                "move_type = 'out_refund'",
                key=("credit_note_id",),
                credit_note_id="id::text",
                credit_note_number="name",
                customer_id="partner_id::text",
                invoice_id="reversed_entry_id::text",
                issue_date="invoice_date",
                currency="currency",
                total="amount_total",
                reason="refund_reason",
                status="state",
                cfdi_uuid="l10n_mx_edi_cfdi_uuid::text",
                updated_at="write_date",
            ),
            _mapping(
                "payments",
                "account_payment",
                key=("payment_id",),
                payment_id="id::text",
                payment_number="name",
                customer_id="partner_id::text",
                payment_date="date",
                currency="currency",
                amount="amount",
                method="payment_method",
                status="state",
                updated_at="write_date",
            ),
            _mapping(
                "payment_allocations",
                "account_partial_reconcile",
                key=("allocation_id",),
                allocation_id="id::text",
                payment_id="payment_id::text",
                invoice_id="invoice_id::text",
                amount="amount",
                allocation_date="max_date",
                updated_at="write_date",
            ),
            _mapping(
                "disputes",
                "collection_dispute",
                key=("dispute_id",),
                dispute_id="id::text",
                invoice_id="move_id::text",
                customer_id="partner_id::text",
                opened_date="opened_date",
                resolved_date="resolved_date",
                reason="reason",
                status="state",
                updated_at="write_date",
            ),
            _mapping(
                "fx_rates",
                "res_currency_rate",
                key=("currency", "rate_date"),
                rate_date="name::date",
                currency="currency",
                rate_to_mxn="rate_to_mxn",
                updated_at="write_date",
            ),
        )
    }
)


@dataclass(frozen=True)
class Extract:
    """One entity's increment: canonical rows and the newest write_date among them (None: no rows).

    With an overlap, the frame also holds the rows re-read from before the watermark; `key` names
    the columns that, with ``updated_at``, tell whether such a row version was landed already.
    """

    entity: str
    table: str
    key: tuple[str, ...]
    frame: pd.DataFrame
    max_write_date: dt.datetime | None


@contextmanager
def open_erp(dsn: str) -> Iterator[psycopg.Connection]:
    """A read-only, repeatable-read connection to the ERP (one snapshot for the whole extract), in UTC."""
    with ExitStack() as stack:
        try:
            conn = stack.enter_context(connect(dsn, role=SOURCE))
        except SourceUnavailableError as exc:
            raise SourceUnavailableError(
                SOURCE,
                f"{exc.detail}, so no ERP table (res_partner, account_move, …) could be read",
                "that the ERP database is up and CARTERA_ERP_DATABASE_URL or the Airflow connection `cartera_erp` points to it",
            ) from exc
        conn.read_only = True
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        conn.execute("set time zone 'UTC'")
        # COPY text is landed as it is read: dates in ISO, UTF-8 (what the warehouse reads).
        conn.execute("set datestyle to 'ISO, YMD'")
        conn.execute("set client_encoding to 'UTF8'")
        yield conn


def extract(
    conn: psycopg.Connection,
    entity: str,
    *,
    schema: str,
    watermark: dt.datetime | None,
    upper_bound: dt.datetime,
    overlap: dt.timedelta = dt.timedelta(0),
) -> Extract:
    """Rows of `entity` written in (watermark - overlap, upper_bound], as the canonical raw columns
    (Python values). The re-read part may hold rows already landed: the caller drops those."""
    import pandas as pd

    mapping = MAPPINGS.get(entity)
    if mapping is None:
        raise ValueError(f"the ERP source has no entity {entity!r}; it has {', '.join(MAPPINGS)}")
    require_table(conn, schema, mapping.table)
    query = sql.SQL(
        "{select} where write_date > %s and write_date <= %s and ({condition}) order by write_date, id"
    ).format(select=select_sql(mapping, schema), condition=sql.SQL(mapping.condition))
    if overlap < dt.timedelta(0):
        raise ValueError("the overlap re-reads before the watermark: it cannot be negative")
    lower = watermark - overlap if watermark is not None else dt.datetime.min.replace(tzinfo=dt.UTC)
    with reading(schema, mapping), conn.cursor() as cur:
        cur.execute(query, (lower, upper_bound))
        rows = cur.fetchall()
    # dtype=object keeps the database's Python values (int, Decimal, date, None) exact for COPY.
    frame = pd.DataFrame(rows, columns=list(mapping.columns), dtype=object)
    updated_at = list(mapping.columns).index("updated_at")  # = write_date
    newest = max((row[updated_at] for row in rows), default=None)
    return Extract(entity, mapping.table, mapping.key, frame, newest)


def select_sql(mapping: TableMapping, schema: str) -> sql.Composed:
    """``select <expression> as <column>, … from <schema>.<table>``: the mapping's canonical columns."""
    return sql.SQL("select {columns} from {table}").format(
        columns=sql.SQL(", ").join(
            sql.SQL("{} as {}").format(sql.SQL(expression), sql.Identifier(column))
            for column, expression in mapping.columns.items()
        ),
        table=sql.Identifier(schema, mapping.table),
    )


@contextmanager
def reading(schema: str, mapping: TableMapping) -> Iterator[None]:
    """Read errors of one ERP table as `SourceUnavailableError` naming the table and what to check."""
    table = f"{schema}.{mapping.table}"
    try:
        yield
    except (psycopg.errors.UndefinedColumn, psycopg.errors.UndefinedTable) as exc:
        raise SourceUnavailableError(
            SOURCE,
            f"table {table} does not match the ERP contract ({exc.diag.message_primary})",
            "that the ERP version matches docs/data_model.md §1 (column names of " + mapping.table + ")",
        ) from exc
    except psycopg.errors.InsufficientPrivilege as exc:
        raise SourceUnavailableError(SOURCE, f"no permission to read table {table}", "the ERP user's grants") from exc


def require_table(conn: psycopg.Connection, schema: str, table: str) -> None:
    found = conn.execute("select to_regclass(format('%%I.%%I', %s::text, %s::text))", (schema, table)).fetchone()
    if not found or found[0] is None:
        raise SourceUnavailableError(SOURCE, f"table {schema}.{table} does not exist", _SCHEMA_HINT)
