"""Champion and challenger for the late-payment model: how a person changes which model scores.

The first model ever trained is champion by itself (ml/registry.py); every later one is a
**challenger** (``ml.models.review = 'pending'``) that nothing scores. Its evidence was computed
at training on the same held-out rows as the champion (ml/training.py, stored in
``metrics.challenged_champion``): AUC of both, the paired AUC difference (challenger minus
champion) with its 95 % bootstrap interval, and the calibration error of both.

A named person promotes it (:func:`promote`) — accepted only when the evidence was measured
against the champion in force and the whole 95 % interval of the AUC difference lies above the
stated minimum — or rejects it (:func:`reject`). Each request, accepted or refused (an account
instead of a name included), is a row of ``ml.model_decisions`` with the person, the instant,
both models, the evidence and the reason. Same vocabulary as the strategies' roster
(cartera/learning/roster.py), which shares the check of who decides (cartera/deciders.py).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from psycopg.types.json import Jsonb

from cartera.deciders import named_person, os_user

if TYPE_CHECKING:
    import psycopg


@dataclass(frozen=True)
class Outcome:
    """What became of a request: accepted or refused, why, and the audit row's id."""

    accepted: bool
    reason: str
    decision_id: int
    evidence: dict[str, Any]


@dataclass(frozen=True)
class Challenger:
    """A model awaiting a decision, with the evidence measured at its training."""

    model_id: str
    as_of_date: dt.date
    evidence: dict[str, Any]


def champion_id(conn: psycopg.Connection[Any]) -> str | None:
    """The model scoring uses, or None before any was trained."""
    row = conn.execute("select model_id from ml.models where is_champion").fetchone()
    return str(row[0]) if row else None


def challengers(conn: psycopg.Connection[Any]) -> list[Challenger]:
    """The models awaiting a decision, newest first."""
    rows = conn.execute(
        "select model_id, as_of_date, coalesce(metrics->'challenged_champion', '{}'::jsonb) from ml.models "
        "where review = 'pending' and not is_champion order by as_of_date desc"
    ).fetchall()
    return [Challenger(str(m), d, dict(e)) for m, d, e in rows]


def judge(found: dict[str, Any], champion: str | None, min_improvement: float) -> str | None:
    """Why the evidence does not support promoting (None when it does): it must have been measured
    against `champion` (the one in force now), and the 95 % interval of the AUC difference must lie
    wholly above `min_improvement` (an absolute AUC difference: 0.01 = one point of AUC)."""
    if not found:
        return "no evidence: the model was not compared with a champion on the same held-out rows"
    if found.get("champion_model_id") != champion:
        return (
            f"its evidence is against {found.get('champion_model_id')}, not the champion in force ({champion}): "
            "retrain to compare it with the current champion"
        )
    diff = found.get("auc_difference") or {}
    low, high, value = diff.get("ci95_low"), diff.get("ci95_high"), diff.get("value")
    if low is None or high is None or value is None:
        return f"not enough evidence: no interval for the AUC difference on {found.get('n', 0)} held-out rows"
    if low <= min_improvement:
        return (
            f"AUC difference {value:+.4f} [{low:+.4f}, {high:+.4f}] on {found.get('n')} held-out rows: "
            f"the interval does not lie wholly above {min_improvement:+.4f}"
        )
    return None


def _record(
    conn: psycopg.Connection[Any],
    *,
    at: dt.datetime,
    by: str,
    action: str,
    model_id: str,
    champion: str | None,
    reason: str,
    attempted: str | None = None,
    min_improvement: float | None = None,
    evidence: dict[str, Any] | None = None,
    note: str | None = None,
) -> int:
    row = conn.execute(
        "insert into ml.model_decisions (decided_at, decided_by, os_user, action, attempted, model_id, "
        "champion_before, min_improvement, evidence, reason, note) "
        "values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) returning decision_id",
        (at, by, os_user(), action, attempted, model_id, champion, min_improvement, Jsonb(evidence or {}), reason,
         note),
    ).fetchone()  # fmt: skip
    return int(row[0]) if row else 0


def _state(conn: psycopg.Connection[Any], model_id: str) -> tuple[str, dict[str, Any]]:
    """('pending' | 'champion' | 'rejected' | 'promoted' | 'unknown' | 'not a challenger', evidence)."""
    row = conn.execute(
        "select is_champion, review, coalesce(metrics->'challenged_champion', '{}'::jsonb) from ml.models "
        "where model_id = %s",
        (model_id,),
    ).fetchone()
    if row is None:
        return "unknown", {}
    is_champion, review, found = row
    if is_champion:
        return "champion", dict(found)
    return (review or "not a challenger"), dict(found)


