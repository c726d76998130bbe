"""A customer's deterioration: a change point in days late, found with a one-sided CUSUM.

Per customer, invoices in due-date order give x = days late at settlement (negative: early), or,
for an invoice still open past its due date on ``as_of``, the days so far (a lower bound). The
baseline is the median and the scaled MAD of the first half (at least :data:`BASELINE_MIN`
invoices); S_t = max(0, S_{t-1} + (x_t − median)/σ − K) raises an alarm when S_t > H. The change
point is where S last left zero before the alarm; the alert also needs the invoices after it to
be :data:`MIN_SHIFT_DAYS` days later than the baseline (medians), and the change to be recent.
Each step is capped at :data:`STEP_CAP` σ, so one invoice never paid does not make a change point.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from cartera.anomalies.book import AnomalyBook, Finding, Reason

BASELINE_MIN = 8
K = 0.5
H = 6.0
STEP_CAP = 3.0
MIN_SIGMA = 5.0
MIN_SHIFT_DAYS = 20.0
MIN_AFTER = 3
RECENT_DAYS = 365


def cusum_change_point(x: np.ndarray, baseline: int) -> int | None:
    """Index where an upward shift starts, or None (x: days late in order; baseline: its first n)."""
    ref = x[:baseline]
    median = float(np.median(ref))
    sigma = max(1.4826 * float(np.median(np.abs(ref - median))), MIN_SIGMA)
    s, start = 0.0, baseline
    for t in range(baseline, len(x)):
        s = max(0.0, s + min((x[t] - median) / sigma, STEP_CAP) - K)
        if s == 0.0:
            start = t + 1
        elif s > H:
            return start
    return None


def payment_deterioration(book: AnomalyBook) -> list[Finding]:
    inv = book["invoices"]
    due_by = book.as_of
    rows = inv[(inv.due_date <= due_by)].copy()
    settled = rows.settled_date.notna()
    rows["late"] = 0.0
    rows.loc[settled, "late"] = [
        (s - d).days for s, d in zip(rows.settled_date[settled], rows.due_date[settled], strict=True)
    ]
    rows.loc[~settled, "late"] = [(due_by - d).days for d in rows.due_date[~settled]]
    found = []
    for customer_id, group in rows.sort_values(["due_date", "invoice_id"]).groupby("customer_id", sort=False):
        x = np.clip(group.late.to_numpy(dtype=float), -30, 150)
        baseline = max(BASELINE_MIN, len(x) // 2)
        if len(x) < baseline + MIN_AFTER:
            continue
        start = cusum_change_point(x, baseline)
        if start is None or len(x) - start < MIN_AFTER:
            continue
        before, after = float(np.median(x[:baseline])), float(np.median(x[start:]))
        change_day = group.due_date.iloc[start]
        if after - before < MIN_SHIFT_DAYS or change_day < due_by - dt.timedelta(days=RECENT_DAYS):
            continue
        found.append(Finding(
            "payment_deterioration", "warning", "customer", str(customer_id), str(customer_id), change_day,
            (str(customer_id), f"{change_day:%Y-%m}"),
            (Reason(f"Desde las facturas que vencían el {change_day}, paga {after:.0f} días después del vencimiento "
                    f"(mediana; antes: {before:.0f}); {len(x) - start} facturas",
                    f"Since the invoices due on {change_day}, pays {after:.0f} days after the due date "
                    f"(median; before: {before:.0f}); {len(x) - start} invoices"),),
        ))  # fmt: skip
    return found
