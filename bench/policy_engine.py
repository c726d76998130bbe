"""Benchmark of the contact policy engine (not a test): time 100k decisions on random candidates.

Baselines, measured in the same run:
- *construction*: building the 100k candidates with their profiles, histories, holds and
  payments (the floor any caller pays before asking the engine anything);
- *naive reload*: loading and validating the rule pack from YAML for every candidate, as a
  caller that does not keep the engine would; measured on a sample and reported per decision.

Run: ``.venv/bin/python -m bench.policy_engine [--n 100000] [--markdown docs/benchmarks.md]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import time
from collections import Counter
from pathlib import Path

from bench.report import machine, write_section
from cartera.policy import Candidate, ContactProfile, Hold, Payment, PolicyEngine, SentMessage
from cartera.policy.rulepack import load_rule_pack

CHANNELS = ("email", "sms", "whatsapp", "call")
HEADING = "## Contact policy engine"
START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)

Situation = tuple[Candidate, ContactProfile, list[SentMessage], list[Hold], list[Payment]]


def make_situations(engine: PolicyEngine, n: int, seed: int = 20260302) -> list[Situation]:
    """`n` random but plausible situations: every country, known/unknown zones, short histories."""
    rng = random.Random(seed)
    countries = sorted(engine.packs)
    situations: list[Situation] = []
    for index in range(n):
        pack = engine.packs[rng.choice(countries)]
        customer = f"c{index % 5000}"
        known = rng.random() < 0.8
        profile = ContactProfile(
            customer_id=customer,
            country=pack.country,
            is_consumer=rng.random() < 0.5,
            timezone=rng.choice(pack.zones) if known else None,
            whatsapp_opt_in=rng.random() < 0.6,
            opted_out_channels=frozenset({"email"}) if rng.random() < 0.03 else frozenset(),
        )
        proposed = START + dt.timedelta(minutes=rng.randrange(365 * 24 * 60))
        invoices = tuple(f"i{rng.randrange(3)}" for _ in range(rng.randint(1, 2)))
        history = [
            SentMessage(
                proposed - dt.timedelta(minutes=rng.randrange(1, 10 * 24 * 60)),
                rng.choice(CHANNELS),
                (f"i{rng.randrange(3)}",),
                direct_contact=rng.random() < 0.2,
                outcome="bounced" if rng.random() < 0.05 else "sent",
            )
            for _ in range(rng.randint(0, 6))
        ]
        holds = [Hold("promise_to_pay", until=proposed + dt.timedelta(days=2))] if rng.random() < 0.05 else []
        payments = [Payment("i9", proposed - dt.timedelta(hours=10))] if rng.random() < 0.05 else []
        situations.append(
            (Candidate(customer, rng.choice(CHANNELS), invoices, proposed), profile, history, holds, payments)
        )
    return situations


def run(n: int, naive_sample: int = 200) -> dict[str, object]:
    """Time construction, n decisions and the naive reload; return the figures."""
    engine = PolicyEngine.load()
    started = time.perf_counter()
    situations = make_situations(engine, n)
    construction = time.perf_counter() - started

    verdicts: Counter[str] = Counter()
    started = time.perf_counter()
    for candidate, profile, history, holds, payments in situations:
        verdicts[engine.decide(candidate, profile, history, holds, payments).verdict] += 1
    decide = time.perf_counter() - started

    started = time.perf_counter()
    for candidate, profile, history, holds, payments in situations[:naive_sample]:
        fresh = PolicyEngine({profile.country: load_rule_pack(profile.country)})
        fresh.decide(candidate, profile, history, holds, payments)
    naive_per = (time.perf_counter() - started) / naive_sample
    return {
        "n": n,
        "construction_s": construction,
        "decide_s": decide,
        "per_decision_us": decide / n * 1e6,
        "naive_per_decision_ms": naive_per * 1e3,
        "naive_sample": naive_sample,
        "verdicts": dict(sorted(verdicts.items())),
        **machine(),
    }


def markdown(figures: dict[str, object]) -> str:
    """The section for docs/benchmarks.md."""
    n = int(figures["n"])  # type: ignore[call-overload]
    decide = float(figures["decide_s"])  # type: ignore[arg-type]
    construction = float(figures["construction_s"])  # type: ignore[arg-type]
    naive_ms = float(figures["naive_per_decision_ms"])  # type: ignore[arg-type]
    per_us = float(figures["per_decision_us"])  # type: ignore[arg-type]
    return "\n".join(
        [
            HEADING,
            "",
            f"`python -m bench.policy_engine` — {n:,} random candidates over the six packs (MX, CO, US, CL, PE, BR),",
            "80 % with a known zone (20 % strictest reading over every zone of the country), 0–6 earlier messages,",
            "5 % promises to pay, 5 % recent payments, 3 % e-mail opt-outs. Target: under 10 s on 2 cores.",
            "",
            "| measure | figure |",
            "|---|---|",
            f"| decide {n:,} candidates | {decide:.2f} s ({per_us:.0f} µs each) |",
            f"| baseline: construct the {n:,} candidates | {construction:.2f} s |",
            f"| ratio decide / construct | {decide / construction:.1f}× |",
            f"| baseline: naive reload of the pack per candidate (sample of {figures['naive_sample']}) | {naive_ms:.1f} ms each |",
            f"| ratio naive reload / engine, per decision | {naive_ms * 1000 / per_us:,.0f}× |",
            f"| verdicts | {figures['verdicts']} |",
            "",
            f"Machine: `{figures['uname']}`; nproc {figures['nproc']}; Python {figures['python']};",
            f"load average at the end of the run {figures['load']} (the machine was shared: figures are pessimistic).",
            "",
        ]
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--markdown", type=Path, default=None, help="write the section into this file")
    args = parser.parse_args(argv)
    figures = run(args.n)
    section = markdown(figures)
    print(section)
    if args.markdown:
        write_section(args.markdown, HEADING, section)


if __name__ == "__main__":
    main()
