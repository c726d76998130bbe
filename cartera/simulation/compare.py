"""Fixed dunning against the learned strategy on the same worlds, over several seeds.

For each seed both policies run on the same world. The comparison is paired on the customers
of the learned run's *learner* group (the 90 % the learner serves): the same customers under the
fixed playbook in the fixed run are the counterfactual, so world noise cancels. The learned
run's control group (10 %, fixed playbook) is reported too: in a live deployment it is the only
counterfactual there is.

Run: ``.venv/bin/python -m cartera.simulation.compare --seeds 1 2 3 --json out.json``; with
``--reward uplift`` the learner learns the uplift over the expected payment date instead of the
paid rate, and ``--send-above X`` adds the "no message today" arm (:mod:`cartera.simulation.variants`).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from cartera.simulation.metrics import bootstrap, paired_change, per_customer
from cartera.simulation.runner import SimConfig, simulate
from cartera.simulation.variants import Variant, simulate_variant


def compare_seed(
    seed: int, *, days: int, customers: int, preventive: bool = True, variant: Variant | None = None
) -> dict[str, Any]:
    variant = variant or Variant()
    fixed = simulate(SimConfig(days=days, customers=customers, seed=seed, policy="fixed"))
    config = SimConfig(days=days, customers=customers, seed=seed, policy="learned", preventive=preventive)
    learned = simulate_variant(config, variant)
    treated = [c for c, g in learned.groups.items() if g == "learner"]
    control = [c for c, g in learned.groups.items() if g == "control"]
    base, new = per_customer(fixed, treated), per_customer(learned, treated)
    return {
        "seed": seed,
        "variant": variant.label,
        "treated_customers": len(treated),
        "fixed_on_treated": bootstrap(base, seed=seed),
        "learned_on_treated": bootstrap(new, seed=seed),
        "change": paired_change(base, new, seed=seed),
        "control_group_in_learned_run": bootstrap(per_customer(learned, control), seed=seed),
        "learner_versions": learned.learner_versions,
        "preferred_arms_by_segment": learned.preferred,
        "preventive_reasons": dict(learned.notes),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--days", type=int, default=120)
    parser.add_argument("--customers", type=int, default=400)
    parser.add_argument("--no-preventive", action="store_true")
    parser.add_argument("--reward", choices=["paid", "uplift"], default="paid")
    parser.add_argument("--send-above", type=float, default=None, help="no-message arm: minimum expected uplift")
    parser.add_argument("--json", type=Path, required=True)
    args = parser.parse_args(argv)
    variant = Variant(args.reward, args.send_above)
    results = [
        compare_seed(seed, days=args.days, customers=args.customers, preventive=not args.no_preventive, variant=variant)
        for seed in args.seeds
    ]
    args.json.write_text(json.dumps(results, indent=2, default=str) + "\n", encoding="utf-8")
    for r in results:
        c = r["change"]
        print(
            f"seed {r['seed']}: "
            + ", ".join(f"{k} {v['change']:+.1%} [{v['ci_low']:+.1%}, {v['ci_high']:+.1%}]" for k, v in c.items())
        )


if __name__ == "__main__":
    main()
