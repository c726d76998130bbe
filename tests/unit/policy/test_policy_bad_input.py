"""Bad rule packs and creditor settings are rejected at load time with a clear PolicyError, and
the engine never falls back to allowing."""

from __future__ import annotations

import copy
import datetime as dt
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from policy_builders import default_engine

from cartera.errors import PolicyError
from cartera.policy import Candidate, ContactProfile, Hold, PolicyEngine, load_rule_pack
from cartera.policy.rulepack import PLATFORM_FILE, _pack_dir

MX_FILE = _pack_dir() / "MX.yml"


def _mx() -> dict[str, Any]:
    return dict(yaml.safe_load(MX_FILE.read_text(encoding="utf-8")))


def _write(folder: Path, document: dict[str, Any] | str, name: str = "MX.yml") -> Path:
    shutil.copy(_pack_dir() / PLATFORM_FILE, folder / PLATFORM_FILE)
    text = document if isinstance(document, str) else yaml.safe_dump(document, allow_unicode=True)
    (folder / name).write_text(text, encoding="utf-8")
    return folder


def _rule(document: dict[str, Any], suffix: str) -> dict[str, Any]:
    return next(rule for rule in document["rules"] if rule["id"].endswith(suffix))


def test_the_packaged_packs_all_load_and_cover_the_six_countries() -> None:
    assert sorted(default_engine().packs) == ["BR", "CL", "CO", "MX", "PE", "US"]


def test_an_unknown_country_is_rejected_and_the_message_names_the_known_ones() -> None:
    with pytest.raises(PolicyError, match="no contact rule pack for country 'XX'.*MX"):
        load_rule_pack("XX")
    with pytest.raises(PolicyError):
        PolicyEngine.load(["MX", "AR"])


def test_a_customer_in_a_country_without_a_pack_is_denied_not_allowed() -> None:
    profile = ContactProfile("c", "AR", True)
    at = dt.datetime(2026, 3, 2, 15, tzinfo=dt.UTC)
    decision = default_engine().decide(Candidate("c", "email", ("i1",), at), profile)
    assert decision.verdict == "deny" and decision.reason_code == "no_rule_pack"


def test_a_file_that_is_not_yaml_is_rejected(tmp_path: Path) -> None:
    _write(tmp_path, "id: [unclosed\nrules: {")
    with pytest.raises(PolicyError, match="MX.yml: cannot read it as YAML"):
        load_rule_pack("MX", tmp_path)


@pytest.mark.parametrize(
    ("break_it", "message"),
    [
        (
            lambda d: _rule(d, "contact_window")["window"].update(mon=["22:00", "07:00"]),
            "window end 07:00 is not after its start",
        ),
        (lambda d: _rule(d, "contact_window")["window"].update(tue=["07:00", "25:00"]), "not HH:MM"),
        (lambda d: _rule(d, "daily_cap")["cap"].update(max=-1), "greater than or equal to 1"),
        (lambda d: _rule(d, "daily_cap")["cap"].update(max=0), "greater than or equal to 1"),
        (lambda d: _rule(d, "daily_cap").pop("source"), "source"),
        (lambda d: _rule(d, "daily_cap")["source"].update(citation=""), "citation"),
        (lambda d: _rule(d, "daily_cap").update(verification="X"), "verification"),
        (lambda d: _rule(d, "daily_cap").update(verification="R"), "must say what is unverified"),
        (lambda d: _rule(d, "daily_cap").update(maximum=3), "Extra inputs are not permitted"),
        (lambda d: _rule(d, "daily_cap").update(channels=["fax"]), "channels must be"),
        (lambda d: _rule(d, "daily_cap")["cap"].update(period="rolling"), "`days` is required"),
        (lambda d: _rule(d, "daily_cap").update(window=_rule(d, "contact_window")["window"]), "does not belong"),
        (lambda d: d.pop("version"), "version"),
        (lambda d: d.update(rules=[]), "rules"),
    ],
    ids=[
        "window-end-before-start",
        "hour-25",
        "negative-cap",
        "zero-cap",
        "missing-source",
        "empty-citation",
        "unknown-mark",
        "recalled-without-note",
        "typo-key",
        "unknown-channel",
        "rolling-without-days",
        "params-of-another-kind",
        "no-version",
        "no-rules",
    ],
)
def test_a_malformed_pack_is_rejected_at_load_time(tmp_path: Path, break_it: Any, message: str) -> None:
    document = _mx()
    break_it(document)
    _write(tmp_path, document)
    with pytest.raises(PolicyError, match=message):
        load_rule_pack("MX", tmp_path)


def test_a_pack_that_leaves_a_channel_without_any_window_is_rejected(tmp_path: Path) -> None:
    document = _mx()
    _rule(document, "contact_window")["channels"] = ["email", "sms", "whatsapp"]
    _write(tmp_path, document)
    with pytest.raises(PolicyError, match="no contact window for consumer debtors on call"):
        load_rule_pack("MX", tmp_path)


def test_windows_that_never_overlap_across_the_country_zones_are_rejected(tmp_path: Path) -> None:
    document = _mx()
    document["timezones"] = {"zones": ["Pacific/Kiritimati", "Pacific/Pago_Pago"]}
    window = _rule(document, "contact_window")["window"]
    for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun"):
        window[day] = ["08:00", "09:00"]
    _write(tmp_path, document)
    with pytest.raises(PolicyError, match="never overlap"):
        load_rule_pack("MX", tmp_path)


