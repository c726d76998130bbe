"""The one logger factory. Never log a name, email, phone, RFC, DSN or environment variable:
log ids and counts only."""

from __future__ import annotations

import logging


def get_logger(name: str) -> logging.Logger:
    """A logger under the `cartera` hierarchy."""
    return logging.getLogger(name if name.startswith("cartera") else f"cartera.{name}")


def quiet_noisy_libraries() -> None:
    """Great Expectations and friends log a lot at INFO; keep their warnings only."""
    for noisy in (
        "great_expectations",
        "great_expectations.core",
        "great_expectations.data_context",
        "urllib3",
        "matplotlib",
    ):
        logging.getLogger(noisy).setLevel(logging.WARNING)
