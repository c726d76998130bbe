"""The control group: a stable, randomized share of customers that stays on the fixed playbook.

Assignment is a hash of the customer id and a salt, so it is random with respect to everything
about the customer, stable across days, runs and machines, and needs no table to be known (the
table ``ops.learning_assignments`` records it for the audit and the dashboard). Changing the salt
draws a new group; changing the share keeps everyone whose draw is below both shares.
"""

from __future__ import annotations

import hashlib
from typing import Literal

Group = Literal["control", "learner"]
DEFAULT_SHARE = 0.10
DEFAULT_SALT = "cartera-learning-v1"


def draw(customer_id: str, salt: str = DEFAULT_SALT) -> float:
    """The customer's uniform draw in [0, 1) for this salt."""
    digest = hashlib.sha256(f"{salt}:{customer_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def group_of(customer_id: str, *, share: float = DEFAULT_SHARE, salt: str = DEFAULT_SALT) -> Group:
    """'control' (fixed playbook) for a `share` of customers, 'learner' for the rest."""
    if not 0.0 <= share <= 1.0:
        raise ValueError(f"the control share must be within [0, 1], got {share}")
    return "control" if draw(customer_id, salt) < share else "learner"
