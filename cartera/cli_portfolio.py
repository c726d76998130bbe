"""`cartera portfolio`: which collector works which customer (ops.collector_assignments), the
portfolio the worklist opens on and the dashboard's collector filter reads."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer

from cartera.cli_outbox import _who

portfolio_app = typer.Typer(help="Collectors' portfolios: assign customers, unassign, list.", no_args_is_help=True)
_CUSTOMERS = typer.Argument(help="Customers: internal ids or RFCs (all resolve, or nothing is written)")


@portfolio_app.command("assign")
def assign(
    collector: Annotated[str, typer.Argument(help="The collector's sign-in username")],
    customers: Annotated[list[str], _CUSTOMERS],
) -> None:
    """Give customers to a collector from now (a reassignment keeps the history)."""
    from cartera import collector_assignments
    from cartera.config import get_settings
    from cartera.db import connect

    with connect(get_settings().warehouse_dsn) as conn:
        changes = collector_assignments.assign(conn, customers, collector, at=dt.datetime.now(dt.UTC), by=_who())
    for c in changes:
        was = "already theirs" if c.before == c.after else f"was {c.before or 'unassigned'}"
        typer.echo(f"customer {c.customer_id} -> {c.after} ({was})")


@portfolio_app.command("unassign")
def unassign(customers: Annotated[list[str], _CUSTOMERS]) -> None:
    """Leave customers without a collector from now."""
    from cartera import collector_assignments
    from cartera.config import get_settings
    from cartera.db import connect

    with connect(get_settings().warehouse_dsn) as conn:
        changes = collector_assignments.unassign(conn, customers, at=dt.datetime.now(dt.UTC), by=_who())
    for c in changes:
        typer.echo(f"customer {c.customer_id} unassigned (was {c.before or 'unassigned'})")


@portfolio_app.command("list")
def list_(
    collector: Annotated[str | None, typer.Argument(help="Only this collector (default: every one)")] = None,
) -> None:
    """Each collector and the ids of the customers they work."""
    from cartera import collector_assignments
    from cartera.config import get_settings
    from cartera.db import connect

    with connect(get_settings().warehouse_dsn) as conn:
        found = collector_assignments.portfolios(conn)
    shown = {collector: found.get(collector, [])} if collector else found
    if not any(shown.values()):
        typer.echo("no customer is assigned" + (f" to {collector}" if collector else ""))
        return
    for name, ids in shown.items():
        typer.echo(f"{name} ({len(ids)}): {' '.join(ids)}")
