"""The collectors' workspace: the worklist ordered by expected recovery, search by name, RFC or
folio, and the drill-down customer → invoices → messages → decisions with their reasons.

Expected recovery = risk × overdue amount × (1 + days past due of the oldest overdue invoice / 30):
the customers where a call is worth the most come first. Risk is the customer's latest score
(amount-weighted probability of paying late); an unscored customer counts as 0.5."""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg import sql

from cartera.dashboard import scope
from cartera.dashboard.tables import Column, Filters, Table, columns_of, fetch
from cartera.errors import BadInputError
from cartera.resolve import resolve_customer, resolve_invoice

WORKLIST_LIMIT = 100


def _reasons(value: Any, lang: str) -> str:
    """A reasons list ([{es, en, ...}]) as one line in the page's language."""
    if not isinstance(value, list):
        return ""
    key = "en" if lang == "en" else "es"
    return "; ".join(str(r.get(key) or r.get("rule") or r.get("feature") or "") for r in value if isinstance(r, dict))


def _name_expr(conn: psycopg.Connection, alias: str) -> sql.Composable:
    if "customer_name" in columns_of(conn, "marts", "dim_customers"):
        return sql.SQL("(select customer_name from marts.dim_customers d where d.customer_id = {}.customer_id)").format(
            sql.Identifier(alias)
        )
    return sql.SQL("null::text")


def _collector_expr(conn: psycopg.Connection, alias: str) -> sql.Composable:
    if "collector" in columns_of(conn, "ops", "collector_assignments"):
        return sql.SQL(
            "(select collector from ops.collector_assignments a where a.customer_id = {}.customer_id "
            "and a.ended_at is null)"
        ).format(sql.Identifier(alias))
    return sql.SQL("null::text")


def worklist(conn: psycopg.Connection, f: Filters) -> Table:
    """Customers with overdue invoices on the latest day, by expected recovery, with why, the last
    contact and the next allowed contact; only the customers the segment, country and collector
    filters choose (the page opens a collector's own portfolio: pages.worklist_page)."""
    amount = "o.open_amount" if f.currency else "o.open_amount_mxn"
    query = sql.SQL(
        """
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
        -- The order depends on the overdue amounts and the segment only: the top of the list is
        -- chosen first, and only its customers are looked up below (by their indexes), so the
        -- page does not read every customer's messages, calls and decisions.
        top as (
            select o.*, s.segment, s.risk_score, s.reasons as segment_reasons,
                   coalesce(s.risk_score, 0.5) * o.overdue_amount * (1 + o.oldest_days / 30.0) as expected_recovery
            from overdue o left join segments s using (customer_id)
            order by expected_recovery desc nulls last, o.customer_id
            limit {limit}
        ),
        latest_invoice_scores as (select max(score_date) as score_date from ml.invoice_scores)
        select t.customer_id, {name} as customer_name, {collector} as collector, t.segment, t.risk_score,
               t.overdue_invoices, t.overdue_amount, t.oldest_days, t.expected_recovery,
               t.segment_reasons, r.reasons as invoice_reasons,
               greatest(m.at, c.at) as last_contact_at,
               case when h.held then null
                    else nullif(greatest(coalesce(d.next_allowed_at, '-infinity'), coalesce(h.held_until, '-infinity'),
                                         now()), now()) end as next_allowed_at,
               coalesce(h.held, false) as on_hold
        from top t
        left join lateral (
            select s.reasons from ml.invoice_scores s, latest_invoice_scores l
            where s.score_date = l.score_date and s.customer_id = t.customer_id
            order by s.p_late desc, s.invoice_id limit 1  -- between equal risks, the first invoice
        ) r on true
        left join lateral (
            select max(sent_at) as at from ops.outbox where customer_id = t.customer_id and sent_at is not null
        ) m on true
        left join lateral (
            select max(recorded_at) as at from ops.collector_activity where customer_id = t.customer_id and kind = 'call'
        ) c on true
        left join lateral (
            select next_allowed_at from ops.contact_decisions
            where customer_id = t.customer_id and verdict = 'defer' order by decided_at desc limit 1
        ) d on true
        left join lateral (
            select bool_or(until is null) as held, max(until) as held_until from ops.holds
            where customer_id = t.customer_id and released_at is null and (until is null or until > now())
        ) h on true
        order by t.expected_recovery desc nulls last, t.customer_id
        """
    ).format(
        amount=sql.SQL(amount),
        name=_name_expr(conn, "t"),
        collector=_collector_expr(conn, "t"),
        limit=sql.Literal(WORKLIST_LIMIT),
        customers=scope.customers(f, "o.customer_id"),
    )
    rows = fetch(conn, query, {"currency": f.currency, **scope.params(f)})
    for row in rows:
        row["reasons"] = "; ".join(
            part
            for part in (_reasons(row.pop("segment_reasons"), f.lang), _reasons(row.pop("invoice_reasons"), f.lang))
            if part
        )
    columns = [
        Column("customer_id", "customer"),
        Column("customer_name", "Nombre / name"),
        Column("segment", "segment"),
        Column("collector", "collector"),
        Column("risk_score", "Riesgo / risk", "num"),
        Column("overdue_invoices", "Vencidas / overdue", "int"),
        Column("overdue_amount", "Monto vencido / overdue amount", "money"),
        Column("oldest_days", "Días (más antigua) / oldest days", "int"),
        Column("expected_recovery", "Recuperación esperada / expected recovery", "num"),
        Column("reasons", "reasons"),
        Column("last_contact_at", "Último contacto / last contact", "datetime"),
        Column("next_allowed_at", "Próximo contacto permitido / next allowed", "datetime"),
        Column("on_hold", "En pausa / on hold", "bool"),
    ]
    return Table("worklist", "worklist", columns, rows, currency=f.currency or "MXN")