def _refused_person(
    conn: psycopg.Connection[Any], by: str, attempted: str, model_id: str, at: dt.datetime, note: str | None
) -> Outcome | None:
    """The refusal (audited) when `by` is not a named person, else None."""
    try:
        named_person(by)
    except ValueError as exc:
        reason = str(exc)
        did = _record(conn, at=at, by=" ".join(by.split())[:120], action="refused", attempted=attempted,
                      model_id=model_id, champion=champion_id(conn), reason=reason, note=note)  # fmt: skip
        return Outcome(False, reason, did, {})
    return None


def promote(
    conn: psycopg.Connection[Any],
    model_id: str,
    *,
    by: str,
    at: dt.datetime,
    min_improvement: float = 0.0,
    note: str | None = None,
) -> Outcome:
    """Make the challenger `model_id` the champion when a named person asks and its evidence
    supports it (:func:`judge`); otherwise refuse. Either way one audited row with the evidence."""
    # Two promotions at once must not both see the same champion and both take over.
    conn.execute("lock table ml.models in share row exclusive mode")
    refused = _refused_person(conn, by, "promote", model_id, at, note)
    if refused is not None:
        return refused
    person = named_person(by)
    champion = champion_id(conn)
    state, found = _state(conn, model_id)
    why_not = None if state == "pending" else f"{model_id} is {state}, not a challenger awaiting a decision"
    if why_not is None:
        why_not = judge(found, champion, min_improvement)
    common: dict[str, Any] = {"min_improvement": min_improvement, "evidence": found, "note": note}
    if why_not is not None:
        did = _record(conn, at=at, by=person, action="refused", attempted="promote", model_id=model_id,
                      champion=champion, reason=why_not, **common)  # fmt: skip
        return Outcome(False, why_not, did, found)
    diff = found["auc_difference"]
    reason = (
        f"{model_id} replaces {champion}: AUC {found['auc_challenger']:.4f} against {found['auc_champion']:.4f}, "
        f"difference {diff['value']:+.4f} [{diff['ci95_low']:+.4f}, {diff['ci95_high']:+.4f}] "
        f"on {found['n']} held-out rows, above {min_improvement:+.4f}"
    )
    conn.execute("update ml.models set is_champion = false where is_champion")
    conn.execute("update ml.models set is_champion = true, review = 'promoted' where model_id = %s", (model_id,))
    did = _record(conn, at=at, by=person, action="promote", model_id=model_id, champion=champion, reason=reason,
                  **common)  # fmt: skip
    return Outcome(True, reason, did, found)


def reject(
    conn: psycopg.Connection[Any], model_id: str, *, by: str, at: dt.datetime, note: str | None = None
) -> Outcome:
    """Mark the challenger `model_id` rejected (it is never scored); audited, refusals too."""
    refused = _refused_person(conn, by, "reject", model_id, at, note)
    if refused is not None:
        return refused
    person = named_person(by)
    champion = champion_id(conn)
    state, found = _state(conn, model_id)
    if state != "pending":
        reason = f"{model_id} is {state}, not a challenger awaiting a decision"
        did = _record(conn, at=at, by=person, action="refused", attempted="reject", model_id=model_id,
                      champion=champion, reason=reason, evidence=found, note=note)  # fmt: skip
        return Outcome(False, reason, did, found)
    conn.execute("update ml.models set review = 'rejected' where model_id = %s", (model_id,))
    reason = f"{model_id} rejected; {champion} stays the champion"
    did = _record(conn, at=at, by=person, action="reject", model_id=model_id, champion=champion, reason=reason,
                  evidence=found, note=note)  # fmt: skip
    return Outcome(True, reason, did, found)


def history(conn: psycopg.Connection[Any], limit: int = 20) -> list[dict[str, Any]]:
    """The latest decisions, accepted and refused, newest first."""
    rows = conn.execute(
        "select decision_id, decided_at, decided_by, action, attempted, model_id, champion_before, reason "
        "from ml.model_decisions order by decision_id desc limit %s",
        (limit,),
    ).fetchall()
    keys = ("decision_id", "decided_at", "decided_by", "action", "attempted", "model_id", "champion_before", "reason")
    return [dict(zip(keys, r, strict=True)) for r in rows]
