"""Builders shared by the policy tests: instants written as "YYYY-MM-DDTHH:MM <zone>", and the
engine's inputs from the plain dicts of law_matrix.yml."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from cartera.policy import Candidate, ContactProfile, ContentReport, Hold, Payment, PolicyEngine, SentMessage

MATRIX = Path(__file__).with_name("law_matrix.yml")


def instant(text: str) -> dt.datetime:
    """ "2026-03-02T07:00 America/Mexico_City" -> aware datetime ("UTC" allowed as the zone)."""
    stamp, zone_name = text.split(" ")
    naive = dt.datetime.fromisoformat(stamp)
    return naive.replace(tzinfo=dt.UTC if zone_name == "UTC" else ZoneInfo(zone_name))


@lru_cache(maxsize=1)
def default_engine() -> PolicyEngine:
    return PolicyEngine.load()


def engine_for(creditor: dict[str, Any] | None, country: str) -> PolicyEngine:
    """The packaged engine, or one for `country` with a creditor's settings applied."""
    return default_engine() if creditor is None else PolicyEngine.load([country], creditor=creditor)


def profile_from(country: str, data: dict[str, Any]) -> ContactProfile:
    values = dict(data)
    for key in ("opted_out_channels", "consented_channels"):
        if key in values:
            values[key] = frozenset(values[key])
    values.setdefault("is_consumer", True)
    return ContactProfile(customer_id="c-1", country=country, **values)


def history_from(rows: list[dict[str, Any]], default_invoices: list[str]) -> list[SentMessage]:
    return [
        SentMessage(
            at=instant(row["at"]),
            channel=row["channel"],
            invoice_ids=tuple(row.get("invoices", default_invoices)),
            direct_contact=row.get("direct", False),
            outcome=row.get("outcome", "sent"),
        )
        for row in rows
    ]


def holds_from(rows: list[dict[str, Any]]) -> list[Hold]:
    return [
        Hold(
            kind=row["kind"],
            invoice_id=row.get("invoice"),
            until=instant(row["until"]) if "until" in row else None,
            released_at=instant(row["released_at"]) if "released_at" in row else None,
        )
        for row in rows
    ]


def payments_from(rows: list[dict[str, Any]]) -> list[Payment]:
    return [Payment(invoice_id=row["invoice"], at=instant(row["at"])) for row in rows]


def load_matrix() -> list[dict[str, Any]]:
    document = yaml.safe_load(MATRIX.read_text(encoding="utf-8"))
    defaults = document["defaults"]
    return [{**defaults, **case} for case in document["cases"]]


def candidate_from(case: dict[str, Any]) -> Candidate:
    return Candidate("c-1", case["channel"], tuple(case["invoices"]), instant(case["at"]), case.get("role", "debtor"))


def content_from(case: dict[str, Any], engine: PolicyEngine) -> ContentReport | None:
    """The content report of the case's rendered text, checked as the campaigns code would."""
    content = case.get("content")
    if content is None:
        return None
    return engine.check_content(
        content["text"],
        content["language"],
        case["country"],
        channel=case["channel"],
        is_consumer=case.get("profile", {}).get("is_consumer", True),
        facts=content.get("facts"),
    )
