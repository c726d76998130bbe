"""The contact check (cartera/campaigns/contact_check.py): collectibility and reachability here,
contact law from the policy engine (Mexico's rule pack): deny, defer, allow — all in the engine's
types (one ContactProfile, one Hold, one Decision)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from cartera.campaigns.candidates import Candidate, OpenItem
from cartera.campaigns.contact_check import can_receive, check, hold_from
from cartera.campaigns.contact_data import contact_profile
from cartera.campaigns.playbook import load_playbook
from cartera.policy.models import ContactProfile, Decision, Hold, Payment, SentMessage

MX = ZoneInfo("America/Mexico_City")
NOON = dt.datetime(2026, 3, 10, 12, 0, tzinfo=MX)
STEP = load_playbook().step("recordatorio")


def item(invoice_id: str = "I1", amount: str = "100.00", disputed: bool = False) -> OpenItem:
    return OpenItem(
        invoice_id, f"F-{invoice_id}", "C1", dt.date(2026, 3, 5), "MXN", Decimal(amount), Decimal(amount), 5, disputed
    )


def candidate(*items: OpenItem) -> Candidate:
    return Candidate("C1", "at_risk", STEP, items or (item(),), channel="email")


def profile(**changes: object) -> ContactProfile:
    """The profile as the warehouse loader builds it, from the contact's facts."""
    values: dict[str, object] = {"timezone": "America/Mexico_City", "has_email": True}
    values.update(changes)
    return contact_profile("C1", **values)  # type: ignore[arg-type]


def hold(invoice_id: str | None, reason: str, opened_at: dt.datetime, **ends: dt.datetime) -> Hold:
    return hold_from(reason, invoice_id, opened_at, **ends)


def test_a_collectible_invoice_inside_the_window_is_allowed() -> None:
    decision = check(candidate(), profile(), [], [], NOON)
    assert decision.verdict == "allow" and decision.next_allowed_at is None


@pytest.mark.parametrize(
    ("items", "reason"),
    [
        ((item(amount="0.00"),), "invoice_not_open"),
        ((item(disputed=True),), "invoice_disputed"),
        ((item("I1"), item("I2", amount="0")), "invoice_not_open"),
    ],
)
def test_a_paid_or_disputed_invoice_denies_the_message(items: tuple[OpenItem, ...], reason: str) -> None:
    decision = check(candidate(*items), profile(), [], [], NOON)
    assert (decision.verdict, decision.reason_code) == ("deny", reason)
    assert decision.rule_id == f"CAMPAIGNS/{reason}"
    assert (decision.rule_pack_id, decision.inputs_summary) == ("CAMPAIGNS", {})  # decided before the engine
    assert isinstance(decision, Decision) and decision.blocked_invoice_ids == tuple(
        i.invoice_id for i in items if not i.is_open or i.is_disputed
    )


def test_an_open_hold_denies_and_a_released_one_does_not() -> None:
    opened = NOON - dt.timedelta(days=1)
    on_invoice = hold("I1", "promise_to_pay", opened)
    on_customer = hold(None, "legal", opened)
    released = hold("I1", "dispute", opened, released_at=NOON - dt.timedelta(hours=1))
    not_yet = hold(None, "legal", NOON + dt.timedelta(hours=1))
    assert check(candidate(), profile(), [], [on_invoice], NOON).reason_code == "invoice_on_hold"
    assert check(candidate(), profile(), [], [on_customer], NOON).reason_code == "invoice_on_hold"
    assert check(candidate(), profile(), [], [released, not_yet], NOON).verdict == "allow"


def test_a_hold_carries_its_source_reason_and_the_engine_kind_it_maps_to() -> None:
    reported = hold(None, "payment_reported", NOON)
    assert (reported.kind, reported.reason, reported.opened_at) == ("do_not_contact", "payment_reported", NOON)
    decision = check(candidate(), profile(), [], [reported], NOON + dt.timedelta(minutes=1))
    assert decision.blocked_invoice_ids == ("I1",) and decision.rule_id == "CAMPAIGNS/invoice_on_hold"


