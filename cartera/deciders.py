"""Who takes a decision that changes what serves the customers (a strategy or a model): a named
person, never an account. Shared by `cartera strategy` (cartera/learning/roster.py) and
`cartera model` (ml/promotion.py), so both refuse the same accounts."""

from __future__ import annotations

import getpass

# Accounts commands and services run under: a decision needs the person behind them.
NOT_A_PERSON = frozenset({"unknown", "root", "airflow", "system", "cartera", "postgres", "admin", "administrator"})


def named_person(name: str) -> str:
    """The named person deciding, whitespace-normalised (at most 120 characters); ValueError when
    blank, too short, without a letter, or an account rather than a name."""
    clean = " ".join(name.split())
    if len(clean) < 2 or not any(ch.isalpha() for ch in clean) or clean.lower() in NOT_A_PERSON:
        raise ValueError(f"a decision needs the name of the person taking it (--by), not {name!r}")
    return clean[:120]


def os_user() -> str | None:
    """The account the command runs under, stored beside the named person (None when unknown)."""
    try:
        return getpass.getuser()[:64]
    except (KeyError, OSError):
        return None
