"""`cartera outbox`: the messages a person must decide on (docs/reliability.md)."""

from __future__ import annotations

import datetime as dt
import getpass
from typing import Annotated, Literal

import typer

outbox_app = typer.Typer(
    help="Messages nobody could confirm: list them, confirm they went, or release them.", no_args_is_help=True
)


def _who() -> str:
    try:
        return getpass.getuser()[:64]
    except (KeyError, OSError):
        return "unknown"


@outbox_app.command("list")
def list_(
    status: Annotated[Literal["review", "unknown", "failed"], typer.Option(help="Which messages")] = "review",
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 100,
) -> None:
    """Messages in review (or unknown, or failed), by id: look each up in the provider's console."""
    from cartera.campaigns.review import list_review
    from cartera.config import get_settings
    from cartera.db import connect

    with connect(get_settings().warehouse_dsn) as conn:
        rows = list_review(conn, status=status, limit=limit)
    if not rows:
        typer.echo(f"no message in {status}")
        return
    for r in rows:
        started = r.attempt_started_at.isoformat(timespec="seconds") if r.attempt_started_at else "-"
        typer.echo(
            f"{r.outbox_id} {r.as_of_date} {r.customer_id} {r.channel} {r.step} attempt {started} {r.last_error or ''}"
        )


def _decide(outbox_id: int, action: Literal["confirm", "release"]) -> None:
    from cartera.campaigns import review
    from cartera.config import get_settings
    from cartera.db import connect

    now = dt.datetime.now(dt.UTC)
    with connect(get_settings().warehouse_dsn) as conn:
        done = (review.confirm_sent if action == "confirm" else review.release)(conn, outbox_id, _who(), now)
    if not done:
        typer.echo(f"outbox message {outbox_id} is not in review: nothing changed", err=True)
        raise typer.Exit(2)
    typer.echo(f"outbox message {outbox_id}: " + ("recorded as sent" if action == "confirm" else "released to send"))


@outbox_app.command("confirm-sent")
def confirm_sent(outbox_id: Annotated[int, typer.Argument(min=1, help="The message's outbox id")]) -> None:
    """The provider shows the message went: record it as sent (it counts toward caps as it did)."""
    _decide(outbox_id, "confirm")


@outbox_app.command("release")
def release(outbox_id: Annotated[int, typer.Argument(min=1, help="The message's outbox id")]) -> None:
    """The provider has no trace of it: send it again (the law is checked again at the send)."""
    _decide(outbox_id, "release")