def search(conn: psycopg.Connection, f: Filters) -> Table:
    """Customers matching ``f.q``: an internal id, RFC or invoice folio (resolved exactly, as the
    CLI resolves them), or a part of the name."""
    columns = [Column("customer_id", "customer"), Column("customer_name", "Nombre / name"), Column("matched_by", "")]
    if not f.q:
        return Table("search", "search", columns, [])
    found: dict[str, str] = {}
    for what, resolve in (("id / RFC", resolve_customer), ("folio", lambda c, r: resolve_invoice(c, r).customer_id)):
        try:
            with conn.transaction():
                found.setdefault(str(resolve(conn, f.q)), what)
        except (BadInputError, psycopg.Error):
            continue
    if "customer_name" in columns_of(conn, "marts", "dim_customers"):
        pattern = "%" + f.q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        for row in fetch(
            conn,
            "select customer_id from marts.dim_customers where customer_name ilike %s order by customer_name limit 50",
            (pattern,),
        ):
            found.setdefault(str(row["customer_id"]), "nombre / name")
    names = {
        str(r["customer_id"]): r["customer_name"]
        for r in fetch(
            conn,
            "select customer_id, customer_name from marts.dim_customers where customer_id = any(%s)",
            (list(found),),
        )
    }
    rows = [{"customer_id": cid, "customer_name": names.get(cid), "matched_by": how} for cid, how in found.items()]
    return Table("search", "search", columns, rows)


def customer_profile(conn: psycopg.Connection, customer_id: str, lang: str) -> dict[str, Any] | None:
    """The customer's header: id, name, RFC, country, state, zone, collector, segment, risk and why."""
    cols = columns_of(conn, "marts", "dim_customers")
    wanted = [
        c for c in ("customer_name", "rfc", "country_code", "state_code", "timezone", "credit_terms_days") if c in cols
    ]
    profile: dict[str, Any] = {"customer_id": customer_id}
    if wanted:
        rows = fetch(
            conn,
            sql.SQL("select {} from marts.dim_customers where customer_id = %s").format(
                sql.SQL(", ").join(sql.Identifier(c) for c in wanted)
            ),
            (customer_id,),
        )
        if rows:
            profile.update(rows[0])
    seg = fetch(
        conn,
        "select segment, risk_score, reasons from ml.customer_segments where customer_id = %s "
        "order by score_date desc limit 1",
        (customer_id,),
    )
    assigned = fetch(
        conn,
        "select collector from ops.collector_assignments where customer_id = %s and ended_at is null",
        (customer_id,),
    )
    if assigned:
        profile["collector"] = assigned[0]["collector"]
    if seg:
        profile.update(segment=seg[0]["segment"], risk_score=seg[0]["risk_score"])
        profile["reasons"] = _reasons(seg[0]["reasons"], lang)
    return profile if len(profile) > 1 else None


