"""Options for books harder than the default company: drift, other terms, other customer mixes.

The default :class:`BookOptions` changes nothing: the generator draws exactly the same random
numbers as without it, so the default book stays byte-identical for a seed. Every option that
needs extra randomness draws it from its own stream (seeded from the generation seed and the
customer), so switching one option on does not reshuffle what the others produce.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class BookOptions:
    """How a generated book departs from the default company.

    - ``late_drift``: relative change of the late share from the first issue date to ``as_of``
      (``-0.25``: by the end a quarter fewer invoices are paid late than the behaviours say;
      ``+0.5``: half as many again). Linear in time, so a model trained on the past over- or
      under-states the present.
    - ``payment_terms``: the mix of credit terms in days (default 15/30/60/90 at 15/45/30/10 %).
    - ``mixed_terms``: each invoice draws its own terms from the mix instead of the customer's.
    - ``volume_sigma`` / ``volume_scale``: spread (lognormal sigma, default 0.8) and scale (× the
      mean) of invoices per customer per month: few customers with many invoices, or many with few.
    - ``disputes``: False writes no disputes at all (a book whose ERP does not record them).
    - ``anomaly_rate``: share of each anomaly type's unit injected with labels kept aside
      (:mod:`cartera.synthetic.anomalies`; 0.005 for the evaluation book, 0 = none).
    - ``history``: benign earlier versions of customers and contacts (what a daily extract sees),
      so a clean evaluation book has ordinary changes too.
    """

    late_drift: float = 0.0
    payment_terms: Mapping[int, float] | None = None
    mixed_terms: bool = False
    volume_sigma: float = 0.8
    volume_scale: float = 1.0
    disputes: bool = True
    anomaly_rate: float = 0.0
    history: bool = False

    def __post_init__(self) -> None:
        if not -1.0 <= self.late_drift <= 3.0:
            raise ValueError("late_drift must be between -1 and 3")
        if self.volume_sigma <= 0 or self.volume_scale <= 0:
            raise ValueError("volume_sigma and volume_scale must be positive")
        if self.payment_terms is not None and (
            not self.payment_terms or any(d <= 0 or w < 0 for d, w in self.payment_terms.items())
        ):
            raise ValueError("payment_terms: positive days with non-negative weights")
        if not 0.0 <= self.anomaly_rate <= 0.2:
            raise ValueError("anomaly_rate must be between 0 and 0.2")

    @property
    def is_default_volume(self) -> bool:
        return self.volume_sigma == 0.8 and self.volume_scale == 1.0

    def stream(self, seed: int, customer_no: int, purpose: int) -> random.Random:
        """An independent random stream for one option and one customer."""
        return random.Random((seed * 1_000_003 + customer_no) * 31 + purpose)
