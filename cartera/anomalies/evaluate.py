"""How well the detectors find what the generator injected (``cartera anomalies evaluate``).

Two books of the same company: one with each anomaly type injected at ``rate`` (labels kept
aside), one clean (nothing injected, the same benign history). Per type: ``injected``,
``precision`` (alerts of that kind naming an injected entity, or for deterioration the
generator's own deteriorating customers, over all alerts of that kind) and ``recall`` (injected
entities alerted). On the clean book, every alert is a false alert, except deterioration alerts
on customers the generator made deteriorate: ``false_alerts_per_1000_invoices``.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from cartera.anomalies.book import Finding
from cartera.anomalies.detect import KINDS, detect
from cartera.anomalies.from_company import book_from_company
from cartera.synthetic.anomalies import AnomalyLabel
from cartera.synthetic.book_options import BookOptions
from cartera.synthetic.company import build_company
from cartera.synthetic.summary import GenerationParams

DEFAULT_AS_OF = dt.date(2026, 5, 31)


def _key(item: Finding | AnomalyLabel) -> tuple[str, str, str]:
    return (item.kind, item.entity_type, item.entity_id)


def score(findings: list[Finding], labels: list[AnomalyLabel], native: list[AnomalyLabel]) -> dict[str, Any]:
    """Per kind: injected, alerts, true_alerts, precision, recall (None when undefined)."""
    truth = {_key(label) for label in labels}
    natives = {_key(label) for label in native}
    alerted = {_key(f) for f in findings}
    out: dict[str, Any] = {}
    for kind in KINDS:
        mine = [f for f in findings if f.kind == kind]
        true = [f for f in mine if _key(f) in truth or _key(f) in natives]
        injected = [label for label in labels if label.kind == kind]
        found = [label for label in injected if _key(label) in alerted]
        out[kind] = {
            "injected": len(injected),
            "alerts": len(mine),
            "true_alerts": len(true),
            "precision": round(len(true) / len(mine), 3) if mine else None,
            "recall": round(len(found) / len(injected), 3) if injected else None,
        }
        native_kind = [n for n in native if n.kind == kind]
        if native_kind:
            out[kind]["native_positives"] = len(native_kind)
            out[kind]["native_alerted"] = sum(1 for n in native_kind if _key(n) in alerted)
    return out


def evaluate(
    *, seed: int = 7, customers: int = 500, months: int = 24, as_of: dt.date = DEFAULT_AS_OF, rate: float = 0.005
) -> dict[str, Any]:
    """Generate the injected and the clean book, run the detectors on each and score them."""
    params = GenerationParams(seed=seed, customers=customers, months=months, as_of=as_of)
    injected = build_company(params, BookOptions(anomaly_rate=rate, history=True))
    clean = build_company(params, BookOptions(history=True))
    assert injected.extras is not None and clean.extras is not None
    found = detect(book_from_company(injected, as_of))
    clean_book = book_from_company(clean, as_of)
    clean_found = detect(clean_book)
    natives = {_key(n) for n in clean.extras.native}
    false = [f for f in clean_found if _key(f) not in natives]
    invoices = len(clean_book["invoices"])
    return {
        "book": {"seed": seed, "customers": customers, "months": months, "as_of": as_of.isoformat(), "rate": rate},
        "types": score(found, injected.extras.labels, injected.extras.native),
        "clean": {
            "invoices": invoices,
            "alerts": len(clean_found),
            "false_alerts": len(false),
            "false_alerts_by_kind": dict(sorted(Counter(f.kind for f in false).items())),
            "false_alerts_per_1000_invoices": round(1000 * len(false) / invoices, 3) if invoices else None,
        },
        "false_alerts_per_1000_invoices": round(1000 * len(false) / invoices, 3) if invoices else None,
    }