# ml.invoice_scores' score dates, newest first, walked down one index probe each (a loose index
# scan of its key (score_date, invoice_id)): a page looks an invoice's latest score up per date
# instead of passing over every score. The start of a WITH clause; the caller adds its query.
_SCORE_DATES = sql.SQL("""with recursive score_dates as (
    select max(score_date) as score_date from ml.invoice_scores
    union all
    select (select max(s.score_date) from ml.invoice_scores s where s.score_date < d.score_date)
    from score_dates d where d.score_date is not null
)""")


def customer_invoices(conn: psycopg.Connection, f: Filters) -> Table:
    cols = columns_of(conn, "marts", "fct_invoices")
    number = sql.SQL("i.invoice_number") if "invoice_number" in cols else sql.SQL("null::text")
    # Each invoice's latest score. ml.invoice_scores is keyed (score_date, invoice_id) and indexed
    # (score_date, customer_id): the score dates are walked down one index probe each (a loose
    # index scan), and each date's rows of this customer read by the second index, so the page
    # costs a probe per score date instead of a pass over every score per invoice shown.
    rows = fetch(
        conn,
        sql.SQL(
            """{score_dates},
               latest_scores as (
                   select distinct on (s.invoice_id) s.invoice_id, s.p_late
                   from score_dates d
                   join ml.invoice_scores s on s.score_date = d.score_date and s.customer_id = %(customer)s
                   order by s.invoice_id, s.score_date desc
               ),
               latest_open_items as (select max(as_of_date) as as_of_date from marts.fct_open_items)
               select i.invoice_id, {number} as invoice_number, i.issue_date, i.due_date, i.currency, i.total_amount,
                      i.open_amount, o.days_past_due, i.is_disputed, i.settled_date, ls.p_late
               from marts.fct_invoices i
               cross join latest_open_items l
               left join marts.fct_open_items o on o.invoice_id = i.invoice_id and o.as_of_date = l.as_of_date
               left join latest_scores ls on ls.invoice_id = i.invoice_id
               where i.customer_id = %(customer)s and (%(currency)s::text is null or i.currency = %(currency)s)
               order by i.open_amount > 0 desc, i.due_date desc limit 500"""
        ).format(score_dates=_SCORE_DATES, number=number),
        {"customer": f.customer_id, "currency": f.currency},
    )
    columns = [
        Column("invoice_id", "invoice"),
        Column("invoice_number", "Folio"),
        Column("issue_date", "Emisión / issued", "date"),
        Column("due_date", "Vence / due", "date"),
        Column("currency", "currency"),
        Column("total_amount", "Total", "num"),
        Column("open_amount", "Saldo / open", "num"),
        Column("days_past_due", "Días vencida / days past due", "int"),
        Column("p_late", "P(atraso) / P(late)", "rate"),
        Column("is_disputed", "En disputa / disputed", "bool"),
        Column("settled_date", "Liquidada / settled", "date"),
    ]
    return Table("customer_invoices", "invoices", columns, rows)


_MESSAGE_COLUMNS = [
    Column("outbox_id", "#", "int"),
    Column("as_of_date", "Fecha / day", "date"),
    Column("step", "Paso / step"),
    Column("channel", "channel"),
    Column("status", "Estado / status"),
    Column("status_reason", "reason"),
    Column("invoices", "invoices", "int"),
    Column("sent_at", "Enviado / sent", "datetime"),
]
_DECISION_COLUMNS = [
    Column("decided_at", "Cuándo / when", "datetime"),
    Column("stage", "Etapa / stage"),
    Column("channel", "channel"),
    Column("verdict", "Veredicto / verdict"),
    Column("reason", "reason"),
    Column("rule_id", "Regla / rule"),
    Column("rule_pack_version", "Versión / version"),
    Column("next_allowed_at", "Próximo permitido / next allowed", "datetime"),
]


def _messages(conn: psycopg.Connection, where: str, value: str) -> list[dict[str, Any]]:
    return fetch(
        conn,
        sql.SQL(
            "select outbox_id, as_of_date, step, channel, status, status_reason, cardinality(invoice_ids) as invoices, "
            "sent_at from ops.outbox where {} order by created_at desc, outbox_id desc limit 200"
        ).format(sql.SQL(where)),
        (value,),
    )


