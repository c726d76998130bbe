"""One message per customer per day: the day's due playbook steps of a customer become ONE
message, a statement of every open collectible invoice in the tone of the firmest due step.

Why: a cap that only *defers* extra steps sends a firm reminder one day, another the next and a
friendly pre-due one after that, none showing the whole balance. Merging sends one statement
instead, and every step it covers counts as fired for its invoices (``step_invoices``), so no
step comes back on a later day.

Order of tones: ``amable`` < ``firme``; between steps of one tone, the one further past due
wins. An escalation is not a tone: a customer with an escalation due today goes to the
collector's queue and gets no automatic message that day.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from cartera.campaigns.candidates import Candidate, OpenItem
from cartera.campaigns.playbook import Step

TONE_RANK = {"amable": 0, "firme": 1}


def firmest_step(steps: Iterable[Step]) -> Step:
    """The message step whose tone is firmest (ties: the one further past due)."""
    messages = [step for step in steps if step.action == "message"]
    if not messages:
        raise ValueError("firmest_step needs at least one message step")
    return max(messages, key=lambda step: (TONE_RANK[step.tone], step.severity, step.name))


def statement_order(items: Iterable[OpenItem]) -> tuple[OpenItem, ...]:
    """Oldest due date first, then by invoice number: how a statement of account reads."""
    return tuple(sorted(items, key=lambda item: (item.due_date, item.invoice_number, item.invoice_id)))


@dataclass(frozen=True)
class DailyMessage:
    """The customer's one message of the day: `candidate` (the firmest step, every open collectible
    invoice, no channel yet) and the (step, invoice) pairs of the due steps it covers."""

    candidate: Candidate
    covered: tuple[tuple[str, str], ...]

    @property
    def steps(self) -> tuple[str, ...]:
        """The covered steps' names, firmest first."""
        firmest = self.candidate.step.name
        others = sorted({step for step, _ in self.covered} - {firmest})
        return (firmest, *others)

    @property
    def step_invoices(self) -> tuple[str, ...]:
        """The covered pairs as stored in ops.outbox.step_invoices ('step:invoice_id')."""
        return tuple(f"{step}:{invoice}" for step, invoice in self.covered)


def merge_day(due: Sequence[Candidate], statement: Iterable[OpenItem]) -> DailyMessage:
    """Merge one customer's due message steps (`due`, their invoices already collectible) into one
    message listing `statement` (every open collectible invoice of the customer, due today or not)."""
    if not due:
        raise ValueError("merge_day needs at least one due step")
    customers = {candidate.customer_id for candidate in due}
    if len(customers) != 1:
        raise ValueError("merge_day merges the steps of one customer")
    step = firmest_step(candidate.step for candidate in due)
    covered = tuple(
        sorted({(candidate.step.name, item.invoice_id) for candidate in due for item in candidate.invoices})
    )
    listed = {item.invoice_id: item for item in statement}
    for candidate in due:  # a due invoice is always on the statement
        listed.update({item.invoice_id: item for item in candidate.invoices})
    merged = Candidate(
        customer_id=due[0].customer_id,
        segment=due[0].segment,
        step=step,
        invoices=statement_order(listed.values()),
    )
    return DailyMessage(candidate=merged, covered=covered)
