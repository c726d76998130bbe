"""Phone numbers as SMS and WhatsApp need them: E.164 (``+525512345678``), and the time zone a
number's area code implies, for the contact policy when a debtor's address does not say.

Mexico changed its dialling plan in August 2019: every number is ten digits, the mobile ``1``
after ``+52`` and the national prefixes ``044``/``045`` (mobile) and ``01`` (long distance) were
dropped. ERP exports still hold the old forms, and ``phonenumbers`` (which follows the current
plan) calls them invalid, so :func:`to_e164` strips them when what remains is a valid Mexican
number.

Nothing here logs or echoes a number.
"""

from __future__ import annotations

import re

import phonenumbers
from phonenumbers import timezone as phone_timezone

_MEXICO = 52
_NON_DIGITS = re.compile(r"[^\d+]")
# The pre-2019 Mexican forms and the ten digits they wrap. International: +52 1 … (mobile).
# National, read only when the default region is Mexico: 52 1 … written without the +,
# 044/045 … (mobile) and 01 … (long distance).
_OLD_INTERNATIONAL = re.compile(r"^\+521(\d{10})$")
_OLD_NATIONAL = (re.compile(r"^521(\d{10})$"), re.compile(r"^04[45](\d{10})$"), re.compile(r"^01(\d{10})$"))


def _valid(raw: str, region: str | None) -> phonenumbers.PhoneNumber | None:
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    return number if phonenumbers.is_valid_number(number) else None


def _from_old_mexican_form(compact: str, default_region: str) -> phonenumbers.PhoneNumber | None:
    patterns = (_OLD_INTERNATIONAL, *_OLD_NATIONAL) if default_region == "MX" else (_OLD_INTERNATIONAL,)
    for pattern in patterns:
        match = pattern.match(compact)
        if match is not None:
            number = _valid(f"+52{match.group(1)}", None)
            return number if number is not None and number.country_code == _MEXICO else None
    return None


def to_e164(raw: str | None, default_region: str = "MX") -> str | None:
    """The number in E.164, or None when it is not a valid number.

    `default_region` (ISO 3166 code) applies to numbers written without a ``+`` country code. The
    pre-2019 Mexican forms (``+52 1 55 …``, ``044 55 …``, ``01 55 …``) become the current
    ten-digit number. Spaces, dashes, dots and parentheses are ignored."""
    if not raw or not raw.strip():
        return None
    number = _valid(raw, default_region)
    if number is None:
        number = _from_old_mexican_form(_NON_DIGITS.sub("", raw), default_region)
    if number is None:
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def zone_for_number(e164: str) -> str | None:
    """The IANA time zone of the number's area, when its prefix names exactly one; None when it
    names several (or none, as for most non-geographic numbers). The contact policy uses the
    debtor's address first and this only when the address does not say."""
    number = _valid(e164, None)
    if number is None:
        return None
    zones = [zone for zone in phone_timezone.time_zones_for_number(number) if zone != "Etc/Unknown"]
    return zones[0] if len(zones) == 1 else None
