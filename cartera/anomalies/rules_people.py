"""Rules on customers and people: a contact e-mail moved to another domain just before a payment
request, a sudden change of terms or credit limit, collectors opening holds or disputes in bulk,
and customers on SAT's 69-B list of companies presumed to invoice simulated operations.

The ERP has no customer bank accounts (no ``res.partner.bank``): the e-mail the reminders and
payment details go to is what a fraudster changes here. E-mails arrive as hashes only.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from cartera.anomalies.book import AnomalyBook, Finding, Reason, Severity

REQUEST_WINDOW = dt.timedelta(days=7)
TERMS_JUMP_DAYS = 45
LIMIT_RATIO = 2.0
BULK_MIN_ACTIONS = 15
BULK_MADS = 8.0
MIN_HISTORY_DAYS = 10
# Desvirtuado and Sentencia Favorable clear the RFC.
ON_69B: dict[str, Severity] = {"Presunto": "high", "Definitivo": "critical"}


def contact_changed_before_request(book: AnomalyBook) -> list[Finding]:
    """A contact's e-mail changed to another domain, followed within :data:`REQUEST_WINDOW` by a
    payment request (an invoice posted or a reminder sent) to that customer."""
    versions = book["contact_versions"].sort_values(["contact_id", "updated_at"])
    requests = book["requests"].sort_values("requested_at")
    by_customer = {c: g.requested_at.tolist() for c, g in requests.groupby("customer_id")}
    found = []
    for contact_id, group in versions.groupby("contact_id", sort=False):
        rows = list(group.itertuples(index=False))
        for before, after in zip(rows, rows[1:], strict=False):
            if before.email_key == after.email_key or before.domain_key == after.domain_key:
                continue
            changed = after.updated_at
            nxt = next(
                (r for r in by_customer.get(after.customer_id, []) if changed < r <= changed + REQUEST_WINDOW), None
            )
            if nxt is None:
                continue
            hours = (nxt - changed).total_seconds() / 3600
            found.append(Finding(
                "contact_changed_before_request", "high", "customer", str(after.customer_id), str(after.customer_id),
                changed.date(), (str(contact_id), changed.isoformat()),
                (Reason(f"El correo del contacto {contact_id} cambió a otro dominio el {changed.date()}, "
                        f"{hours:.0f} horas antes de una solicitud de pago",
                        f"Contact {contact_id}'s e-mail moved to another domain on {changed.date()}, "
                        f"{hours:.0f} hours before a payment request"),),
            ))  # fmt: skip
    return found


def terms_changed(book: AnomalyBook) -> list[Finding]:
    """Credit terms lengthened by :data:`TERMS_JUMP_DAYS` days or more, or a credit limit multiplied
    by :data:`LIMIT_RATIO` or more (same currency), from one version of the customer to the next."""
    versions = book["customer_versions"].sort_values(["customer_id", "updated_at"])
    found = []
    for customer_id, group in versions.groupby("customer_id", sort=False):
        rows = list(group.itertuples(index=False))
        for before, after in zip(rows, rows[1:], strict=False):
            reasons = []
            if after.credit_terms_days - before.credit_terms_days >= TERMS_JUMP_DAYS:
                reasons.append(
                    Reason(
                        f"Plazo de crédito de {before.credit_terms_days} a {after.credit_terms_days} días",
                        f"Credit terms from {before.credit_terms_days} to {after.credit_terms_days} days",
                    )
                )
            same = before.credit_limit_currency == after.credit_limit_currency
            if same and before.credit_limit and after.credit_limit / before.credit_limit >= LIMIT_RATIO:
                ratio = after.credit_limit / before.credit_limit
                reasons.append(
                    Reason(f"Límite de crédito multiplicado por {ratio:.1f}", f"Credit limit multiplied by {ratio:.1f}")
                )
            if reasons:
                changed = after.updated_at
                found.append(Finding(
                    "terms_changed", "high", "customer", str(customer_id), str(customer_id), changed.date(),
                    (str(customer_id), changed.isoformat()), tuple(reasons),
                ))  # fmt: skip
    return found


def collector_bulk_actions(book: AnomalyBook) -> list[Finding]:
    """A collector opening at least :data:`BULK_MIN_ACTIONS` holds or disputes in one day, and
    :data:`BULK_MADS` median absolute deviations above that collector's usual day (the team's
    while the collector has fewer than :data:`MIN_HISTORY_DAYS` other days)."""
    from cartera.run_dates import BOOKS_TZ

    log = book["collector_activity"]
    log = log[log.kind.isin(("hold", "dispute_opened"))]
    if log.empty:
        return []
    days = log.recorded_at.map(lambda t: t.astimezone(BOOKS_TZ).date())
    counts = log.assign(day=days).groupby(["recorded_by", "day"]).size().rename("n").reset_index()
    team_median = float(counts.n.median())
    team_mad = float((counts.n - team_median).abs().median()) or 1.0
    found = []
    for row in counts.itertuples(index=False):
        others = counts[(counts.recorded_by == row.recorded_by) & (counts.day != row.day)].n
        # the collector's usual day, or the team's while the collector has little history
        median = float(others.median()) if len(others) >= MIN_HISTORY_DAYS else team_median
        mad = (float((others - median).abs().median()) or 1.0) if len(others) >= MIN_HISTORY_DAYS else team_mad
        if row.n < max(BULK_MIN_ACTIONS, median + BULK_MADS * mad):
            continue
        user = row.recorded_by
        found.append(
            Finding(
                "collector_bulk_actions", "high", "collector_day", f"{user}:{row.day.isoformat()}", None, row.day,
                (str(user), row.day.isoformat()),
                (Reason(f"{row.n} suspensiones o disputas abiertas por {user} el {row.day} (un día normal: {median:.0f})",
                        f"{row.n} holds or disputes opened by {user} on {row.day} (a usual day: {median:.0f})"),),
            )
        )  # fmt: skip
    return found


def sat_69b_listed(book: AnomalyBook) -> list[Finding]:
    """Customers whose RFC is on the latest 69-B list published by ``as_of`` as presumed
    (Presunto) or definitive (Definitivo). The RFC itself stays out of the alert."""
    listing = book["sat_69b"]
    if listing.empty:
        return []
    latest = listing[listing.list_published == listing.list_published.max()]
    latest = latest[latest.situation.isin(ON_69B)].drop_duplicates("rfc")
    customers = book["customer_rfcs"].assign(rfc=lambda f: f.rfc.str.strip().str.upper())
    hits = customers.merge(latest, on="rfc")
    return [
        Finding(
            "sat_69b_listed",
            ON_69B[row.situation],
            "customer",
            str(row.customer_id),
            str(row.customer_id),
            row.presumed_published if not pd.isna(row.presumed_published) else row.list_published,
            (str(row.customer_id), row.situation),
            (
                Reason(
                    f"El RFC del cliente está en la lista 69-B del SAT como {row.situation} "
                    f"(lista publicada el {row.list_published})",
                    f"The customer's RFC is on SAT's 69-B list as {row.situation} "
                    f"(list published on {row.list_published})",
                ),
            ),
        )  # fmt: skip
        for row in hits.itertuples(index=False)
    ]