def test_a_zone_typo_and_a_state_outside_the_zone_list_are_rejected(tmp_path: Path) -> None:
    document = _mx()
    document["timezones"]["zones"] = [*document["timezones"]["zones"], "America/Mexico_Citi"]
    _write(tmp_path, document)
    with pytest.raises(PolicyError, match="not an IANA time zone"):
        load_rule_pack("MX", tmp_path)
    document = _mx()
    document["timezones"]["by_state"]["SON"] = ["America/Phoenix"]
    _write(tmp_path, document)
    with pytest.raises(PolicyError, match="outside `zones`"):
        load_rule_pack("MX", tmp_path)


def test_a_file_declaring_another_country_and_duplicate_rule_ids_are_rejected(tmp_path: Path) -> None:
    document = _mx()
    document["country"] = "CO"
    _write(tmp_path, document)
    with pytest.raises(PolicyError, match="declares country CO"):
        load_rule_pack("MX", tmp_path)
    document = _mx()
    document["rules"].append(copy.deepcopy(_rule(document, "daily_cap")))
    _write(tmp_path, document)
    with pytest.raises(PolicyError, match="duplicate rule ids"):
        load_rule_pack("MX", tmp_path)


WEEKDAYS_9_18 = {day: ["09:00", "18:00"] for day in ("mon", "tue", "wed", "thu", "fri")}


@pytest.mark.parametrize(
    ("country", "settings", "message"),
    [
        (
            "MX",
            {"window": {**WEEKDAYS_9_18, "mon": ["06:00", "18:00"], "holidays": "allowed"}},
            "mon is wider than the law",
        ),
        (
            "MX",
            {"window": {**WEEKDAYS_9_18, "fri": ["09:00", "23:00"], "holidays": "allowed"}},
            "fri is wider than the law",
        ),
        (
            "PE",
            {"window": {**WEEKDAYS_9_18, "sat": ["09:00", "12:00"], "holidays": "blocked"}},
            "sat is wider than the law",
        ),
        ("CO", {"window": {**WEEKDAYS_9_18, "holidays": "allowed"}}, "allows holidays"),
        (
            "CL",
            {"caps": [{"max": 3, "period": "rolling", "days": 7, "channels": ["sms", "email"]}]},
            "may only lower caps",
        ),
        ("CL", {"caps": [{"max": 2, "period": "rolling", "days": 7, "channels": ["call"]}]}, "may only lower caps"),
        ("CO", {"caps": [{"max": 2, "period": "day"}]}, "may only lower caps"),
        (
            "CL",
            {"caps": [{"max": 2, "period": "rolling", "days": 7, "channels": ["sms"], "min_gap_hours": 24}]},
            "spaces messages less",
        ),
        ("MX", {"quiet_after_payment_hours": 24}, "shorter than PLATFORM/quiet_after_payment"),
        ("MX", {"bounce_pause_hours": 1}, "shorter than PLATFORM/bounce_pause"),
        ("MX", {"disabled_channels": ["fax"]}, "unknown channels"),
        ("MX", {"caps": [{"max": 0, "period": "day"}]}, "greater than or equal to 1"),
        ("MX", {"window": {"mon": ["18:00", "09:00"], "holidays": "allowed"}}, "not after its start"),
        ("MX", {"max_per_day": 1}, "Extra inputs are not permitted"),
    ],
    ids=[
        "earlier-start",
        "later-end",
        "day-the-law-closes",
        "holidays-where-blocked",
        "higher-message-cap",
        "higher-call-cap",
        "higher-daily-cap",
        "shorter-gap",
        "shorter-quiet-period",
        "shorter-bounce-pause",
        "unknown-channel",
        "zero-cap",
        "end-before-start",
        "typo-key",
    ],
)
def test_a_creditor_setting_that_would_loosen_the_law_is_rejected(
    country: str, settings: dict[str, Any], message: str
) -> None:
    with pytest.raises(PolicyError, match=message):
        PolicyEngine.load([country], creditor={"creditor_id": "acme", **settings})


def test_stricter_creditor_settings_load_and_show_in_the_version() -> None:
    engine = PolicyEngine.load(
        ["CL"],
        creditor={
            "creditor_id": "acme",
            "version": "7",
            "window": {**WEEKDAYS_9_18, "holidays": "blocked"},
            "caps": [{"max": 1, "period": "rolling", "days": 7, "channels": ["sms", "email"]}],
            "quiet_after_payment_hours": 120,
            "disabled_channels": ["call"],
        },
    )
    pack = engine.packs["CL"]
    assert pack.version == "2026.2/platform@2026.2+acme@7"
    at = dt.datetime(2026, 3, 3, 14, tzinfo=dt.UTC)  # Tuesday 11:00 in Santiago
    call = engine.decide(Candidate("c", "call", ("i1",), at), ContactProfile("c", "CL", True, state="RM"))
    assert call.verdict == "deny" and call.reason_code == "channel_disabled"


def test_naive_instants_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        default_engine().decide(
            Candidate("c", "email", ("i1",), dt.datetime(2026, 3, 2, 10)), ContactProfile("c", "MX", True)
        )


def test_an_unknown_hold_kind_or_channel_denies() -> None:
    at = dt.datetime(2026, 3, 2, 18, tzinfo=dt.UTC)
    profile = ContactProfile("c", "MX", True, timezone="America/Mexico_City")
    odd_hold = default_engine().decide(Candidate("c", "email", ("i1",), at), profile, holds=[Hold(kind="bankruptcy")])
    assert odd_hold.verdict == "deny" and odd_hold.reason_code == "hold_unknown"
    fax = default_engine().decide(Candidate("c", "fax", ("i1",), at), profile)
    assert fax.verdict == "deny" and fax.reason_code == "unknown_channel"
    empty = default_engine().decide(Candidate("c", "email", (), at), profile)
    assert empty.verdict == "deny" and empty.reason_code == "no_invoices"
