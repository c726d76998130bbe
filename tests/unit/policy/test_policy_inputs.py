"""Malformed inputs are refused when they are built, with an error naming the field, and never
end in an allow; codes are normalised where the intent is plain."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from policy_builders import default_engine

from cartera.errors import PolicyError
from cartera.policy import Candidate, ContactProfile, Hold, Payment, PolicyInputError, SentMessage

AT = dt.datetime(2026, 3, 2, 18, tzinfo=dt.UTC)  # Monday 12:00 in Mexico City
ENGINE = default_engine()


def _profile(**changes: Any) -> ContactProfile:
    values: dict[str, Any] = {
        "customer_id": "c",
        "country": "MX",
        "is_consumer": True,
        "timezone": "America/Mexico_City",
    }
    values.update(changes)
    return ContactProfile(**values)


def _decide(candidate: Candidate, profile: ContactProfile | None = None, **more: Any) -> str:
    return ENGINE.decide(candidate, profile or _profile(), **more).verdict


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: Candidate("c", "email", "INV-1", AT), "Candidate.invoice_ids"),  # type: ignore[arg-type]
        (lambda: Candidate("c", "email", ("INV-1", 7), AT), "Candidate.invoice_ids"),  # type: ignore[arg-type]
        (lambda: Candidate("c", "email", ("INV-1", " "), AT), "Candidate.invoice_ids"),
        (lambda: Candidate("c", "email", ("i1",), "2026-03-02T10:00"), "Candidate.proposed_at"),  # type: ignore[arg-type]
        (lambda: Candidate("c", "email", ("i1",), dt.datetime(2026, 3, 2, 10)), "Candidate.proposed_at"),
        (lambda: Candidate("c", 3, ("i1",), AT), "Candidate.channel"),  # type: ignore[arg-type]
        (lambda: Candidate("", "email", ("i1",), AT), "Candidate.customer_id"),
        (lambda: Candidate("c", "email", ("i1",), AT, "neighbour"), "Candidate.recipient_role"),
        (lambda: _profile(opted_out_channels="sms"), "ContactProfile.opted_out_channels"),
        (lambda: _profile(opted_out_channels={"fax"}), "ContactProfile.opted_out_channels"),
        (lambda: _profile(consented_channels=["email", None]), "ContactProfile.consented_channels"),
        (lambda: _profile(reachable_channels="email"), "ContactProfile.reachable_channels"),
        (lambda: _profile(reachable_channels={"all"}), "ContactProfile.reachable_channels"),
        (lambda: _profile(consented_channels={"all"}), "ContactProfile.consented_channels"),
        (lambda: _profile(whatsapp_opt_in="no"), "ContactProfile.whatsapp_opt_in"),
        (lambda: _profile(whatsapp_opt_in=1), "ContactProfile.whatsapp_opt_in"),
        (lambda: _profile(is_consumer=None), "ContactProfile.is_consumer"),
        (lambda: _profile(country="Mexico"), "ContactProfile.country"),
        (lambda: _profile(country=52), "ContactProfile.country"),
        (lambda: _profile(phone_area_code=55), "ContactProfile.phone_area_code"),
        (lambda: _profile(language="español!"), "ContactProfile.language"),
        (lambda: SentMessage(AT, "fax", ("i1",)), "SentMessage.channel"),
        (lambda: SentMessage(AT, "sms", "i1"), "SentMessage.invoice_ids"),  # type: ignore[arg-type]
        (lambda: SentMessage(AT, "sms", ("i1",), outcome="read"), "SentMessage.outcome"),
        (lambda: SentMessage(AT, "sms", ("i1",), direct_contact="yes"), "SentMessage.direct_contact"),  # type: ignore[arg-type]
        (lambda: SentMessage(AT.date(), "sms", ("i1",)), "SentMessage.at"),  # type: ignore[arg-type]
        (lambda: Hold(None), "Hold.kind"),  # type: ignore[arg-type]
        (lambda: Hold("dispute", until=dt.datetime(2026, 3, 9)), "Hold.until"),
        (lambda: Hold("dispute", opened_at=dt.datetime(2026, 3, 9)), "Hold.opened_at"),
        (lambda: Hold("dispute", reason=3), "Hold.reason"),  # type: ignore[arg-type]
        (lambda: Payment("", AT), "Payment.invoice_id"),
        (lambda: Payment("i1", AT, settles_invoice="false"), "Payment.settles_invoice"),  # type: ignore[arg-type]
    ],
)
def test_a_malformed_input_is_refused_when_built_and_the_error_names_the_field(build: Any, field: str) -> None:
    with pytest.raises(PolicyInputError, match=field.replace(".", r"\.")) as raised:
        build()
    assert isinstance(raised.value, PolicyError) and isinstance(raised.value, ValueError)
    assert "nothing was decided" in str(raised.value)


def test_the_error_does_not_echo_the_value() -> None:
    with pytest.raises(PolicyInputError) as raised:
        _profile(phone_area_code=5512345678)
    assert "5512345678" not in str(raised.value)


def test_invoice_ids_given_as_a_string_are_not_read_character_by_character() -> None:
    # Before: ("I", "N", "V", ...) -- a paid "INV-1" was not recognised and the message went out.
    with pytest.raises(PolicyInputError, match="not a single value"):
        Candidate("c", "email", "INV-1", AT)  # type: ignore[arg-type]


def test_an_upper_case_opt_out_is_honoured() -> None:
    profile = _profile(opted_out_channels={"SMS", " Email "})
    assert profile.opted_out_channels == frozenset({"sms", "email"})
    assert _decide(Candidate("c", "sms", ("i1",), AT), profile) == "deny"
    assert _decide(Candidate("c", "EMAIL", ("i1",), AT), profile) == "deny"
    assert _decide(Candidate("c", "call", ("i1",), AT), _profile(opted_out_channels=frozenset({"ALL"}))) == "deny"


def test_whatsapp_consent_must_be_a_real_boolean() -> None:
    with pytest.raises(PolicyInputError, match="whatsapp_opt_in"):
        _profile(whatsapp_opt_in="no")
    assert _decide(Candidate("c", "whatsapp", ("i1",), AT), _profile(whatsapp_opt_in=False)) == "deny"


@pytest.mark.parametrize("kind", ["bankruptcy", "Deceased", "hold"])
def test_an_unknown_hold_kind_denies_even_with_a_date_that_would_defer(kind: str) -> None:
    ends = AT + dt.timedelta(days=2)
    decision = ENGINE.decide(Candidate("c", "email", ("i1",), AT), _profile(), holds=[Hold(kind, until=ends)])
    assert decision.verdict == "deny" and decision.reason_code == "hold_unknown"
    assert decision.next_allowed_at is None


def test_an_unknown_hold_kind_released_before_the_instant_no_longer_stops() -> None:
    released = Hold("bankruptcy", released_at=AT - dt.timedelta(hours=1))
    assert _decide(Candidate("c", "email", ("i1",), AT), holds=[released]) == "allow"


def test_hold_kinds_and_channels_are_lower_cased() -> None:
    assert Hold(" Dispute ").kind == "dispute"
    assert _decide(Candidate("c", "email", ("i1",), AT), holds=[Hold("LEGAL")]) == "deny"
    assert SentMessage(AT, "SMS", ["i2", "i1", "i2"]).invoice_ids == ("i2", "i1")  # type: ignore[arg-type]


def test_language_and_state_are_normalised() -> None:
    profile = _profile(language="es-MX", state=" son ", timezone="  ")
    assert (profile.language, profile.state, profile.timezone) == ("es", "SON", None)


def test_roles_accept_spanish_aliases_and_default_to_the_debtor() -> None:
    assert Candidate("c", "email", ("i1",), AT).recipient_role == "debtor"
    assert Candidate("c", "email", ("i1",), AT, "Aval").recipient_role == "guarantor"
    assert Candidate("c", "email", ("i1",), AT, "obligado solidario").recipient_role == "joint_obligor"
    assert Candidate("c", "email", ("i1",), AT, "referencia").recipient_role == "third_party"


def test_decide_refuses_arguments_of_the_wrong_kind() -> None:
    candidate = Candidate("c", "email", ("i1",), AT)
    message = SentMessage(AT - dt.timedelta(hours=2), "email", ("i1",))
    with pytest.raises(PolicyInputError, match=r"decide\.history"):
        ENGINE.decide(candidate, _profile(), history=message)  # type: ignore[arg-type]
    with pytest.raises(PolicyInputError, match=r"decide\.holds"):
        ENGINE.decide(candidate, _profile(), holds=["dispute"])  # type: ignore[list-item]
    with pytest.raises(PolicyInputError, match=r"decide\.payments"):
        ENGINE.decide(candidate, _profile(), payments="i1")  # type: ignore[arg-type]
    with pytest.raises(PolicyInputError, match=r"decide\.profile"):
        ENGINE.decide(candidate, {"country": "MX"})  # type: ignore[arg-type]


def test_a_profile_of_another_customer_is_refused() -> None:
    # Another customer's profile would bring their opt-outs and consent, not this one's.
    with pytest.raises(PolicyInputError, match="candidate's customer"):
        ENGINE.decide(Candidate("c", "email", ("i1",), AT), _profile(customer_id="someone-else"))


def test_a_content_report_for_another_channel_is_refused() -> None:
    report = ENGINE.check_content("Reply STOP to opt out.", "en", "MX", channel="sms")
    with pytest.raises(PolicyInputError, match=r"decide\.content"):
        ENGINE.decide(Candidate("c", "email", ("i1",), AT), _profile(), content=report)


_junk = st.one_of(
    st.none(), st.integers(), st.floats(allow_nan=False), st.binary(max_size=5), st.text(max_size=5), st.dates()
)


@settings(max_examples=150, deadline=None)
@given(
    opted_out=st.one_of(_junk, st.lists(st.text(max_size=6), max_size=3)),
    consented=st.one_of(_junk, st.lists(st.text(max_size=6), max_size=3)),
    whatsapp=st.one_of(_junk, st.booleans()),
    invoices=st.one_of(_junk, st.lists(st.one_of(st.text(max_size=4), st.integers()), max_size=3)),
)
def test_any_input_either_is_refused_or_is_decided_on_its_normalised_form(
    opted_out: Any, consented: Any, whatsapp: Any, invoices: Any
) -> None:
    """Whatever the caller hands in, the engine never allows a message on a channel the profile,
    read literally by a person, opted out of or did not authorise."""
    try:
        profile = _profile(
            country="CO",
            timezone=None,
            opted_out_channels=opted_out,
            consented_channels=consented,
            whatsapp_opt_in=whatsapp,
        )
        candidate = Candidate("c", "sms", invoices, dt.datetime(2026, 3, 4, 15, tzinfo=dt.UTC))
    except PolicyInputError:
        return
    decision = ENGINE.decide(candidate, profile)
    if decision.verdict == "allow":
        said_opt_out = {str(c).strip().lower() for c in opted_out}
        said_consent = {str(c).strip().lower() for c in consented}
        assert not said_opt_out & {"sms", "all"} and "sms" in said_consent
        assert candidate.invoice_ids and all(isinstance(i, str) for i in invoices)
