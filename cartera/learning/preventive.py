"""The preventive strategy: which of a day's playbook steps a learned strategy keeps, delays,
drops or hands to a collector, each with a stored reason.

1. Nothing before the due date for low-risk customers (exemplary or occasional payers, or a
   predicted lateness below :data:`LOW_RISK`).
2. A pre-due reminder only where predicted lateness × amount justifies it: the expected late
   amount (Σ p_late × open amount in MXN) must reach :data:`PREDUE_MIN_EXPECTED_MXN`.
3. A low-risk customer a day or two late is usually a slip that cures itself: its first
   reminder waits until :data:`LOW_RISK_GRACE_DAYS` past due (the step fires on a later day of its
   range, since it has not fired yet).
4. An exemplary payer late once gets the service tone first (the playbook's ``consulta_servicio``:
   is something wrong with the goods, the order, the CFDI?); a learner may never firm it up
   (:func:`cartera.learning.arms.allowed_tones`).
5. Chronic late payers reach a collector earlier: a firm step of a chronic payer with an invoice
   :data:`CHRONIC_ESCALATE_DPD` or more days past due becomes the playbook's escalation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from cartera.campaigns.candidates import Candidate
from cartera.campaigns.playbook import Playbook, Step

LOW_RISK = 0.2
LOW_RISK_SEGMENTS = frozenset({"exemplary", "occasional"})
PREDUE_MIN_EXPECTED_MXN = Decimal(10_000)
LOW_RISK_GRACE_DAYS = 3
CHRONIC_ESCALATE_DPD = 15


@dataclass(frozen=True)
class Note:
    """Why the strategy changed (or kept) a step for a customer today."""

    customer_id: str
    step: str
    action: str  # keep | drop | delay | escalate
    code: str
    es: str
    en: str


def _p_late(candidate: Candidate) -> float:
    return max((i.p_late for i in candidate.invoices if i.p_late is not None), default=0.5)


def _low_risk(candidate: Candidate) -> bool:
    return candidate.segment in LOW_RISK_SEGMENTS or _p_late(candidate) < LOW_RISK


def _escalation_step(playbook: Playbook, segment: str) -> Step | None:
    return next((s for s in playbook.steps if s.action == "escalate" and segment in s.segments), None)


def plan(
    candidates: Sequence[Candidate],
    playbook: Playbook,
    covered: set[tuple[str, str]] | frozenset[tuple[str, str]] = frozenset(),
) -> tuple[list[Candidate], list[Note]]:
    """The candidates a learned strategy acts on today, and a note for every one it touched.
    `covered`: the (step, invoice) pairs already fired (as for build_candidates): an invoice
    already with a collector is not escalated again, nor reminded by a message."""
    kept: list[Candidate] = []
    notes: list[Note] = []

    def note(c: Candidate, action: str, code: str, es: str, en: str) -> None:
        notes.append(Note(c.customer_id, c.step.name, action, code, es, en))

    for c in candidates:
        if c.step.action != "message":
            kept.append(c)
            continue
        dpd = max(i.days_past_due for i in c.invoices)
        if c.step.days_past_due.min < 0:  # a pre-due reminder
            expected = sum((Decimal(str(i.p_late or 0.0)) * i.open_amount_mxn for i in c.invoices), Decimal(0))
            if _low_risk(c):
                note(
                    c,
                    "drop",
                    "predue_low_risk",
                    "Sin recordatorio previo: cliente de bajo riesgo.",
                    "No pre-due reminder: low-risk customer.",
                )
            elif expected < PREDUE_MIN_EXPECTED_MXN:
                note(
                    c,
                    "drop",
                    "predue_not_worth",
                    f"Sin recordatorio previo: monto esperado en atraso {expected:,.0f} MXN bajo el umbral.",
                    f"No pre-due reminder: expected late amount {expected:,.0f} MXN below the threshold.",
                )
            else:
                kept.append(c)
                note(
                    c,
                    "keep",
                    "predue_justified",
                    f"Recordatorio previo: monto esperado en atraso {expected:,.0f} MXN.",
                    f"Pre-due reminder: expected late amount {expected:,.0f} MXN.",
                )
            continue
        if c.step.name == "consulta_servicio":
            kept.append(c)
            note(
                c,
                "keep",
                "service_tone_first",
                "Pagador ejemplar con atraso: primero consulta de servicio.",
                "Exemplary payer late: service check first.",
            )
            continue
        if _low_risk(c) and c.step.tone == "amable" and dpd < LOW_RISK_GRACE_DAYS:
            note(
                c,
                "delay",
                "low_risk_grace",
                f"Bajo riesgo, {dpd} día(s) de atraso: se espera al día {LOW_RISK_GRACE_DAYS}.",
                f"Low risk, {dpd} day(s) late: waits until day {LOW_RISK_GRACE_DAYS}.",
            )
            continue
        escalation = _escalation_step(playbook, c.segment) if c.segment == "chronic" else None
        if escalation is not None and c.step.tone == "firme" and dpd >= CHRONIC_ESCALATE_DPD:
            fresh = [i for i in c.invoices if (escalation.name, i.invoice_id) not in covered]
            if not fresh:
                note(
                    c,
                    "drop",
                    "with_collector",
                    "Las facturas ya están con un cobrador: sin mensaje automático.",
                    "The invoices are already with a collector: no automatic message.",
                )
                continue
            kept.append(Candidate(c.customer_id, c.segment, escalation, tuple(fresh)))
            note(
                c,
                "escalate",
                "chronic_early_collector",
                f"Moroso crónico con {dpd} días de atraso: pasa a cobranza manual.",
                f"Chronic late payer {dpd} days late: handed to a collector.",
            )
            continue
        kept.append(c)
    return kept, notes
