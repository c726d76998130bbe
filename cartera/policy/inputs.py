"""Checks on what callers hand the policy engine, run when each input object is built.

A wrong type or an unknown code must never turn into an *allow*: a string where a tuple of
invoice ids is expected would be read character by character, ``{"SMS"}`` would miss the
opt-out of ``"sms"``, ``"no"`` is a true value. So every field is checked for its type, codes are
normalised where the intent is unambiguous (case and surrounding blanks) and anything else is
rejected with :class:`PolicyInputError`, which names the model and the field and says what was
expected — never the value itself, which may be personal data.

Plain functions (no pydantic): the models stay slotted dataclasses and construction stays cheap.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Sequence
from typing import Any

from cartera.errors import PolicyError


class PolicyInputError(PolicyError, ValueError):
    """An input to the policy engine is malformed. Also a ValueError, as naive instants always were."""

    def __init__(self, model: str, field: str, expected: str, got: object = None) -> None:
        self.model = model
        self.field = field
        self.expected = expected
        got_text = f" (got a {type(got).__name__})" if got is not None else ""
        super().__init__(f"{model}.{field}: expected {expected}{got_text}; fix the caller, nothing was decided")


def text(model: str, field: str, value: object, *, empty: bool = False) -> str:
    """A str (not bytes, not a number); blank only when `empty`."""
    if not isinstance(value, str):
        raise PolicyInputError(model, field, "a string", value)
    if not empty and not value.strip():
        raise PolicyInputError(model, field, "a non-blank string")
    return value


def optional_text(model: str, field: str, value: object) -> str | None:
    """None, or a str; a blank string counts as None (unknown)."""
    if value is None:
        return None
    checked = text(model, field, value, empty=True).strip()
    return checked or None


def flag(model: str, field: str, value: object) -> bool:
    """A real bool: "no", 0, 1 or None are rejected, not read as truthy or falsy."""
    if not isinstance(value, bool):
        raise PolicyInputError(model, field, "True or False", value)
    return value


def code(model: str, field: str, value: object, allowed: Collection[str] | None = None) -> str:
    """A code, lower-cased and stripped; when `allowed` is given it must be one of them."""
    normal = text(model, field, value).strip().lower()
    if allowed is not None and normal not in allowed:
        raise PolicyInputError(model, field, f"one of {sorted(allowed)}")
    return normal


def _items(model: str, field: str, value: object, what: str) -> Iterable[Any]:
    """The elements of a list, tuple, set or frozenset; a str (or any other type) is an error."""
    if isinstance(value, str | bytes) or not isinstance(value, list | tuple | set | frozenset):
        raise PolicyInputError(model, field, f"a tuple, list or set of {what}, not a single value", value)
    return value


def codes(model: str, field: str, value: object, allowed: Collection[str]) -> frozenset[str]:
    """A set of codes, each lower-cased, stripped and one of `allowed`."""
    items = _items(model, field, value, "codes")
    found = set()
    for item in items:
        if not isinstance(item, str):
            raise PolicyInputError(model, field, "codes that are strings", item)
        normal = item.strip().lower()
        if normal not in allowed:
            raise PolicyInputError(model, field, f"codes among {sorted(allowed)}")
        found.add(normal)
    return frozenset(found)


def ids(model: str, field: str, value: object) -> tuple[str, ...]:
    """Invoice ids: non-blank strings, in the caller's order, each once."""
    items = _items(model, field, value, "invoice ids")
    if isinstance(value, set | frozenset):
        items = sorted(items, key=str)  # unordered in, one stable order out
    seen: dict[str, None] = {}
    for item in items:
        seen[text(model, field, item)] = None
    return tuple(seen)


def instant(model: str, field: str, value: object) -> dt.datetime:
    """A timezone-aware datetime (a date, a string or a naive datetime is refused)."""
    if not isinstance(value, dt.datetime):
        raise PolicyInputError(model, field, "a timezone-aware datetime", value)
    if value.tzinfo is None or value.utcoffset() is None:
        raise PolicyInputError(model, field, "a timezone-aware datetime, not a naive one")
    return value


def optional_instant(model: str, field: str, value: object) -> dt.datetime | None:
    return None if value is None else instant(model, field, value)


def sequence_of(name: str, value: object, kind: type) -> None:
    """`value` is a sequence (not a str, not a lone object) whose elements are all `kind`."""
    if isinstance(value, str | bytes) or not isinstance(value, Sequence):
        raise PolicyInputError("decide", name, f"a list or tuple of {kind.__name__}", value)
    for item in value:
        if type(item) is not kind and not isinstance(item, kind):
            raise PolicyInputError("decide", name, f"{kind.__name__} elements", item)
