"""Compiled rules: the validated YAML turned into small frozen objects the engine checks fast.

Every rule keeps its id, source citation and verification mark so each decision can say which
rule (and on what authority) stopped a message.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field, replace

from cartera.policy.windows import Window


@dataclass(frozen=True, slots=True)
class RuleMeta:
    """What every rule carries: identity, scope and authority."""

    id: str
    kind: str
    summary: str
    channels: frozenset[str]
    debtor_types: frozenset[str]
    verification: str
    citation: str

    def applies(self, debtor_type: str, channel: str) -> bool:
        return debtor_type in self.debtor_types and channel in self.channels


@dataclass(frozen=True, slots=True)
class WindowRule:
    meta: RuleMeta
    window: Window


@dataclass(frozen=True, slots=True)
class CapRule:
    """At most `max` messages (or distinct channels) per local day / ISO week / rolling span /
    run of consecutive local calendar days (`span` is the run's length in days then)."""

    meta: RuleMeta
    max: int
    period: str  # "day" | "week" | "rolling" | "consecutive_days"
    span: dt.timedelta | None
    count: str  # "messages" | "channels"
    per_debt: bool
    min_gap: dt.timedelta
    trigger: str  # "always" | "after_direct_contact"

    def period_days(self) -> int:
        """Length of the period in days, to compare caps (a calendar week counts as 7)."""
        if self.period in ("rolling", "consecutive_days") and self.span is not None:
            return self.span.days
        return 1 if self.period == "day" else 7


@dataclass(frozen=True, slots=True)
class CooldownRule:
    """Quiet after a direct contact: `duration` elapsed, or `local_days` calendar days in the
    debtor's zone counting the day of the contact as the first (then `duration` is unused)."""

    meta: RuleMeta
    duration: dt.timedelta
    after_channels: frozenset[str]
    per_debt: bool
    local_days: int | None = None


@dataclass(frozen=True, slots=True)
class DurationRule:
    """quiet_after_payment, promise_grace or bounce_pause: a span of hours."""

    meta: RuleMeta
    duration: dt.timedelta


@dataclass(frozen=True, slots=True)
class ConsentRule:
    meta: RuleMeta
    require: str  # "opt_out" | "whatsapp_opt_in" | "authorised_channel"


@dataclass(frozen=True, slots=True)
class HoldRule:
    meta: RuleMeta
    kinds: frozenset[str]


@dataclass(frozen=True, slots=True)
class RecipientRule:
    """Only these recipient roles may be written to (several rules: a role must pass all)."""

    meta: RuleMeta
    allowed: frozenset[str]


@dataclass(frozen=True, slots=True)
class ContentRule:
    """A check on the rendered text. "required": the caller's `fact` value, or else a match of
    the language's pattern, must be in the text. "prohibited": no match of the language's phrase
    pattern. `patterns` maps a language to one compiled alternation (see content.py)."""

    meta: RuleMeta
    requirement: str  # "required" | "prohibited"
    fact: str | None
    patterns: tuple[tuple[str, re.Pattern[str]], ...]
    # Prohibited rules only: per language, the folded phrases the pattern matches as whole words.
    # A text holding none of them as a substring cannot match, and is cleared without the pattern.
    phrases: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def phrases_for(self, language: str) -> tuple[str, ...] | None:
        return next((phrases for lang, phrases in self.phrases if lang == language), None)

    def pattern_for(self, language: str) -> re.Pattern[str] | None:
        return next((pattern for lang, pattern in self.patterns if lang == language), None)


AnyRule = WindowRule | CapRule | CooldownRule | DurationRule | ConsentRule | HoldRule | RecipientRule | ContentRule


@dataclass(frozen=True, slots=True)
class RuleSet:
    """The rules that apply to one (debtor type, channel), grouped by kind, in pack order."""

    windows: tuple[WindowRule, ...]
    caps: tuple[CapRule, ...]
    cooldowns: tuple[CooldownRule, ...]
    quiet_after_payment: tuple[DurationRule, ...]
    promise_grace: tuple[DurationRule, ...]
    bounce_pause: tuple[DurationRule, ...]
    consents: tuple[ConsentRule, ...]
    holds: tuple[HoldRule, ...]
    recipients: tuple[RecipientRule, ...] = ()
    content: tuple[ContentRule, ...] = ()


def group(rules: tuple[AnyRule, ...], debtor_type: str, channel: str) -> RuleSet:
    """Select and group the rules of a pack that apply to this debtor type and channel."""
    chosen = [rule for rule in rules if rule.meta.applies(debtor_type, channel)]

    def durations(kind: str) -> tuple[DurationRule, ...]:
        return tuple(r for r in chosen if isinstance(r, DurationRule) and r.meta.kind == kind)

    return RuleSet(
        windows=tuple(r for r in chosen if isinstance(r, WindowRule)),
        caps=tuple(r for r in chosen if isinstance(r, CapRule)),
        cooldowns=tuple(r for r in chosen if isinstance(r, CooldownRule)),
        quiet_after_payment=durations("quiet_after_payment"),
        promise_grace=durations("promise_grace"),
        bounce_pause=durations("bounce_pause"),
        consents=tuple(r for r in chosen if isinstance(r, ConsentRule)),
        holds=tuple(r for r in chosen if isinstance(r, HoldRule)),
        recipients=tuple(r for r in chosen if isinstance(r, RecipientRule)),
        content=tuple(r for r in chosen if isinstance(r, ContentRule)),
    )


@dataclass(frozen=True)
class RulePack:
    """One country's compiled rules (the shared platform rules merged in), ready to decide with."""

    id: str
    country: str
    version: str
    title: str
    reviewed_by_counsel: bool
    zones: tuple[str, ...]
    zones_by_state: dict[str, tuple[str, ...]]
    zones_by_area_code: dict[str, tuple[str, ...]]
    holiday_country: str | None
    holiday_categories: tuple[str, ...]
    holiday_subdivisions: str  # "none" | "from_state"
    rules: tuple[AnyRule, ...]
    disabled_channels: frozenset[str] = frozenset()
    creditor_id: str | None = None
    _sets: dict[tuple[str, str], RuleSet] = field(default_factory=dict, compare=False, repr=False)

    def rules_for(self, debtor_type: str, channel: str) -> RuleSet:
        """The rules for (debtor type, channel), computed once per pack."""
        key = (debtor_type, channel)
        found = self._sets.get(key)
        if found is None:
            found = self._sets[key] = group(self.rules, debtor_type, channel)
        return found

    def with_rules(
        self, extra: tuple[AnyRule, ...], *, creditor_id: str, version: str, disabled: frozenset[str]
    ) -> RulePack:
        """A copy with more rules (a creditor's tightening); the law's rules are kept as they are."""
        return replace(
            self,
            rules=self.rules + extra,
            creditor_id=creditor_id,
            version=f"{self.version}+{creditor_id}@{version}",
            disabled_channels=self.disabled_channels | disabled,
            _sets={},
        )
