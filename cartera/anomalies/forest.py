"""Unusual credit notes: an isolation forest over each credit note's shape against the book's
history, with the rule-readable reasons that explain a high score.

Features: whether the amount is round (a multiple of 1,000 MXN or 100 USD), the log of its ratio
to the customer's median invoice, the share of the invoice it credits and the days since the
invoice. A note is raised when its anomaly score is among the lowest (:data:`SCORE_THRESHOLD`
on ``score_samples``) *and* at least one reason a person can check applies; a note already
raised as credited after payment is left to that, more specific, alert.
"""

from __future__ import annotations

import numpy as np

from cartera.anomalies.book import AnomalyBook, Finding, Reason

SCORE_THRESHOLD = -0.62
LARGE_RATIO = 3.0
MIN_NOTES = 30
ROUND_UNIT = {"MXN": 1000.0, "USD": 100.0}


def unusual_credit_notes(book: AnomalyBook, skip: frozenset[str] = frozenset()) -> list[Finding]:
    notes = book["credit_notes"]
    if len(notes) < MIN_NOTES:
        return []
    from sklearn.ensemble import IsolationForest  # heavy: only when there is something to score

    invoices = book["invoices"].set_index("invoice_id")
    median = book["invoices"].groupby("customer_id").total_mxn.median()
    inv_total = invoices.total_amount.reindex(notes.invoice_id).to_numpy(dtype=float)
    inv_date = invoices.issue_date.reindex(notes.invoice_id).tolist()
    unit = notes.currency.map(ROUND_UNIT).fillna(1000.0).to_numpy(dtype=float)
    amount = notes.total_amount.to_numpy(dtype=float)
    rounded = (np.abs(amount / unit - np.round(amount / unit)) < 1e-9).astype(float)
    ratio = notes.total_mxn.to_numpy(dtype=float) / median.reindex(notes.customer_id).to_numpy(dtype=float)
    share = np.divide(amount, inv_total, out=np.ones_like(amount), where=inv_total > 0)
    days = np.array(
        [(n - i).days if i is not None and i == i else 0 for n, i in zip(notes.issue_date, inv_date, strict=True)]
    )
    features = np.column_stack([rounded, np.log1p(np.nan_to_num(ratio, nan=1.0)), share, np.clip(days, -30, 365)])
    forest = IsolationForest(n_estimators=300, random_state=0).fit(features)
    scores = forest.score_samples(features)
    found = []
    for i, note in enumerate(notes.itertuples(index=False)):
        if scores[i] > SCORE_THRESHOLD or note.credit_note_id in skip:
            continue
        reasons = []
        if rounded[i]:
            reasons.append(
                Reason(
                    f"Importe redondo: {amount[i]:,.2f} {note.currency}",
                    f"Round amount: {amount[i]:,.2f} {note.currency}",
                )
            )
        if ratio[i] >= LARGE_RATIO:
            reasons.append(
                Reason(
                    f"{ratio[i]:.1f} veces la factura mediana del cliente",
                    f"{ratio[i]:.1f} times the customer's median invoice",
                )
            )
        if not reasons:
            continue
        found.append(Finding(
            "credit_note_unusual", "high", "credit_note", note.credit_note_id, note.customer_id, note.issue_date,
            (note.credit_note_id,), tuple(reasons), score=float(scores[i]),
        ))  # fmt: skip
    return found
