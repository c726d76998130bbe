"""Benchmark (not a test): deciding one day with the learned strategy against the fixed playbook.

A synthetic open book of `n` invoices (3 per customer on average, days past due from −6 to 45,
every segment, zones across Mexico, 60 % WhatsApp opt-ins, short histories) goes through
:func:`cartera.simulation.decide.decide_day` — the build's decision path in memory: candidates →
plan → collectibility → one message per customer → channel/hour/tone → the policy engine's check.
The fixed playbook is the baseline measured in the same run; the learner has a warm start plus
5,000 outcomes so its posteriors are not flat. Target (issue #13): within 2× the fixed playbook.

Run: ``.venv/bin/python -m bench.learning_strategy [--n 100000] [--markdown docs/benchmarks.md]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path

from bench.report import machine, write_section
from cartera.campaigns.build import default_planned_at
from cartera.campaigns.candidates import OpenItem
from cartera.campaigns.contact_check import policy_engine
from cartera.campaigns.contact_data import contact_profile
from cartera.campaigns.playbook import SEGMENTS, Segment, load_playbook
from cartera.learning.arms import ARMS
from cartera.learning.strategy import FixedPlaybook, LearnedStrategy, Strategy
from cartera.learning.thompson import warm_start
from cartera.policy.models import SentMessage
from cartera.simulation.decide import DayInputs, decide_day

HEADING = "## Learned strategy vs fixed playbook (deciding a day)"
AS_OF = dt.date(2026, 3, 10)
ZONES = (
    ("CMX", "America/Mexico_City"),
    ("NLE", "America/Monterrey"),
    ("BCN", "America/Tijuana"),
    ("ROO", "America/Cancun"),
)


def make_day(n: int, seed: int = 20260313) -> DayInputs:
    rng = random.Random(seed)
    customers = max(n // 3, 1)
    items, segments, profiles, history = [], {}, {}, {}
    planned = default_planned_at(AS_OF)
    for c in range(customers):
        cid = f"C{c:06d}"
        segments[cid] = rng.choice(SEGMENTS)
        state, zone = rng.choice(ZONES)
        profiles[cid] = contact_profile(
            cid,
            timezone=zone,
            has_email=rng.random() < 0.97,
            whatsapp_opt_in=rng.random() < 0.6,
            has_mobile=True,
            state=state,
        )
        history[cid] = [
            SentMessage(planned - dt.timedelta(days=rng.randint(2, 20)), rng.choice(("email", "sms", "whatsapp")))
            for _ in range(rng.randint(0, 2))
        ]
    for i in range(n):
        cid = f"C{rng.randrange(customers):06d}"
        dpd = rng.randint(-6, 45)
        amount = Decimal(rng.randint(2_000, 200_000))
        items.append(
            OpenItem(
                f"I{i:07d}",
                f"F-{i}",
                cid,
                AS_OF - dt.timedelta(days=dpd),
                "MXN",
                amount,
                amount,
                dpd,
                False,
                p_late=rng.random(),
            )
        )
    segs: dict[str, Segment] = segments
    return DayInputs(AS_OF, items, segs, set(), profiles, history)


def _time(strategy: Strategy, inputs: DayInputs) -> tuple[float, Counter[str]]:
    playbook, engine = load_playbook(), policy_engine()
    started = time.perf_counter()
    results, _ = decide_day(strategy, inputs, playbook, engine, default_planned_at(AS_OF))
    elapsed = time.perf_counter() - started
    verdicts = Counter(r.verdict.verdict if r.verdict else ("escalate" if r.escalations else "none") for r in results)
    return elapsed, verdicts


def run(n: int) -> dict[str, object]:
    inputs = make_day(n)
    playbook = load_playbook()
    learner = warm_start(playbook)
    rng = random.Random(7)
    for _ in range(5_000):
        seg = rng.choice(SEGMENTS)
        learner.update(
            seg,
            f"{seg}|mid|d8_30|medium|none",
            rng.choice(ARMS),
            paid=rng.random() < 0.3,
            opted_out=rng.random() < 0.01,
            complained=False,
        )
    learned = LearnedStrategy(playbook, learner, control_share=0.10)
    _time(FixedPlaybook(), make_day(200))  # warm the engine's caches for both
    fixed_s, fixed_v = _time(FixedPlaybook(), inputs)
    learned_s, learned_v = _time(learned, inputs)
    return {
        "n": n,
        "fixed_s": fixed_s,
        "learned_s": learned_s,
        "ratio": learned_s / fixed_s,
        "fixed_verdicts": dict(sorted(fixed_v.items())),
        "learned_verdicts": dict(sorted(learned_v.items())),
        **machine(),
    }


def markdown(f: dict[str, object]) -> str:
    n = int(f["n"])  # type: ignore[call-overload]
    fixed, learned, ratio = float(f["fixed_s"]), float(f["learned_s"]), float(f["ratio"])  # type: ignore[arg-type]
    return "\n".join(
        [
            HEADING,
            "",
            f"`python -m bench.learning_strategy` — one day of {n:,} open invoices (~{n // 3:,} customers, days past due",
            "−6…45, every segment, four zones) through the build's decision path in memory",
            "(`cartera.simulation.decide.decide_day`: candidates → plan → collectibility → one message per customer →",
            "channel/hour/tone → policy engine). Baseline: the fixed playbook, same run, same inputs. Target: ≤ 2×.",
            "The learner asks the engine lazily, best arm first, so most messages cost one engine call, as the playbook's do.",
            "",
            "| measure | figure |",
            "|---|---|",
            f"| fixed playbook | {fixed:.2f} s |",
            f"| learned (preventive plan + Thompson sampling, 10 % control) | {learned:.2f} s |",
            f"| ratio learned / fixed | {ratio:.2f}× |",
            f"| fixed: outcomes | {f['fixed_verdicts']} |",
            f"| learned: outcomes | {f['learned_verdicts']} |",
            "",
            f"Machine: `{f['uname']}`; nproc {f['nproc']}; Python {f['python']};",
            f"load average at the end of the run {f['load']} (the machine was shared: figures are pessimistic).",
            "",
        ]
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--markdown", type=Path, default=None, help="write the section into this file")
    args = parser.parse_args(argv)
    section = markdown(run(args.n))
    print(section)
    if args.markdown:
        write_section(args.markdown, HEADING, section)


if __name__ == "__main__":
    main()
