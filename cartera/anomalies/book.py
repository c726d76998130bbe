"""What the detectors read and what they find: frames of one book as of a business date, and
:class:`Finding`, one anomaly with its facts and its reasons in Spanish and English.

Every frame holds what was known at the end of the business date and nothing later. Personal
data never enters: e-mails arrive as hashes (of the address and of its domain), so a change can
be seen without the address. Dates are ``datetime.date``, instants timezone-aware UTC.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    import pandas as pd

Severity = Literal["info", "warning", "high", "critical"]

# Columns of each frame (the loaders build exactly these).
COLUMNS: dict[str, tuple[str, ...]] = {
    # posted invoices issued by as_of; first_seen: the earliest version's write stamp; seen_live: that
    # version was extracted soon after it was written (so first_seen is the posting, not a bulk load)
    "invoices": ("invoice_id", "invoice_number", "cfdi_uuid", "customer_id", "issue_date", "due_date", "currency",
                 "total_amount", "total_mxn", "settled_date", "first_seen", "seen_live"),
    "invoice_versions": ("invoice_id", "customer_id", "issue_date", "due_date", "total_amount", "updated_at"),
    "credit_notes": ("credit_note_id", "customer_id", "invoice_id", "issue_date", "currency", "total_amount",
                     "total_mxn"),
    "payment_versions": ("payment_id", "customer_id", "payment_date", "currency", "amount", "amount_mxn", "status",
                         "updated_at"),
    "allocations": ("allocation_id", "payment_id", "invoice_id", "amount", "allocation_date"),
    "customer_versions": ("customer_id", "credit_terms_days", "credit_limit", "credit_limit_currency", "updated_at"),
    "contact_versions": ("contact_id", "customer_id", "email_key", "domain_key", "updated_at"),
    "requests": ("customer_id", "requested_at"),  # payment requests: invoices posted, reminders sent
    "collector_activity": ("recorded_by", "recorded_at", "kind", "customer_id"),
    "customer_rfcs": ("customer_id", "rfc"),
    "sat_69b": ("rfc", "situation", "presumed_published", "list_published"),
}  # fmt: skip


def key_of(text: str | None) -> str | None:
    """A short, one-way key for comparing an e-mail (or its domain) across versions."""
    if not text:
        return None
    return hashlib.sha256(text.strip().lower().encode()).hexdigest()[:16]


@dataclass
class AnomalyBook:
    """The frames of :data:`COLUMNS` for one book as of ``as_of``."""

    as_of: dt.date
    frames: dict[str, pd.DataFrame]

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.frames[name]


@dataclass(frozen=True)
class Reason:
    es: str
    en: str

    def text(self) -> str:
        return f"{self.es} | {self.en}"


@dataclass(frozen=True)
class Finding:
    """One anomaly. ``facts`` name what was found (ids, dates, amounts): the same facts give the
    same ``dedup_key``, so a dismissed alert is not raised again until the facts change."""

    kind: str
    severity: Severity
    entity_type: str
    entity_id: str
    customer_id: str | None
    day: dt.date  # when the fact happened (lookback windows use it)
    facts: tuple[str, ...]
    reasons: tuple[Reason, ...]
    score: float | None = field(default=None, compare=False)

    @property
    def dedup_key(self) -> str:
        digest = hashlib.sha256("|".join(self.facts).encode()).hexdigest()[:16]
        return f"anomaly:{self.kind}:{self.entity_type}:{self.entity_id}:{digest}"
