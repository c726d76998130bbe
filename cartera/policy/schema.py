"""The shape of a rule-pack YAML file, checked with pydantic (unknown keys are errors: a typo in a
legal rule must not silently drop it). Semantic checks that span rules live in ``rulepack.py``.
See docs/contact_policy.md for the meaning of every field."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from cartera.policy.models import CHANNELS, HOLD_KINDS, RECIPIENT_ROLES

DAY_KEYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$")
Verification = Literal["V", "V-sec", "R", "design"]
DebtorType = Literal["consumer", "business"]


def hhmm_to_minutes(text: str) -> int:
    """ "07:30" -> 450; "24:00" -> 1440 (end of day)."""
    if not _HHMM.match(text):
        raise ValueError(f"time {text!r} is not HH:MM (00:00 to 24:00)")
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(_Strict):
    """Where a rule comes from. `citation` is mandatory: no rule without a named source."""

    citation: str = Field(min_length=3)
    url: str | None = None
    reference: str | None = None  # e.g. "COMPLIANCE.md §2"


class WindowSpec(_Strict):
    """Allowed local hours per weekday, [start, end); a missing or null day means no contact."""

    mon: tuple[str, str] | None = None
    tue: tuple[str, str] | None = None
    wed: tuple[str, str] | None = None
    thu: tuple[str, str] | None = None
    fri: tuple[str, str] | None = None
    sat: tuple[str, str] | None = None
    sun: tuple[str, str] | None = None
    holidays: Literal["allowed", "blocked"]

    @model_validator(mode="after")
    def _ordered(self) -> WindowSpec:
        open_days = 0
        for key in DAY_KEYS:
            interval = getattr(self, key)
            if interval is None:
                continue
            start, end = (hhmm_to_minutes(part) for part in interval)
            if end <= start:
                raise ValueError(f"{key}: window end {interval[1]} is not after its start {interval[0]}")
            open_days += 1
        if open_days == 0:
            raise ValueError("the window allows no day at all: disable the channel instead")
        return self


class CapSpec(_Strict):
    """At most `max` messages (or distinct channels) per period, counting the channels of the rule.

    period ``day``/``week`` are the debtor's local calendar day / ISO week (Mon–Sun); ``rolling``
    is any span of `days` × 24 elapsed hours; ``consecutive_days`` is any `days` consecutive
    calendar days in the debtor's local zone (Reg F's "seven consecutive days").
    `per_debt` counts each debt of the message on its own (a message naming no invoice counts
    toward every debt). `trigger: after_direct_contact` applies the cap only once a conversation
    with the debtor has happened. `min_gap_hours` spaces messages apart.
    """

    max: int = Field(ge=1)
    period: Literal["day", "week", "rolling", "consecutive_days"]
    days: int | None = Field(default=None, ge=1, le=366)
    count: Literal["messages", "channels"] = "messages"
    per_debt: bool = False
    min_gap_hours: float = Field(default=0, ge=0)
    trigger: Literal["always", "after_direct_contact"] = "always"

    @model_validator(mode="after")
    def _days_with_rolling(self) -> CapSpec:
        if (self.period in ("rolling", "consecutive_days")) != (self.days is not None):
            raise ValueError("`days` is required with period 'rolling' or 'consecutive_days' and only with them")
        return self


class CooldownSpec(_Strict):
    """No message on the rule's channels after a direct contact on `after_channels`: for `hours`
    elapsed, or for `days` local calendar days with the day of the contact as the first one."""

    hours: float | None = Field(default=None, gt=0)
    days: int | None = Field(default=None, ge=1, le=366)
    after_channels: tuple[str, ...]
    per_debt: bool = False

    @model_validator(mode="after")
    def _hours_or_days(self) -> CooldownSpec:
        if (self.hours is None) == (self.days is None):
            raise ValueError("a cooldown needs exactly one of `hours` or `days`")
        return self


_LANGUAGE = re.compile(r"^[a-z]{2,3}$")


def _check_languages(value: dict[str, tuple[str, ...]], what: str) -> dict[str, tuple[str, ...]]:
    for language, items in value.items():
        if not _LANGUAGE.match(language):
            raise ValueError(f"{what}: {language!r} is not a lower-case language code such as 'es'")
        if not items or any(not item.strip() for item in items):
            raise ValueError(f"{what} for {language!r} must be a non-empty list of non-blank strings")
    return value


class ContentRequirementSpec(_Strict):
    """An element the rendered text must contain: the caller's exact value for `fact` when the
    caller passes it, else a match of one of the language's `patterns` (regular expressions,
    matched case- and accent-insensitively). Without either the element counts as missing."""

    fact: str | None = Field(default=None, pattern=r"^[a-z_]+$")
    patterns: dict[str, tuple[str, ...]] = Field(default_factory=dict)

    @field_validator("patterns")
    @classmethod
    def _compile(cls, value: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
        _check_languages(value, "patterns")
        for items in value.values():
            for pattern in items:
                try:
                    re.compile(pattern)
                except re.error as exc:
                    raise ValueError(f"pattern {pattern!r} is not a regular expression: {exc}") from exc
        return value

    @model_validator(mode="after")
    def _something_to_check(self) -> ContentRequirementSpec:
        if self.fact is None and not self.patterns:
            raise ValueError("a content requirement needs a `fact`, `patterns` or both")
        return self


class Rule(_Strict):
    """One rule: what it limits, to whom, on which channels, and on what authority."""

    id: str = Field(min_length=3)
    kind: Literal[
        "window",
        "cap",
        "cooldown_after_contact",
        "quiet_after_payment",
        "promise_grace",
        "bounce_pause",
        "consent",
        "hold",
        "recipients",
        "content_required",
        "content_prohibited",
    ]
    summary: str = Field(min_length=3)
    channels: tuple[str, ...] = CHANNELS
    debtor_types: tuple[DebtorType, ...] = ("consumer", "business")
    legal_scope: str | None = None  # whom the law itself covers, when we apply it wider
    source: Source
    verification: Verification
    unverified: str | None = None  # what in this rule we could not check against a source
    window: WindowSpec | None = None
    cap: CapSpec | None = None
    cooldown: CooldownSpec | None = None
    hours: float | None = Field(default=None, ge=0)
    require: Literal["opt_out", "whatsapp_opt_in", "authorised_channel"] | None = None
    hold_kinds: tuple[str, ...] = ()
    allowed_roles: tuple[str, ...] | None = None
    required: ContentRequirementSpec | None = None
    # Phrases per language; matched whole-word, case- and accent-insensitively.
    phrases: dict[str, tuple[str, ...]] | None = None

    @field_validator("allowed_roles")
    @classmethod
    def _known_roles(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        if value is not None:
            unknown = sorted(set(value) - set(RECIPIENT_ROLES))
            if unknown or not value:
                raise ValueError(f"allowed_roles must be a non-empty subset of {RECIPIENT_ROLES}; unknown: {unknown}")
        return value

    @field_validator("phrases")
    @classmethod
    def _phrases(cls, value: dict[str, tuple[str, ...]] | None) -> dict[str, tuple[str, ...]] | None:
        if value is not None:
            if not value:
                raise ValueError("phrases must list at least one language")
            _check_languages(value, "phrases")
        return value

    @field_validator("channels")
    @classmethod
    def _known_channels(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = sorted(set(value) - set(CHANNELS))
        if unknown or not value:
            raise ValueError(f"channels must be a non-empty subset of {CHANNELS}; unknown: {unknown}")
        return value

    @field_validator("debtor_types")
    @classmethod
    def _some_debtors(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError("debtor_types must name consumer, business or both")
        return value

    @field_validator("hold_kinds")
    @classmethod
    def _known_holds(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = sorted(set(value) - set(HOLD_KINDS))
        if unknown:
            raise ValueError(f"unknown hold kinds {unknown}; known: {HOLD_KINDS}")
        return value

    @model_validator(mode="after")
    def _params_match_kind(self) -> Rule:
        needs = {
            "window": "window",
            "cap": "cap",
            "cooldown_after_contact": "cooldown",
            "quiet_after_payment": "hours",
            "promise_grace": "hours",
            "bounce_pause": "hours",
            "consent": "require",
            "recipients": "allowed_roles",
            "content_required": "required",
            "content_prohibited": "phrases",
        }
        params = ("window", "cap", "cooldown", "hours", "require", "allowed_roles", "required", "phrases")
        wanted = needs.get(self.kind)
        for name in params:
            present = getattr(self, name) is not None
            if name == wanted and not present:
                raise ValueError(f"a {self.kind!r} rule needs `{name}`")
            if name != wanted and present:
                raise ValueError(f"`{name}` does not belong in a {self.kind!r} rule")
        if self.kind == "hold" and not self.hold_kinds:
            raise ValueError("a 'hold' rule needs `hold_kinds`")
        if self.verification == "R" and not self.unverified:
            raise ValueError("a rule marked R (recalled) must say what is unverified in `unverified`")
        return self


class Timezones(_Strict):
    """The country's IANA zones (all of them: used when the debtor's zone is unknown) and maps from
    a state code or phone area code to the zones it may be in (several when the state is split)."""

    zones: tuple[str, ...] = Field(min_length=1)
    by_state: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    by_area_code: dict[str, tuple[str, ...]] = Field(default_factory=dict)


class HolidaySpec(_Strict):
    """Which `holidays` calendar is the country's; `subdivisions: from_state` adds the debtor's
    state's holidays, and every state's when the state is unknown (the strictest reading)."""

    country: str = Field(min_length=2, max_length=2)
    categories: tuple[str, ...] = ("public",)
    subdivisions: Literal["none", "from_state"] = "none"
    note: str | None = None


class RulePackFile(_Strict):
    """A whole rule-pack file (one country) or the shared platform file."""

    id: str = Field(min_length=3)
    country: str = Field(pattern=r"^([A-Z]{2}|\*)$")
    version: str = Field(min_length=1)
    title: str
    reviewed_by_counsel: bool = False
    timezones: Timezones | None = None
    holidays: HolidaySpec | None = None
    notes: tuple[str, ...] = ()
    rules: tuple[Rule, ...] = Field(min_length=1)
