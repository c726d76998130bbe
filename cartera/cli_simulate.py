"""`cartera simulate`: run one collection strategy on one simulated world and write its figures.

Two runs with the same seed meet the same world (customers, invoices, hidden traits and the
draws of each customer-day), so `--policy fixed` and `--policy learned` compare like for like.
What is simulated and what is production code: docs/learning.md.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Literal

import typer

simulate_app = typer.Typer(help="Run a collection strategy on a simulated company (issue #13).")


@simulate_app.callback(invoke_without_command=True)
def simulate(
    days: Annotated[int, typer.Option(min=1, max=730, help="Days to simulate")] = 120,
    policy: Annotated[
        Literal["fixed", "learned"], typer.Option(help="fixed: the playbook; learned: learner + preventive + control")
    ] = "fixed",
    seed: Annotated[int, typer.Option(help="The world: same seed, same customers, traits and draws")] = 1,
    customers: Annotated[int, typer.Option(min=1, max=20_000, help="Customers in the simulated company")] = 400,
    window_days: Annotated[int, typer.Option(min=1, max=60, help="Reward: paid within N days of the message")] = 14,
    control_share: Annotated[float, typer.Option(min=0.0, max=1.0, help="Share kept on the fixed playbook")] = 0.10,
    preventive: Annotated[bool, typer.Option(help="Apply the preventive plan (learned policy)")] = True,
    json_out: Annotated[Path | None, typer.Option("--json", help="Write the figures as JSON here")] = None,
) -> None:
    """Simulate `days` days of collections under `policy` and print (and write) the figures."""
    from cartera.simulation.metrics import report
    from cartera.simulation.runner import SimConfig
    from cartera.simulation.runner import simulate as run

    config = SimConfig(
        days=days,
        customers=customers,
        seed=seed,
        policy=policy,
        window_days=window_days,
        control_share=control_share,
        preventive=preventive,
    )
    figures = report(run(config))
    text = json.dumps(figures, indent=2, ensure_ascii=False)
    if json_out is not None:
        json_out.parent.mkdir(parents=True, exist_ok=True)
        json_out.write_text(text + "\n", encoding="utf-8")
    headline = {k: figures[k] for k in ("dso", "cash_collected_30d", "paid_on_time_rate", "messages")}
    headline |= {k: figures[k] for k in ("messages_per_customer", "opt_outs", "complaints", "collector_tasks")}
    typer.echo(f"policy={policy} seed={seed} days={days} customers={figures['customers']}")
    for name, value in headline.items():
        typer.echo(f"  {name}: {value}")
    for group, values in figures["groups"].items():
        dso = values["dso"]
        typer.echo(
            f"  [{group}] customers={values['customers']} dso={dso['value']} "
            f"(95% CI {dso['ci_low']}–{dso['ci_high']}) messages={values['messages']['value']}"
        )
