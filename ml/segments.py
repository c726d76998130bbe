"""Customer segments, the playbook's first key (cartera/campaigns/playbook.yml).

Rules, applied in this order (the first that matches wins), on the customer's history as of the
score date and its risk score (amount-weighted mean p_late of its open items, None if none):

1. ``new``        — fewer than 3 settled invoices: too little history to judge.
2. ``chronic``    — late on most invoices historically (late share > 50 %).
3. ``at_risk``    — predicted risk at least medium (risk_score >= 0.5), or deteriorating: late on
                    3+ of its last 10 settled invoices (more than "once or twice recently").
4. ``exemplary``  — almost never late: on time on each of its last 10 settled invoices and late
                    on at most 10 % of its history (and, by rule 3, low predicted risk).
5. ``occasional`` — everyone else: late once or twice recently but usually on time. A long-time
                    exemplary payer that was late once lands here: one late payment moves neither
                    the late share past 50 % nor the "late 3+ times recently" bar, and a late
                    payment never counts against an exemplary payer by itself in rule 3.

A single rule order keeps every customer in exactly one segment and makes the outcome easy to
explain; the thresholds are constants here so a change is one reviewed diff.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

MIN_SETTLED = 3
CHRONIC_LATE_SHARE = 0.5
EXEMPLARY_MAX_LATE_SHARE = 0.1
AT_RISK_SCORE = 0.5
TREND_REASON_DAYS = 5.0  # a worsening trend this large is worth telling the collector
DETERIORATING_RECENT_LATE = 3
SEGMENTS = ("new", "exemplary", "occasional", "at_risk", "chronic")

_SEGMENT_INPUTS = (
    "customer_id",
    "cust_n_settled",
    "cust_late_share",
    "cust_late_last10",
    "cust_n_last10",
    "cust_trend_days_late",
    "risk_score",
)


def _num(value: Any) -> float | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return float(value)


def segment_of(row: dict[str, Any]) -> tuple[str, list[dict[str, str]]]:
    """The segment of one customer and why: (segment, [{rule, es, en}]).

    ``row`` holds the customer's history figures (cust_n_settled, cust_late_share,
    cust_late_last10, cust_n_last10, cust_trend_days_late) and risk_score (None/NaN when the
    customer has no open items).
    """
    n = int(_num(row["cust_n_settled"]) or 0)
    share = _num(row["cust_late_share"]) or 0.0
    late10 = int(_num(row["cust_late_last10"]) or 0)
    n10 = int(_num(row["cust_n_last10"]) or 0)
    trend = _num(row["cust_trend_days_late"])
    risk = _num(row["risk_score"])
    late_total = int(round(share * n))
    history = {
        "rule": "late_share",
        "es": f"Pagó tarde {late_total} de sus {n} facturas liquidadas",
        "en": f"Paid {late_total} of its {n} settled invoices late",
    }

    if n < MIN_SETTLED:
        es = (
            "Aún no tiene facturas liquidadas"
            if n == 0
            else f"Solo tiene {n} {'factura liquidada' if n == 1 else 'facturas liquidadas'}"
        )
        en = "No settled invoices yet" if n == 0 else f"Only {n} settled {'invoice' if n == 1 else 'invoices'} so far"
        return "new", [{"rule": "few_settled", "es": es, "en": en}]
    if share > CHRONIC_LATE_SHARE:
        return "chronic", [history]
    reasons: list[dict[str, str]] = []
    if risk is not None and risk >= AT_RISK_SCORE:
        pct = int(round(risk * 100))
        reasons.append(
            {
                "rule": "risk_score",
                "es": f"Riesgo estimado de pago tardío: {pct} %",
                "en": f"Estimated risk of late payment: {pct}%",
            }
        )
    if late10 >= DETERIORATING_RECENT_LATE:
        reasons.append(
            {
                "rule": "deteriorating",
                "es": f"Pagó tarde {late10} de sus últimas {n10} facturas",
                "en": f"Paid {late10} of its last {n10} invoices late",
            }
        )
        if trend is not None and trend >= TREND_REASON_DAYS:
            d = int(round(trend))
            reasons.append(
                {
                    "rule": "trend",
                    "es": f"Sus pagos recientes llegan {d} días más tarde que antes",
                    "en": f"Recent payments arrive {d} days later than before",
                }
            )
    if reasons:
        return "at_risk", reasons
    if late10 == 0 and share <= EXEMPLARY_MAX_LATE_SHARE:
        on_time = {
            "rule": "on_time_recent",
            "es": f"Pagó a tiempo sus últimas {n10} facturas",
            "en": f"Paid its last {n10} invoices on time",
        }
        return "exemplary", [on_time, history]
    recent = {
        "rule": "late_recent",
        "es": f"Pagó tarde {late10} de sus últimas {n10} facturas",
        "en": f"Paid {late10} of its last {n10} invoices late",
    }
    return "occasional", [recent, history]


def assign_segments(customers: pd.DataFrame) -> pd.DataFrame:
    """One row per customer: customer_id, risk_score, segment, reasons (list of dicts).

    ``customers`` has the columns of :func:`segment_of` plus customer_id. Pure.
    """
    missing = [c for c in _SEGMENT_INPUTS if c not in customers.columns]
    if missing:
        raise KeyError(f"segment inputs lack columns {missing}")
    records = customers.loc[:, list(_SEGMENT_INPUTS)].to_dict("records")
    labelled = [segment_of(r) for r in records]
    return pd.DataFrame(
        {
            "customer_id": [str(r["customer_id"]) for r in records],
            "risk_score": [_num(r["risk_score"]) for r in records],
            "segment": [s for s, _ in labelled],
            "reasons": [reasons for _, reasons in labelled],
        }
    )
