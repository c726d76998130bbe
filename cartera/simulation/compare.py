"""Fixed dunning against the learned strategy on the same worlds, over several seeds.

For each seed both policies run on the same world. The comparison is paired on the customers
of the learned run's *learner* group (the 90 % the learner serves): the same customers under the
fixed playbook in the fixed run are the counterfactual, so world noise cancels. The learned
run's control group (10 %, fixed playbook) is reported too: in a live deployment it is the only
counterfactual there is.

Run: ``.venv/bin/python -m cartera.simulation.compare --seeds 1 2 3 --json out.json``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from cartera.simulation.metrics import bootstrap, paired_change, per_customer
from cartera.simulation.runner import SimConfig, simulate


def compare_seed(seed: int, *, days: int, customers: int, preventive: bool = True) -> dict[str, Any]:
    fixed = simulate(SimConfig(days=days, customers=customers, seed=seed, policy="fixed"))
    learned = simulate(SimConfig(days=days, customers=customers, seed=seed, policy="learned", preventive=preventive))
    treated = [c for c, g in learned.groups.items() if g == "learner"]
    control = [c for c, g in learned.groups.items() if g == "control"]
    base, new = per_customer(fixed, treated), per_customer(learned, treated)
    return {
        "seed": seed,
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
    parser.add_argument("--json", type=Path, required=True)
    args = parser.parse_args(argv)
    results = [
        compare_seed(seed, days=args.days, customers=args.customers, preventive=not args.no_preventive)
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
