"""The worklist and a customer's invoices read only what the page shows (the worklist's top
customers first, then their contacts, holds and reasons by customer; a customer's scores by score
date and customer), and show the rows the earlier whole-table queries showed: those queries are
kept here as the reference and run on the same book, with older scores, calls, holds and deferrals
added in a transaction that is rolled back."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from dashboard_book import AS_OF, CUSTOMERS
from psycopg import sql

from cartera.dashboard import scope, workspace
from cartera.dashboard.tables import Filters, fetch

pytestmark = pytest.mark.integration

# The worklist as it was read before (every customer's messages, calls, decisions and holds).
WORKLIST_BEFORE = """
with overdue as (
    select o.customer_id, count(*) as overdue_invoices, sum({amount}) as overdue_amount,
           max(o.days_past_due) as oldest_days
    from marts.fct_open_items o
    where o.as_of_date = (select max(as_of_date) from marts.fct_open_items) and o.days_past_due > 0
      and (%(currency)s::text is null or o.currency = %(currency)s) and {customers}
    group by o.customer_id
),
segments as (
    select customer_id, segment, risk_score, reasons from ml.customer_segments
    where score_date = (select max(score_date) from ml.customer_segments)
),
invoice_reasons as (
    select distinct on (customer_id) customer_id, reasons from ml.invoice_scores
    where score_date = (select max(score_date) from ml.invoice_scores)
    order by customer_id, p_late desc
),
last_message as (
    select customer_id, max(sent_at) as at from ops.outbox where sent_at is not null group by customer_id
),
last_call as (
    select customer_id, max(recorded_at) as at from ops.collector_activity where kind = 'call' group by customer_id
),
deferred as (
    select distinct on (customer_id) customer_id, next_allowed_at from ops.contact_decisions
    where verdict = 'defer' order by customer_id, decided_at desc
),
holds as (
    select customer_id, bool_or(until is null) as held, max(until) as held_until from ops.holds
    where released_at is null and (until is null or until > now()) group by customer_id
)
select o.customer_id,
       (select customer_name from marts.dim_customers d where d.customer_id = o.customer_id) as customer_name,
       (select collector from ops.collector_assignments a where a.customer_id = o.customer_id and a.ended_at is null)
           as collector,
       s.segment, s.risk_score, o.overdue_invoices, o.overdue_amount, o.oldest_days,
       coalesce(s.risk_score, 0.5) * o.overdue_amount * (1 + o.oldest_days / 30.0) as expected_recovery,
       s.reasons as segment_reasons, r.reasons as invoice_reasons,
       greatest(m.at, c.at) as last_contact_at,
       case when h.held then null
            else nullif(greatest(coalesce(d.next_allowed_at, '-infinity'), coalesce(h.held_until, '-infinity'),
                                 now()), now()) end as next_allowed_at,
       coalesce(h.held, false) as on_hold
from overdue o
left join segments s using (customer_id)
left join invoice_reasons r using (customer_id)
left join last_message m using (customer_id)
left join last_call c using (customer_id)
left join deferred d using (customer_id)
left join holds h using (customer_id)
order by expected_recovery desc nulls last, o.customer_id
limit {limit}
"""

# A customer's invoices as they were read before (each invoice's latest score by invoice id).
INVOICES_BEFORE = """
select i.invoice_id, i.invoice_number, i.issue_date, i.due_date, i.currency, i.total_amount,
       i.open_amount, o.days_past_due, i.is_disputed, i.settled_date,
       (select p_late from ml.invoice_scores s where s.invoice_id = i.invoice_id
        order by score_date desc limit 1) as p_late
from marts.fct_invoices i
left join marts.fct_open_items o on o.invoice_id = i.invoice_id
     and o.as_of_date = (select max(as_of_date) from marts.fct_open_items)
