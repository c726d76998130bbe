"""The creditor as its reminders present it: legal name and RFC, how to pay (bank, CLABE), whom to
call, where to dispute a charge and its complaints unit (UNE: phone and e-mail). One typed place, read from the ``CARTERA_CREDITOR_*``
settings (the legal name is ``CARTERA_COMPANY_NAME``); a malformed value is a
:class:`~cartera.errors.ConfigurationError` naming the setting, raised before any batch opens.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from cartera.errors import ConfigurationError

_CLABE_WEIGHTS = (3, 7, 1) * 6
_RFC = re.compile(r"^[A-ZÑ&]{3,4}\d{6}[A-Z0-9]{3}$")
_LEGAL_SUFFIX = re.compile(r",?\s+S\.?\s*A\.?(\s+de\s+C\.?\s*V\.?)?\s*$|,?\s+S\.?\s*de\s+R\.?\s*L\..*$", re.IGNORECASE)


def clabe_check_digit(first_17: str) -> int:
    """The CLABE's 18th digit (Banxico): each of the first 17 digits times 3, 7, 1, 3, 7, 1, …
    modulo 10, summed; the check digit is (10 − sum mod 10) mod 10."""
    if len(first_17) != 17 or not first_17.isdigit():
        raise ValueError("a CLABE starts with 17 digits")
    total = sum((int(digit) * weight) % 10 for digit, weight in zip(first_17, _CLABE_WEIGHTS, strict=False))
    return (10 - total % 10) % 10


def is_valid_clabe(clabe: str) -> bool:
    """18 digits whose last is the check digit of the first 17."""
    return len(clabe) == 18 and clabe.isdigit() and clabe_check_digit(clabe[:17]) == int(clabe[17])


class Creditor(BaseModel):
    """Who collects, as a statement names it. Not personal data (a company's public details)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    legal_name: str = Field(min_length=1)
    short_name: str = Field(min_length=1, max_length=30)
    rfc: str
    bank_name: str = Field(min_length=1)
    clabe: str
    contact_name: str = Field(min_length=1)
    contact_phone: str = Field(min_length=1)
    contact_hours_es: str = Field(min_length=1)
    contact_hours_en: str = Field(min_length=1)
    disputes_email: str = Field(min_length=3, pattern=r"^[^@\s]+@[^@\s]+$")
    # The complaints unit (UNE): a phone of at least 8 digits and an e-mail, so that the rule
    # MX-CONDUSEF-2014/une_contact finds them after the words "UNE" in every message.
    une_phone: str = Field(min_length=8, pattern=r"^\+?\d[\d ()-]{6,}\d$")
    une_email: str = Field(min_length=3, pattern=r"^[\w.+-]+@[\w-]+(?:\.[\w-]+)+$")

    @field_validator("rfc")
    @classmethod
    def _rfc(cls, value: str) -> str:
        value = value.strip().upper()
        if not _RFC.match(value):
            raise ValueError("expected an RFC: 3 (company) or 4 (person) letters, 6 digits (yymmdd), 3 characters")
        return value

    @field_validator("clabe")
    @classmethod
    def _clabe(cls, value: str) -> str:
        value = re.sub(r"[\s-]", "", value)
        if not is_valid_clabe(value):
            raise ValueError("expected a CLABE: 18 digits whose last is the check digit of the first 17")
        return value

    def contact_hours(self, language: str) -> str:
        return self.contact_hours_en if language.startswith("en") else self.contact_hours_es

    @property
    def une_contact(self) -> str:
        """'55 0000 0001, une@example.com': the complaints unit's phone and e-mail."""
        return f"{self.une_phone}, {self.une_email}"


def short_name_of(legal_name: str) -> str:
    """The legal name without its company-type suffix, cut to 30 characters (for SMS)."""
    return (_LEGAL_SUFFIX.sub("", legal_name).strip() or legal_name)[:30].strip()


def creditor_from_settings(legal_name: str | None = None) -> Creditor:
    """The creditor from ``CARTERA_CREDITOR_*`` (legal name: `legal_name` or CARTERA_COMPANY_NAME).
    Raises ConfigurationError naming each bad setting (never its value)."""
    from cartera.config import get_settings

    s = get_settings()
    name = legal_name or s.company_name
    try:
        return Creditor(
            legal_name=name,
            short_name=s.creditor_short_name or short_name_of(name),
            rfc=s.creditor_rfc,
            bank_name=s.creditor_bank_name,
            clabe=s.creditor_clabe,
            contact_name=s.creditor_contact_name,
            contact_phone=s.creditor_contact_phone,
            contact_hours_es=s.creditor_contact_hours_es,
            contact_hours_en=s.creditor_contact_hours_en,
            disputes_email=s.creditor_disputes_email,
            une_phone=s.creditor_une_phone,
            une_email=s.creditor_une_email,
        )
    except ValidationError as exc:
        problems = "; ".join(
            f"CARTERA_CREDITOR_{'_'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in exc.errors()
        )
        raise ConfigurationError(f"the creditor's settings are invalid: {problems}") from None
