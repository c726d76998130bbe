"""The next batch's e-mails rendered while this batch is decided and sent (large dispatches).

Rendering and judging a batch's e-mails in worker processes (:mod:`.prerender`) took most of a
large dispatch's time, and the dispatcher sat idle waiting for them; then the workers sat idle
while it wrote the decisions and made the requests. So, when the workers are on, the dispatcher
claims the next batch before deciding this one, reads what rendering needs for it *without* the
customers' locks, and hands those jobs to the workers (through one background thread, the only
user of the pool): they render batch N+1 while batch N is decided and sent.

What was read without the locks is only a guess. Under the locks, :func:`.dispatch_decide.decide`
builds every job again from what it reads there and takes a rendering made ahead only when its
job is equal, field for field (the same invoices and amounts, recipient, language, creditor,
country); any other row is rendered again in the dispatcher. Rendering is pure, so the text the
law judges is always the text of the data read under the locks, as before.

Claiming ahead changes nothing for exactly once: a claimed row has no attempt until it is
decided, so a dispatcher that dies holding it leaves it ``sending`` without an attempt, and
recovery gives it back ``pending``; a configuration error gives it back at once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import psycopg

from cartera.campaigns import contact_data as data
from cartera.campaigns import outbox
from cartera.campaigns.candidates import OpenItem
from cartera.campaigns.dispatch_options import DispatchOptions
from cartera.campaigns.prerender import Prerenderer, Rendered, RenderJob


@dataclass
class Ahead:
    """A claimed batch whose e-mails are being rendered from data read without the locks."""

    rows: list[outbox.OutboxRow]
    jobs: dict[int, RenderJob]  # by outbox_id
    results: Future[list[Rendered]]

    def rendered(self) -> dict[int, tuple[RenderJob, Rendered]]:
        """Every job with its rendering (waits for the workers)."""
        return dict(zip(self.jobs, zip(self.jobs.values(), self.results.result(), strict=True), strict=True))


def render_jobs(
    rows: list[outbox.OutboxRow],
    current: Mapping[str, OpenItem],
    snapshot_date: dt.date | None,
    recipients: Mapping[str, data.Recipient],
    audiences: Mapping[str, tuple[str, bool]],
    references: Mapping[str, str],
    opts: DispatchOptions,
) -> dict[int, RenderJob]:
    """The e-mail of every row that can be rendered (a recipient with an address, every invoice
    still open), by outbox_id: what the workers render and judge. `audiences`: each customer's
    (country, is_consumer), as its profile says."""
    jobs: dict[int, RenderJob] = {}
    for row in rows:
        recipient = recipients.get(row.customer_id)
        items = tuple(current.get(i) or data.closed_placeholder(i, row.customer_id) for i in row.invoice_ids)
        if row.channel == "email" and recipient and recipient.email and all(i.is_open for i in items):
            jobs[row.outbox_id] = render_job(
                row, items, recipient, audiences[row.customer_id], snapshot_date, references, opts
            )
    return jobs


def render_job(
    row: outbox.OutboxRow,
    items: tuple[OpenItem, ...],
    recipient: data.Recipient,
    audience: tuple[str, bool],
    snapshot_date: dt.date | None,
    references: Mapping[str, str],
    opts: DispatchOptions,
) -> RenderJob:
    """What rendering and judging `row`'s message needs."""
    return RenderJob(
        channel=row.channel,
        template=row.template,
        language=recipient.language,
        invoices=items,
        as_of=snapshot_date or row.as_of_date,
        company_name=opts.company_name,
        contact_name=recipient.contact_name,
        reference=references.get(row.customer_id, row.customer_id),
        country=audience[0],
        is_consumer=audience[1],
    )


class RenderAhead:
    """Hands batches to the render workers from one background thread; :meth:`close` it (then
    close the :class:`Prerenderer`)."""

    def __init__(self, prerender: Prerenderer) -> None:
        self._prerender = prerender
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="render-ahead")

    def start(
        self, conn: psycopg.Connection, rows: list[outbox.OutboxRow], at: dt.datetime, opts: DispatchOptions
    ) -> Ahead:
        """Read what rendering `rows` needs (without locks; committed, so no snapshot is held)
        and start rendering it."""
        customers = sorted({row.customer_id for row in rows})
        snapshot_date, current = data.load_current_items(conn, {i for row in rows for i in row.invoice_ids})
        recipients = data.load_recipients(conn, customers)
        facts = conn.execute(
            "select ids.customer_id, coalesce(c.country_code, 'MX'), nullif(upper(trim(c.rfc)), '') "
            "from unnest(%s::text[]) as ids(customer_id) left join marts.dim_customers c using (customer_id)",
            (customers,),
        ).fetchall()
        conn.commit()
        # What rendering needs of the profile (country; is_consumer as data.load_profiles sets it)
        # and the payment reference, as data.load_payment_references reads it: a guess, checked
        # under the locks like the rest.
        audiences = {str(c): ((str(country).strip() or "MX").upper(), False) for c, country, _ in facts}
        references = {str(c): str(rfc or c) for c, _, rfc in facts}
        jobs = render_jobs(rows, current, snapshot_date, recipients, audiences, references, opts)
        return Ahead(rows, jobs, self._thread.submit(self._prerender.map, list(jobs.values())))

    def close(self) -> None:
        self._thread.shutdown(wait=True, cancel_futures=True)