@pytest.mark.parametrize(
    "changes",
    [{"email_opt_out": True}, {"opted_out_channels": frozenset({"email"})}, {"opted_out_channels": frozenset({"all"})}],
)
def test_an_opt_out_denies(changes: dict[str, object]) -> None:
    decision = check(candidate(), profile(**changes), [], [], NOON)
    assert (decision.verdict, decision.reason_code) == ("deny", "opted_out")


def test_a_contact_without_address_is_denied() -> None:
    assert check(candidate(), profile(has_email=False), [], [], NOON).reason_code == "no_address"


def sent(*instants: dt.datetime, channel: str = "email") -> list[SentMessage]:
    return [SentMessage(at, channel, ("I9",)) for at in instants]


def test_outside_the_window_defers_to_the_next_opening() -> None:
    late = dt.datetime(2026, 3, 10, 23, 0, tzinfo=MX)
    decision = check(candidate(), profile(), [], [], late)
    assert (decision.verdict, decision.reason_code) == ("defer", "outside_contact_window")
    assert decision.next_allowed_at == dt.datetime(2026, 3, 11, 7, 0, tzinfo=MX)
    assert decision.rule_id == "MX-CONDUSEF-2014/contact_window"
    assert decision.rule_pack_version.startswith("2026") and decision.rule_pack_id == "MX-CONDUSEF-2014"


def test_the_window_is_the_debtors_a_sonora_debtor_waits_for_seven_in_hermosillo() -> None:
    # 07:30 in Mexico City is 06:30 in Hermosillo (no DST in Sonora).
    early = dt.datetime(2026, 3, 10, 7, 30, tzinfo=MX)
    decision = check(candidate(), profile(timezone="America/Hermosillo", state="SON"), [], [], early)
    assert decision.verdict == "defer"
    assert decision.next_allowed_at == dt.datetime(2026, 3, 10, 7, 0, tzinfo=ZoneInfo("America/Hermosillo"))


def test_a_second_reminder_the_same_local_day_waits_for_the_next_day() -> None:
    decision = check(candidate(), profile(), sent(dt.datetime(2026, 3, 10, 8, 0, tzinfo=MX)), [], NOON)
    assert (decision.verdict, decision.reason_code) == ("defer", "frequency_cap")
    assert decision.rule_id == "MX-CONDUSEF-2014/daily_cap"
    assert decision.next_allowed_at == dt.datetime(2026, 3, 11, 7, 0, tzinfo=MX)
    yesterday = sent(dt.datetime(2026, 3, 9, 21, 0, tzinfo=MX))
    assert check(candidate(), profile(), yesterday, [], NOON).verdict == "allow"


def test_the_daily_cap_counts_every_channel() -> None:
    whatsapp_this_morning = sent(dt.datetime(2026, 3, 10, 8, 0, tzinfo=MX), channel="whatsapp")
    assert check(candidate(), profile(), whatsapp_this_morning, [], NOON).reason_code == "frequency_cap"


def test_a_scheduled_reminder_tomorrow_pushes_a_deferral_one_more_day() -> None:
    history = sent(NOON, dt.datetime(2026, 3, 11, 7, 0, tzinfo=MX))
    decision = check(candidate(), profile(), history, [], NOON)
    assert decision.next_allowed_at == dt.datetime(2026, 3, 12, 7, 0, tzinfo=MX)


def test_a_recent_payment_starts_a_quiet_period() -> None:
    paid = [Payment("payment:P1", NOON - dt.timedelta(hours=10), settles_invoice=False)]
    decision = check(candidate(), profile(), [], [], NOON, payments=paid)
    assert (decision.verdict, decision.reason_code) == ("defer", "quiet_after_payment")
    assert decision.next_allowed_at is not None and decision.next_allowed_at >= NOON + dt.timedelta(hours=62)


def test_a_promise_to_pay_with_a_date_defers_past_it_instead_of_denying() -> None:
    until = NOON + dt.timedelta(days=3)
    promise = hold("I1", "promise_to_pay", NOON - dt.timedelta(days=1), until=until)
    decision = check(candidate(), profile(), [], [promise], NOON)
    assert (decision.verdict, decision.reason_code) == ("defer", "hold_promise_to_pay")
    assert decision.next_allowed_at is not None and decision.next_allowed_at >= until


