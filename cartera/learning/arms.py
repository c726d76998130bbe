"""The arms a learner chooses among: channel × send-hour block × tone, and which of them the law
allows for one message.

A send-hour block is an hour in the *debtor's* zone (:data:`HOUR_BLOCKS`), inside Mexico's
07:00–22:00 window. Whether an arm is lawful is decided by the production code only: the channel
must pass :func:`~cartera.campaigns.contact_check.can_receive` (address, consent, opt-outs) and
:func:`~cartera.campaigns.contact_check.check` (the policy engine: window, caps, quiet periods,
holds, opt-outs) must *allow* the message at the block's instant. Tone does not change the
engine's verdict before a text exists (content is checked at send time), so one engine call
decides every tone of a (channel, block).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from cartera.campaigns.candidates import Candidate
from cartera.campaigns.contact_check import can_receive, check
from cartera.policy.engine import PolicyEngine
from cartera.policy.models import ContactProfile, Decision, Hold, Payment, SentMessage
from cartera.run_dates import BOOKS_TZ

CHANNELS: tuple[str, ...] = ("email", "whatsapp", "sms")
# Block name -> local hour the message is planned for (debtor's zone).
HOUR_BLOCKS: dict[str, int] = {"08h": 8, "11h": 11, "14h": 14, "18h": 18}
TONES: tuple[str, ...] = ("amable", "firme")


@dataclass(frozen=True, order=True)
class Arm:
    """One way to send a message: a channel, a send-hour block in the debtor's zone, a tone."""

    channel: str
    block: str
    tone: str

    @property
    def key(self) -> str:
        return f"{self.channel}/{self.block}/{self.tone}"

    @classmethod
    def parse(cls, key: str) -> Arm:
        channel, block, tone = key.split("/")
        return cls(channel, block, tone)


ARMS: tuple[Arm, ...] = tuple(Arm(c, b, t) for c in CHANNELS for b in HOUR_BLOCKS for t in TONES)
ARM_INDEX: dict[Arm, int] = {arm: i for i, arm in enumerate(ARMS)}


def zone_of(profile: ContactProfile) -> ZoneInfo:
    """The debtor's zone (the books' zone when unknown: the engine then applies every zone of the country)."""
    try:
        return ZoneInfo(profile.timezone) if profile.timezone else BOOKS_TZ
    except (KeyError, ValueError):
        return BOOKS_TZ


def block_instant(day: dt.date, block: str, zone: ZoneInfo) -> dt.datetime:
    """The UTC instant of `block` on `day` in `zone`."""
    return dt.datetime.combine(day, dt.time(HOUR_BLOCKS[block]), tzinfo=zone).astimezone(dt.UTC)


def block_of(at: dt.datetime, zone: ZoneInfo) -> str:
    """The block an instant falls in, in `zone` (the latest block starting at or before it; the
    first block before 08:00)."""
    hour = at.astimezone(zone).hour
    found = next(iter(HOUR_BLOCKS))
    for name, start in HOUR_BLOCKS.items():
        if hour >= start:
            found = name
    return found


def allowed_tones(candidate: Candidate) -> tuple[str, ...]:
    """Tones a learner may use for this message: a friendly step stays friendly (pre-due
    reminders, the service check of an exemplary payer); a firm step may be softened, never the
    reverse."""
    return ("amable", "firme") if candidate.step.tone == "firme" else ("amable",)


def receivable_channels(candidate: Candidate, profile: ContactProfile) -> tuple[str, ...]:
    """Channels of :data:`CHANNELS` the contact can receive (consent, address, opt-outs)."""
    del candidate  # every channel is a candidate: the learner is not bound to the step's list
    return tuple(c for c in CHANNELS if can_receive(c, profile))


@dataclass(frozen=True)
class Verdicts:
    """The policy engine asked about (channel, block) pairs for one message, lazily and once each."""

    candidate: Candidate
    profile: ContactProfile
    history: Sequence[SentMessage]
    holds: Sequence[Hold]
    payments: Sequence[Payment]
    day: dt.date
    engine: PolicyEngine | None
    cache: dict[tuple[str, str], Decision]

    def decide(self, channel: str, block: str) -> Decision:
        """The production check of this message on `channel` at `block`'s instant."""
        key = (channel, block)
        if key not in self.cache:
            at = block_instant(self.day, block, zone_of(self.profile))
            self.cache[key] = check(
                self.candidate.with_channel(channel),
                self.profile,
                self.history,
                self.holds,
                at,
                payments=self.payments,
                engine=self.engine,
            )
        return self.cache[key]

    def allows(self, arm: Arm) -> bool:
        return self.decide(arm.channel, arm.block).verdict == "allow"


def verdicts(
    candidate: Candidate,
    profile: ContactProfile,
    history: Sequence[SentMessage],
    holds: Sequence[Hold],
    payments: Sequence[Payment],
    day: dt.date,
    engine: PolicyEngine | None = None,
) -> Verdicts:
    return Verdicts(candidate, profile, history, holds, payments, day, engine, {})


def candidate_arms(candidate: Candidate, profile: ContactProfile) -> list[Arm]:
    """Arms whose channel the contact can receive and whose tone the step permits (no engine call)."""
    channels = set(receivable_channels(candidate, profile))
    tones = set(allowed_tones(candidate))
    return [arm for arm in ARMS if arm.channel in channels and arm.tone in tones]


def lawful_arms(candidate: Candidate, judge: Verdicts) -> list[Arm]:
    """Every arm the law allows for this message now: :func:`candidate_arms` filtered by the
    policy engine's *allow* at each block's instant. The full filter (one engine call per
    receivable channel and block); :func:`first_lawful` reaches the same choice with fewer calls."""
    return [arm for arm in candidate_arms(candidate, judge.profile) if judge.allows(arm)]


def first_lawful(ordered: Iterable[Arm], judge: Verdicts) -> Iterator[Arm]:
    """The arms of `ordered` the engine allows, in that order, asking the engine only as far as
    the caller reads. Taking the first is the same as the argmax over :func:`lawful_arms` of
    any order: filtering before choosing and choosing the best lawful arm are one thing."""
    return (arm for arm in ordered if judge.allows(arm))