def _decisions(conn: psycopg.Connection, where: str, value: str, lang: str) -> list[dict[str, Any]]:
    reason = "reason_en" if lang == "en" else "reason_es"
    return fetch(
        conn,
        sql.SQL(
            "select decided_at, stage, channel, verdict, {reason} as reason, rule_id, rule_pack_version, "
            "next_allowed_at from ops.contact_decisions where {where} order by decided_at desc limit 200"
        ).format(reason=sql.Identifier(reason), where=sql.SQL(where)),
        (value,),
    )


def customer_messages(conn: psycopg.Connection, f: Filters) -> Table:
    rows = _messages(conn, "customer_id = %s", f.customer_id or "")
    return Table("customer_messages", "messages", list(_MESSAGE_COLUMNS), rows)


def customer_decisions(conn: psycopg.Connection, f: Filters) -> Table:
    rows = _decisions(conn, "customer_id = %s", f.customer_id or "", f.lang)
    return Table("customer_decisions", "decisions", list(_DECISION_COLUMNS), rows)


def customer_holds(conn: psycopg.Connection, f: Filters) -> Table:
    rows = fetch(
        conn,
        "select hold_id, invoice_id, reason, opened_at, until, released_at, note from ops.holds "
        "where customer_id = %s order by opened_at desc limit 200",
        (f.customer_id,),
    )
    columns = [
        Column("hold_id", "#", "int"),
        Column("invoice_id", "invoice"),
        Column("reason", "reason"),
        Column("opened_at", "Abierta / opened", "datetime"),
        Column("until", "Hasta / until", "datetime"),
        Column("released_at", "Liberada / released", "datetime"),
        Column("note", "note"),
    ]
    return Table("customer_holds", "holds", columns, rows)


def customer_activity(conn: psycopg.Connection, f: Filters) -> Table:
    rows = fetch(
        conn,
        "select recorded_at, recorded_by, kind, outcome, invoice_id, promised_date, note from ops.collector_activity "
        "where customer_id = %s order by recorded_at desc, activity_id desc limit 200",
        (f.customer_id,),
    )
    columns = [
        Column("recorded_at", "Cuándo / when", "datetime"),
        Column("recorded_by", "Quién / who"),
        Column("kind", "Qué / what"),
        Column("outcome", "outcome"),
        Column("invoice_id", "invoice"),
        Column("promised_date", "promised_date", "date"),
        Column("note", "note"),
    ]
    return Table("customer_activity", "activity", columns, rows)


def invoice_profile(conn: psycopg.Connection, invoice_id: str, lang: str) -> dict[str, Any] | None:
    rows = fetch(conn, "select * from marts.fct_invoices where invoice_id = %s", (invoice_id,))
    if not rows:
        return None
    profile = rows[0]
    # The latest score of the invoice: the score dates walked down by the primary key (score_date,
    # invoice_id), one probe each, instead of a pass over every score (see customer_invoices).
    score = fetch(
        conn,
        sql.SQL(
            """{score_dates}
           select s.p_late, s.expected_payment_date, s.reasons
           from score_dates d join ml.invoice_scores s on s.score_date = d.score_date and s.invoice_id = %s
           order by s.score_date desc limit 1"""
        ).format(score_dates=_SCORE_DATES),
        (invoice_id,),
    )
    if score:
        profile.update(
            p_late=score[0]["p_late"],
            expected_payment_date=score[0]["expected_payment_date"],
            reasons=_reasons(score[0]["reasons"], lang),
        )
    return profile


def invoice_messages(conn: psycopg.Connection, f: Filters) -> Table:
    rows = _messages(conn, "%s = any(invoice_ids)", f.invoice_id or "")
    return Table("invoice_messages", "messages", list(_MESSAGE_COLUMNS), rows)


def invoice_decisions(conn: psycopg.Connection, f: Filters) -> Table:
    rows = _decisions(conn, "%s = any(invoice_ids || blocked_invoice_ids)", f.invoice_id or "", f.lang)
    return Table("invoice_decisions", "decisions", list(_DECISION_COLUMNS), rows)
