"""Candidate messages for one business date: the open invoices a playbook step applies to,
grouped into one candidate per customer per step.

Inputs (contracts in docs/data_model.md): ``marts.fct_open_items`` for ``as_of_date = D``,
``ml.customer_segments`` (the latest ``score_date <= D`` per customer) and ``ml.invoice_scores``
(the latest ``score_date <= D`` per invoice, used to list the riskiest invoices first).
A customer without a segment yet is treated as ``new``: it gets the preventive reminder, which is
the cautious choice for an unknown payer.

Invoices that already had a step (an outbox row pending, sending, deferred or sent) are left out,
so a step fires at most once per invoice however many days its range spans.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import cast

import psycopg

from cartera.campaigns.playbook import SEGMENTS, Playbook, Segment, Step


@dataclass(frozen=True)
class OpenItem:
    """One invoice as a message sees it (a row of marts.fct_open_items, plus its score)."""

    invoice_id: str
    invoice_number: str
    customer_id: str
    due_date: dt.date
    currency: str
    open_amount: Decimal
    open_amount_mxn: Decimal
    days_past_due: int
    is_disputed: bool
    p_late: float | None = None
    issue_date: dt.date | None = None
    cfdi_uuid: str | None = None  # the CFDI's folio fiscal, which accounts-payable teams match on

    @property
    def is_open(self) -> bool:
        return self.open_amount > 0


@dataclass(frozen=True)
class Candidate:
    """One message (or escalation) to consider: a customer, a step, and the invoices it covers.

    `channel` is None until the service picks the first channel of the step the contact can
    receive; escalations never get one.
    """

    customer_id: str
    segment: Segment
    step: Step
    invoices: tuple[OpenItem, ...]
    channel: str | None = None

    @property
    def invoice_ids(self) -> tuple[str, ...]:
        return tuple(sorted(item.invoice_id for item in self.invoices))

    def with_invoices(self, invoices: Iterable[OpenItem]) -> Candidate:
        return replace(self, invoices=tuple(invoices))

    def with_channel(self, channel: str) -> Candidate:
        return replace(self, channel=channel)


_OPEN_ITEMS_SQL = """
select o.invoice_id, o.invoice_number, o.customer_id, o.due_date, o.currency, o.open_amount,
       o.open_amount_mxn, o.days_past_due, coalesce(o.is_disputed, false) as is_disputed, s.p_late,
       o.issue_date, o.cfdi_uuid
from marts.fct_open_items o
left join lateral (
    select p_late from ml.invoice_scores s
    where s.invoice_id = o.invoice_id and s.score_date <= %(as_of)s
    order by s.score_date desc limit 1
) s on true
where o.as_of_date = %(as_of)s
"""

_SEGMENTS_SQL = """
select distinct on (customer_id) customer_id, segment
from ml.customer_segments
where score_date <= %(as_of)s
order by customer_id, score_date desc
"""

# A row lists every open invoice of its customer, but fired only the (step, invoice) pairs in
# step_invoices ('step:invoice_id'); rows written before that column fired their step for each
# invoice they list.
_COVERED_SQL = """
select distinct split_part(pair, ':', 1), substr(pair, strpos(pair, ':') + 1)
from ops.outbox o cross join lateral unnest(o.step_invoices) as pair
where o.status in ('pending', 'sending', 'deferred', 'sent', 'unknown', 'review')
union
select distinct o.step, unnest(o.invoice_ids) as invoice_id
from ops.outbox o
where o.status in ('pending', 'sending', 'deferred', 'sent', 'unknown', 'review') and o.step_invoices is null
union
select distinct t.step, unnest(t.invoice_ids) from ops.collection_tasks t
"""

_MESSAGED_ON_SQL = "select distinct customer_id from ops.outbox where as_of_date = %s"


def open_item_from_row(row: tuple[object, ...]) -> OpenItem:
    """An OpenItem from a row in the column order of the open-items queries (issue date and
    CFDI UUID, the last two, are optional)."""
    invoice_id, number, customer_id, due, currency, amount, amount_mxn, dpd, disputed, p_late = row[:10]
    issue_date, cfdi_uuid = (row[10], row[11]) if len(row) >= 12 else (None, None)
    return OpenItem(
        invoice_id=str(invoice_id),
        invoice_number=str(number),
        customer_id=str(customer_id),
        due_date=cast(dt.date, due),
        currency=str(currency),
        open_amount=Decimal(str(amount)),
        open_amount_mxn=Decimal(str(amount_mxn)),
        days_past_due=int(cast(int, dpd)),
        is_disputed=bool(disputed),
        p_late=float(cast(float, p_late)) if p_late is not None else None,
        issue_date=cast(dt.date, issue_date) if issue_date is not None else None,
        cfdi_uuid=str(cfdi_uuid).strip() or None if cfdi_uuid is not None else None,
    )


def load_open_items(conn: psycopg.Connection, as_of: dt.date) -> list[OpenItem]:
    """The invoices open on `as_of`, with their latest score on or before that date."""
    return [open_item_from_row(row) for row in conn.execute(_OPEN_ITEMS_SQL, {"as_of": as_of}).fetchall()]


def load_segments(conn: psycopg.Connection, as_of: dt.date) -> dict[str, Segment]:
    """Each customer's latest segment scored on or before `as_of`."""
    rows = conn.execute(_SEGMENTS_SQL, {"as_of": as_of}).fetchall()
    return {str(customer): cast(Segment, segment) for customer, segment in rows if segment in SEGMENTS}


def load_covered(conn: psycopg.Connection) -> set[tuple[str, str]]:
    """(step, invoice_id) pairs that already have a live or sent message or an escalation."""
    return {(str(step), str(invoice)) for step, invoice in conn.execute(_COVERED_SQL).fetchall()}


def load_messaged_on(conn: psycopg.Connection, as_of: dt.date) -> set[str]:
    """Customers that already have an outbox row for business day `as_of` (any status): a
    rebuild adds no second message for them that day."""
    return {str(customer) for (customer,) in conn.execute(_MESSAGED_ON_SQL, (as_of,)).fetchall()}


def build_candidates(
    open_items: Iterable[OpenItem],
    segments: Mapping[str, Segment],
    playbook: Playbook,
    covered: set[tuple[str, str]] | frozenset[tuple[str, str]] = frozenset(),
) -> list[Candidate]:
    """Group open items into one candidate per (customer, step).

    Items with no open amount, or for which the playbook prescribes nothing, or that already had
    that step (`covered`), are left out. Disputed items are kept: the contact check denies them
    and records why. Within a customer, candidates come most pressing step first; invoices are
    ordered riskiest first, then by due date.
    """
    groups: dict[tuple[str, str], list[OpenItem]] = {}
    steps: dict[str, Step] = {}
    for item in open_items:
        if not item.is_open:
            continue
        segment = segments.get(item.customer_id, "new")
        step = playbook.step_for(segment, item.days_past_due)
        if step is None or (step.name, item.invoice_id) in covered:
            continue
        groups.setdefault((item.customer_id, step.name), []).append(item)
        steps[step.name] = step
    candidates = [
        Candidate(
            customer_id=customer_id,
            segment=segments.get(customer_id, "new"),
            step=steps[step_name],
            invoices=tuple(sorted(items, key=lambda i: (-(i.p_late or 0.0), i.due_date, i.invoice_number))),
        )
        for (customer_id, step_name), items in groups.items()
    ]
    return sorted(candidates, key=lambda c: (c.customer_id, -c.step.severity))
