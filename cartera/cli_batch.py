"""`cartera batch`: see a campaign batch that waits for approval, approve or reject it."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated

import typer

from cartera.cli_outbox import _who

batch_app = typer.Typer(help="Campaign batches waiting for an admin: preview, approve, reject.", no_args_is_help=True)


def _batch_id(value: str) -> str:
    """A batch id as shown (campaign-YYYY-MM-DD) or its date."""
    text = value.strip()
    day = text.removeprefix("campaign-")
    try:
        return f"campaign-{dt.date.fromisoformat(day).isoformat()}"
    except ValueError:
        raise typer.BadParameter("a batch is named campaign-YYYY-MM-DD or by its date YYYY-MM-DD") from None


@batch_app.command("show")
def show(batch: Annotated[str, typer.Argument(help="campaign-YYYY-MM-DD or YYYY-MM-DD")]) -> None:
    """The batch's approval status, why it waits, and the preview (counts, amount, samples)."""
    from cartera.config import get_settings
    from cartera.db import connect

    batch_id = _batch_id(batch)
    with connect(get_settings().warehouse_dsn) as conn:
        row = conn.execute(
            "select status, reasons, preview, decided_by, decided_at from ops.batch_approvals where batch_id = %s",
            (batch_id,),
        ).fetchone()
        exists = conn.execute("select 1 from ops.campaign_batches where batch_id = %s", (batch_id,)).fetchone()
    if exists is None:
        typer.echo(f"no campaign batch {batch_id}", err=True)
        raise typer.Exit(2)
    if row is None:
        typer.echo(f"{batch_id}: needs no approval")
        return
    status, reasons, shown, by, at = row
    decided = f" by {by} at {at.isoformat(timespec='minutes')}" if by else ""
    typer.echo(f"{batch_id}: {status}{decided}")
    for reason in reasons:
        typer.echo(f"  why: {reason}")
    typer.echo(json.dumps(shown, indent=2, ensure_ascii=False))


def _decide(batch: str, decision: str, note: str | None) -> None:
    from cartera.campaigns.approval import decide
    from cartera.config import get_settings
    from cartera.db import connect

    batch_id = _batch_id(batch)
    with connect(get_settings().warehouse_dsn) as conn:
        done = decide(conn, batch_id, decision, _who(), dt.datetime.now(dt.UTC), note)  # type: ignore[arg-type]
    if not done:
        typer.echo(f"{batch_id} is not waiting for approval: nothing changed", err=True)
        raise typer.Exit(2)
    typer.echo(f"{batch_id} {decision}")


@batch_app.command("approve")
def approve(
    batch: Annotated[str, typer.Argument(help="campaign-YYYY-MM-DD or YYYY-MM-DD")],
    note: Annotated[str | None, typer.Option(help="Why (no personal data)")] = None,
) -> None:
    """Approve a pending batch: its messages go out at their next dispatch, each checked again."""
    _decide(batch, "approved", note)


@batch_app.command("reject")
def reject(
    batch: Annotated[str, typer.Argument(help="campaign-YYYY-MM-DD or YYYY-MM-DD")],
    note: Annotated[str | None, typer.Option(help="Why (no personal data)")] = None,
) -> None:
    """Reject a pending batch: its unsent messages are cancelled (reason batch_rejected)."""
    _decide(batch, "rejected", note)
