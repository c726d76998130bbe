"""`cartera strategy`: the champion and the challenger, their live uplift, and a named person's
decision to start, promote or reject a challenger (cartera/learning/roster.py). Every decision,
accepted or refused, is stored in ops.strategy_decisions with the evidence."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any, Literal

import typer

from cartera.cli_guard import free_text, parse_date

strategy_app = typer.Typer(
    help="Champion and challenger strategies: status, live uplift, challenge, promote, reject.", no_args_is_help=True
)
Metric = Literal["dso", "cash_collected_30d", "paid_on_time_rate", "messages_per_customer"]
By = Annotated[str, typer.Option("--by", help="Your name: the person taking the decision (stored)")]
Note = Annotated[str | None, typer.Option(help="Why (no personal data)")]
AsOf = Annotated[str | None, typer.Option("--as-of", help="Last business date of the evidence (default: today)")]


def _now() -> dt.datetime:
    # The CLI is the one place allowed to read the clock: it turns "now" into an explicit instant.
    return dt.datetime.now(dt.UTC)


def _as_of(value: str | None) -> dt.date:
    from cartera.run_dates import BOOKS_TZ

    return parse_date(value, "--as-of") if value else _now().astimezone(BOOKS_TZ).date()


def _note(value: str | None) -> str | None:
    return free_text(value, "--note", max_length=500) if value else None


def _pct(value: Any) -> str:
    return "—" if value is None else f"{value:+.1%}"


def _print_uplift(found: dict[str, Any]) -> None:
    if not found.get("uplift"):
        typer.echo(f"  no evidence yet: {json.dumps(found.get('customers', {}))}")
        return
    typer.echo(f"  {found['experiment']} {found['from']}..{found['to']}, customers {found['customers']}")
    for name, row in found["uplift"].items():
        typer.echo(
            f"  {name:<22} challenger {row['treated']!s:<10.6} champion {row['base']!s:<10.6} "
            f"change {_pct(row['rel'])} [{_pct(row['rel_low'])}, {_pct(row['rel_high'])}]"
        )


def _done(outcome: Any) -> None:
    typer.echo(("accepted: " if outcome.accepted else "refused: ") + outcome.reason)
    typer.echo(f"  audited as decision {outcome.decision_id}")
    if not outcome.accepted:
        raise typer.Exit(2)


@strategy_app.command("status")
def status(as_of: AsOf = None) -> None:
    """The champion, the challenger with its share, and the challenger's live uplift."""
    from cartera.config import get_settings
    from cartera.db import connect
    from cartera.learning import roster

    with connect(get_settings().warehouse_dsn) as conn:
        now = roster.current(conn)
        found = roster.evidence(conn, now, _as_of(as_of), resamples=400)
    typer.echo(f"CARTERA_STRATEGY={get_settings().strategy}; experiment {now.experiment}")
    typer.echo(f"champion: {now.champion}")
    if now.challenger is None:
        typer.echo("challenger: none")
        return
    typer.echo(f"challenger: {now.challenger} on {now.challenger_share:.0%} of the customers outside the control group")
    _print_uplift(found)


@strategy_app.command("challenge")
def challenge(
    strategy: Annotated[Literal["fixed", "learned"], typer.Argument(help="The strategy to try")],
    by: By,
    share: Annotated[float, typer.Option(min=0.01, max=0.5, help="Share of the customers outside control")] = 0.2,
    note: Note = None,
) -> None:
    """Start a challenger on a randomized share of the customers (the next build uses it)."""
    from cartera.config import get_settings
    from cartera.db import connect
    from cartera.learning import roster

    with connect(get_settings().warehouse_dsn) as conn:
        try:
            outcome = roster.challenge(conn, strategy, share, by=by, at=_now(), note=_note(note))
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="'--by'") from None
    _done(outcome)


@strategy_app.command("promote")
def promote(
    by: By,
    metric: Annotated[Metric, typer.Option(help="The improvement the promotion rests on")] = "dso",
    min_improvement: Annotated[
        float, typer.Option(min=0.0, max=0.9, help="Relative improvement its 95% interval must clear (0.05 = 5%)")
    ] = 0.0,
    as_of: AsOf = None,
    note: Note = None,
) -> None:
    """Make the challenger the champion — only if its improvement on METRIC over the champion has a
    95 % interval clearing MIN_IMPROVEMENT and opt-outs and complaints are not measurably worse."""
    from cartera.config import get_settings
    from cartera.db import connect
    from cartera.learning import roster

    with connect(get_settings().warehouse_dsn) as conn:
        try:
            outcome = roster.promote(
                conn, by=by, metric=metric, at=_now(), as_of=_as_of(as_of), min_improvement=min_improvement,
                note=_note(note),
            )  # fmt: skip
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="'--by'") from None
    if outcome.evidence:
        _print_uplift(outcome.evidence)
    _done(outcome)


@strategy_app.command("reject")
def reject(by: By, note: Note = None) -> None:
    """End the challenger: its customers go back to the champion."""
    from cartera.config import get_settings
    from cartera.db import connect
    from cartera.learning import roster

    with connect(get_settings().warehouse_dsn) as conn:
        try:
            outcome = roster.reject(conn, by=by, at=_now(), note=_note(note))
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="'--by'") from None
    _done(outcome)


@strategy_app.command("history")
def history(limit: Annotated[int, typer.Option(min=1, max=1000)] = 20) -> None:
    """The latest decisions, accepted and refused: who, when, what and why."""
    from cartera.config import get_settings
    from cartera.db import connect

    with connect(get_settings().warehouse_dsn) as conn:
        rows = conn.execute(
            "select decision_id, decided_at, decided_by, action, attempted, strategy, reason from ops.strategy_decisions "
            "order by decision_id desc limit %s",
            (limit,),
        ).fetchall()
    for did, at, by, action, attempted, strategy, reason in rows:
        what = f"{action} ({attempted})" if attempted else action
        typer.echo(f"{did} {at.isoformat(timespec='minutes')} {by}: {what} {strategy} — {reason}")