where i.customer_id = %s and (%s::text is null or i.currency = %s)
order by i.open_amount > 0 desc, i.due_date desc limit 500
"""

FILTERS = [
    Filters(),
    Filters(currency="USD"),
    Filters(currency="MXN"),
    Filters(collector="cobranza"),
    Filters(country="US"),
    Filters(segment="chronic"),
]


@pytest.fixture
def conn(book: str) -> Iterator[psycopg.Connection]:
    """The book with more history than it keeps: every customer scored on two earlier days (one
    with other probabilities and some invoices since settled), calls, holds (open, expired,
    released, open-ended) and deferrals; rolled back at the end."""
    with psycopg.connect(book) as connection:
        for days_back, shift in ((30, 0.05), (60, -0.03)):
            connection.execute(
                "insert into ml.invoice_scores (score_date, invoice_id, customer_id, model_id, p_late, "
                "expected_payment_date) select %s, invoice_id, customer_id, 'm-old', "
                "least(0.99, greatest(0.01, 0.5 + %s * (abs(hashtext(invoice_id)) %% 7 - 3))), due_date "
                "from marts.fct_invoices where issue_date <= %s",
                (AS_OF - dt.timedelta(days=days_back), shift, AS_OF - dt.timedelta(days=days_back)),
            )
        now = dt.datetime.now(dt.UTC)
        for n, customer in enumerate(sorted(CUSTOMERS)):
            if n % 2 == 0:
                connection.execute(
                    "insert into ops.collector_activity (customer_id, recorded_by, kind, outcome, recorded_at) "
                    "values (%s, 'ana', 'call', 'no_answer', %s)",
                    (customer, now - dt.timedelta(days=n, hours=3)),
                )
            if n % 3 == 0:
                until = (None, now + dt.timedelta(days=5), now - dt.timedelta(days=1))[n % 9 // 3]
                connection.execute(
                    "insert into ops.holds (customer_id, reason, opened_at, until) values (%s, 'manual', %s, %s)",
                    (customer, now - dt.timedelta(days=2), until),
                )
        yield connection
        connection.rollback()


def _reference_worklist(conn: psycopg.Connection, f: Filters) -> list[dict[str, Any]]:
    query = sql.SQL(WORKLIST_BEFORE).format(
        amount=sql.SQL("o.open_amount" if f.currency else "o.open_amount_mxn"),
        customers=scope.customers(f, "o.customer_id"),
        limit=sql.Literal(workspace.WORKLIST_LIMIT),
    )
    rows = fetch(conn, query, {"currency": f.currency, **scope.params(f)})
    for row in rows:
        row["reasons"] = "; ".join(
            part
            for part in (
                workspace._reasons(row.pop("segment_reasons"), f.lang),
                workspace._reasons(row.pop("invoice_reasons"), f.lang),
            )
            if part
        )
    return rows


@pytest.mark.parametrize("limit", [3, 100])
@pytest.mark.parametrize("f", FILTERS, ids=lambda f: ",".join(f"{k}={v}" for k, v in f.query().items()) or "all")
def test_the_worklist_shows_what_the_whole_table_query_showed(
    conn: psycopg.Connection, f: Filters, limit: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(workspace, "WORKLIST_LIMIT", limit)

    shown = workspace.worklist(conn, f).rows
    reference = _reference_worklist(conn, f)

    assert shown == reference


def test_the_worklist_book_has_what_the_comparison_needs(conn: psycopg.Connection) -> None:
    rows = workspace.worklist(conn, Filters()).rows

    assert len(rows) > 3
    assert any(r["on_hold"] for r in rows) and not all(r["on_hold"] for r in rows)
    assert any(r["next_allowed_at"] is not None for r in rows)
    assert any(r["last_contact_at"] is not None for r in rows)
    assert all(r["reasons"] for r in rows)


@pytest.mark.parametrize("currency", [None, "USD"])
@pytest.mark.parametrize("customer", sorted(CUSTOMERS))
def test_a_customers_invoices_show_what_the_per_invoice_query_showed(
    conn: psycopg.Connection, customer: str, currency: str | None
) -> None:
    f = Filters(customer_id=customer, currency=currency)

    shown = workspace.customer_invoices(conn, f).rows
    reference = fetch(conn, INVOICES_BEFORE, (customer, currency, currency))

    key = lambda r: r["invoice_id"]  # noqa: E731 - invoices due the same day come in either order
    assert sorted(shown, key=key) == sorted(reference, key=key)
    assert [r["due_date"] for r in shown] == [r["due_date"] for r in reference]


def test_a_customers_invoices_carry_the_latest_of_several_scores(conn: psycopg.Connection) -> None:
    customer = sorted(CUSTOMERS)[0]
    rows = workspace.customer_invoices(conn, Filters(customer_id=customer)).rows
    latest = {
        r["invoice_id"]: r["p_late"]
        for r in fetch(
            conn,
            "select distinct on (invoice_id) invoice_id, p_late from ml.invoice_scores where customer_id = %s "
            "order by invoice_id, score_date desc",
            (customer,),
        )
    }

    assert sum(1 for r in rows if r["p_late"] is not None and r["settled_date"] is not None) > 0
    assert {r["invoice_id"]: r["p_late"] for r in rows if r["invoice_id"] in latest} == latest


def test_an_invoice_shows_its_latest_score(conn: psycopg.Connection) -> None:
    invoices = fetch(conn, "select invoice_id from marts.fct_invoices order by invoice_id")
    shown = 0
    for row in invoices:
        invoice_id = row["invoice_id"]
        profile = workspace.invoice_profile(conn, invoice_id, "es")
        reference = fetch(
            conn,
            "select p_late, expected_payment_date from ml.invoice_scores where invoice_id = %s "
            "order by score_date desc limit 1",
            (invoice_id,),
        )
        assert profile is not None
        if reference:
            shown += 1
            assert (profile["p_late"], profile["expected_payment_date"]) == (
                reference[0]["p_late"],
                reference[0]["expected_payment_date"],
            )
        else:
            assert "p_late" not in profile

    assert shown > 10
