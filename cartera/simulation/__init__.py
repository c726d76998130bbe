"""A simulated world to try collection strategies in (issue #13).

- :mod:`world` — a company built on the generator's payment behaviours, with each customer's hidden
  response traits (channels, reading hours, tone, forgetful or unable to pay, annoyance);
- :mod:`responses` — what a message or a collector's call does in that world;
- :mod:`runner` — the day loop: production decision code (candidates → strategy → policy engine),
  simulated sends, outcomes and payments;
- :mod:`metrics` — DSO (countback), cash collected within 30 days of due, on-time rate, contact
  counts, with bootstrap confidence intervals;
- :mod:`compare` — fixed dunning against the learned strategy on the same worlds.
See docs/learning.md for exactly what is simulated and what is production code.
"""