def test_whatsapp_without_opt_in_is_denied_by_the_engine() -> None:
    decision = check(replace(candidate(), channel="whatsapp"), profile(has_mobile=True), [], [], NOON)
    assert (decision.verdict, decision.reason_code) == ("deny", "no_whatsapp_opt_in")


def test_sms_or_whatsapp_without_a_mobile_is_denied_and_an_sms_opt_out_counts() -> None:
    for channel in ("sms", "whatsapp"):
        decision = check(replace(candidate(), channel=channel), profile(whatsapp_opt_in=True), [], [], NOON)
        assert (decision.verdict, decision.reason_code) == ("deny", "no_mobile")
    opted_out = check(replace(candidate(), channel="sms"), profile(has_mobile=True, sms_opt_out=True), [], [], NOON)
    assert opted_out.verdict == "deny"
    assert check(replace(candidate(), channel="sms"), profile(has_mobile=True), [], [], NOON).verdict == "allow"


@pytest.mark.parametrize(
    ("channel", "values", "expected"),
    [
        ("email", {}, True),
        ("email", {"email_opt_out": True}, False),
        ("email", {"has_email": False}, False),
        ("sms", {"has_mobile": True}, True),
        ("sms", {"has_mobile": True, "sms_opt_out": True}, False),
        ("sms", {}, False),
        ("whatsapp", {"has_mobile": True}, False),
        ("whatsapp", {"has_mobile": True, "whatsapp_opt_in": True}, True),
        ("whatsapp", {"has_mobile": True, "whatsapp_opt_in": True, "opted_out_channels": frozenset({"all"})}, False),
        ("sms", {"has_mobile": True, "opted_out_channels": frozenset({"sms"})}, False),
    ],
)
def test_a_channel_is_receivable_only_with_an_address_and_consent(
    channel: str, values: dict[str, object], expected: bool
) -> None:
    assert can_receive(channel, profile(**values)) is expected


def test_a_country_without_a_rule_pack_is_denied_never_allowed() -> None:
    decision = check(candidate(), profile(country="AR"), [], [], NOON)
    assert (decision.verdict, decision.reason_code) == ("deny", "no_rule_pack")


def test_a_denial_wins_over_a_deferral() -> None:
    late = dt.datetime(2026, 3, 10, 23, 0, tzinfo=MX)
    assert check(candidate(item(disputed=True)), profile(), [], [], late).verdict == "deny"


def test_a_naive_instant_is_refused() -> None:
    with pytest.raises(ValueError):
        check(candidate(), profile(), [], [], dt.datetime(2026, 3, 10, 12, 0))


def test_a_content_violation_denies_with_its_rule_and_the_text_version_is_kept() -> None:
    from cartera.campaigns.contact_check import policy_engine

    engine = policy_engine()
    text = "Distribuidora Ejemplo S.A. de C.V. le recuerda su saldo; informaremos a su empleador."
    report = engine.check_content(text, "es-MX", "MX", channel="email", is_consumer=False)
    decision = check(candidate(), profile(), [], [], NOON, engine=engine, content=report)
    assert (decision.verdict, decision.reason_code) == ("deny", "content_missing")  # the first failing rule
    assert decision.content_sha256 == report.content_sha256
    assert "MX-CONDUSEF-2014/no_third_party_mentions" in {r.rule_id for r in decision.reasons}
    assert check(candidate(), profile(), [], [], NOON, engine=engine).content_sha256 is None


def test_the_loader_folds_the_contacts_opt_out_flags_and_addresses_into_the_engine_profile() -> None:
    folded = profile(has_mobile=True, email_opt_out=True, sms_opt_out=True, opted_out_channels={"whatsapp"})
    assert folded.opted_out_channels == frozenset({"email", "sms", "whatsapp"})
    assert folded.reachable_channels == frozenset({"email", "sms", "whatsapp"})
    assert profile(has_email=False).reachable_channels == frozenset()
    assert profile(language="es-MX").language == "es" and profile().country == "MX"
