"""The canonical raw entities: their tables and columns, as created by `cartera/sql/00_ingest.sql`.

Every source (ERP, files, CFDI) maps its rows to these columns; the loader copies them in this
order. `load_id`, `source` and `loaded_at` are added by the loader, not by the source.
"""

from __future__ import annotations

from types import MappingProxyType

# Order matters twice: it is the COPY column order, and the entity order of a full ingest
# (parents before children, so a reader of a half-finished run sees customers before invoices).
RAW_COLUMNS = MappingProxyType(
    {
        "customers": (
            "customer_id",
            "customer_name",
            "rfc",
            "tax_regime",
            "country_code",
            "state_code",
            "city",
            "postal_code",
            "industry",
            "credit_terms_days",
            "credit_limit",
            "credit_limit_currency",
            "created_at",
            "updated_at",
        ),
        "contacts": (
            "contact_id",
            "customer_id",
            "contact_name",
            "email",
            "mobile",
            "whatsapp_opt_in",
            "email_opt_out",
            "sms_opt_out",
            "preferred_language",
            "preferred_channel",
            "updated_at",
        ),
        "invoices": (
            "invoice_id",
            "invoice_number",
            "customer_id",
            "issue_date",
            "due_date",
            "currency",
            "subtotal",
            "tax",
            "total",
            "status",
            "cfdi_uuid",
            "payment_method",
            "updated_at",
        ),
        "invoice_lines": (
            "line_id",
            "invoice_id",
            "description",
            "quantity",
            "unit_price",
            "tax_rate",
            "amount",
            "updated_at",
        ),
        "credit_notes": (
            "credit_note_id",
            "credit_note_number",
            "customer_id",
            "invoice_id",
            "issue_date",
            "currency",
            "total",
            "reason",
            "status",
            "cfdi_uuid",
            "updated_at",
        ),
        "payments": (
            "payment_id",
            "payment_number",
            "customer_id",
            "payment_date",
            "currency",
            "amount",
            "method",
            "status",
            "updated_at",
        ),
        "payment_allocations": (
            "allocation_id",
            "payment_id",
            "invoice_id",
            "amount",
            "allocation_date",
            "updated_at",
        ),
        "disputes": (
            "dispute_id",
            "invoice_id",
            "customer_id",
            "opened_date",
            "resolved_date",
            "reason",
            "status",
            "updated_at",
        ),
        "fx_rates": ("rate_date", "currency", "rate_to_mxn", "updated_at"),
    }
)

ENTITIES: tuple[str, ...] = tuple(RAW_COLUMNS)


def raw_columns(entity: str) -> tuple[str, ...]:
    """The canonical columns of `entity`; ValueError for an entity cartera does not know."""
    try:
        return RAW_COLUMNS[entity]
    except KeyError:
        raise ValueError(f"unknown raw entity {entity!r}; expected one of {', '.join(ENTITIES)}") from None
