"""`cartera model`: the champion late-payment model, the challengers awaiting a decision with their
evidence, and a named person's decision to promote or reject one (ml/promotion.py). Every
decision, accepted or refused, is stored in ml.model_decisions with the evidence."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import typer

from cartera.cli_guard import free_text

model_app = typer.Typer(help="Champion and challenger models: status, promote, reject, history.", no_args_is_help=True)
ModelId = Annotated[str, typer.Argument(help="The challenger's model_id (see `cartera model status`)")]
By = Annotated[str, typer.Option("--by", help="Your name: the person taking the decision (stored)")]
Note = Annotated[str | None, typer.Option(help="Why (no personal data)")]


def _now() -> dt.datetime:
    # The CLI is the one place allowed to read the clock: it turns "now" into an explicit instant.
    return dt.datetime.now(dt.UTC)


def _note(value: str | None) -> str | None:
    return free_text(value, "--note", max_length=500) if value else None


def _num(value: Any, fmt: str = ".4f") -> str:
    return "—" if value is None else format(value, fmt)


def _print_evidence(found: dict[str, Any]) -> None:
    if not found:
        typer.echo("  no evidence: not compared with a champion on the same held-out rows")
        return
    diff = found.get("auc_difference") or {}
    window = found.get("window") or {}
    typer.echo(
        f"  against {found.get('champion_model_id')} on {found.get('n')} held-out rows "
        f"(issued {window.get('issued_after')}..{window.get('issued_to')}, {found.get('n_late')} late)"
    )
    typer.echo(
        f"  AUC challenger {_num(found.get('auc_challenger'))} champion {_num(found.get('auc_champion'))} "
        f"difference {_num(diff.get('value'), '+.4f')} [{_num(diff.get('ci95_low'), '+.4f')}, "
        f"{_num(diff.get('ci95_high'), '+.4f')}]"
    )
    typer.echo(f"  ECE challenger {_num(found.get('ece_challenger'))} champion {_num(found.get('ece_champion'))}")


def _done(outcome: Any) -> None:
    typer.echo(("accepted: " if outcome.accepted else "refused: ") + outcome.reason)
    typer.echo(f"  audited as decision {outcome.decision_id}")
    if not outcome.accepted:
        raise typer.Exit(2)


@model_app.command("status")
def status() -> None:
    """The champion scoring uses, and each challenger awaiting a decision with its evidence."""
    from cartera.config import get_settings
    from cartera.db import connect
    from ml import promotion

    with connect(get_settings().warehouse_dsn) as conn:
        champion = promotion.champion_id(conn)
        waiting = promotion.challengers(conn)
    typer.echo(f"CARTERA_MODEL_PROMOTION={get_settings().model_promotion}")
    typer.echo(f"champion: {champion or 'none (train first)'}")
    if not waiting:
        typer.echo("challengers: none")
    for c in waiting:
        typer.echo(f"challenger: {c.model_id} (trained as of {c.as_of_date})")
        _print_evidence(c.evidence)


@model_app.command("promote")
def promote(
    model_id: ModelId,
    by: By,
    min_improvement: Annotated[
        float,
        typer.Option(min=0.0, max=0.5, help="AUC difference its 95% interval must lie wholly above (0.01 = 1 point)"),
    ] = 0.0,
    note: Note = None,
) -> None:
    """Make MODEL_ID the champion — only if it awaits a decision, was compared with the champion in
    force, and the 95 % interval of its AUC gain on the same held-out rows lies above MIN_IMPROVEMENT."""
    from cartera.config import get_settings
    from cartera.db import connect
    from ml import promotion

    with connect(get_settings().warehouse_dsn) as conn:
        outcome = promotion.promote(conn, model_id, by=by, at=_now(), min_improvement=min_improvement, note=_note(note))
    if outcome.evidence:
        _print_evidence(outcome.evidence)
    _done(outcome)


@model_app.command("reject")
def reject(model_id: ModelId, by: By, note: Note = None) -> None:
    """Mark MODEL_ID rejected: it is never scored; the champion stays."""
    from cartera.config import get_settings
    from cartera.db import connect
    from ml import promotion

    with connect(get_settings().warehouse_dsn) as conn:
        outcome = promotion.reject(conn, model_id, by=by, at=_now(), note=_note(note))
    _done(outcome)


@model_app.command("history")
def history(limit: Annotated[int, typer.Option(min=1, max=1000)] = 20) -> None:
    """The latest decisions, accepted and refused: who, when, which models and why."""
    from cartera.config import get_settings
    from cartera.db import connect
    from ml import promotion

    with connect(get_settings().warehouse_dsn) as conn:
        rows = promotion.history(conn, limit)
    for r in rows:
        what = f"{r['action']} ({r['attempted']})" if r["attempted"] else r["action"]
        who = r["decided_by"] if r["decided_by"] is not None else "training run"
        typer.echo(
            f"{r['decision_id']} {r['decided_at'].isoformat(timespec='minutes')} {who}: {what} {r['model_id']} "
            f"(champion was {r['champion_before'] or 'none'}) — {r['reason']}"
        )
