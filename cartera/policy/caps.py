"""Frequency caps and cooldowns over the messages already sent (or scheduled) to a customer.

Each check answers, for an instant `s`: ``None`` when the rule holds at `s`, or else an instant
strictly after `s` before which the rule cannot hold (a lower bound of its next valid instant).
The engine moves to the latest such bound and checks again, so the first instant at which every
rule holds is found exactly, with no fixed step.

Counting is conservative: attempts count as contacts (bounced and failed messages included),
and in calendar periods with several candidate zones a period is full when it is full in any of
them.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from cartera.policy.models import SentMessage
from cartera.policy.rules import CapRule, CooldownRule
from cartera.policy.windows import local_day_start, local_week_start


def _shares_debt(message: SentMessage, invoice_ids: frozenset[str]) -> bool:
    return not invoice_ids.isdisjoint(message.invoice_ids)


def relevant(
    rule_channels: frozenset[str], per_debt: bool, invoice_ids: frozenset[str], history: Sequence[SentMessage]
) -> list[SentMessage]:
    """The messages a rule counts: on its channels, and about the same debt when it is per debt."""
    return [m for m in history if m.channel in rule_channels and (not per_debt or _shares_debt(m, invoice_ids))]


def _calendar_bound(
    rule: CapRule, s: dt.datetime, channel: str, counted: list[SentMessage], zones: tuple[ZoneInfo, ...]
) -> dt.datetime | None:
    bound: dt.datetime | None = None
    for z in zones:
        # Compare local dates first; the period's end (needed only when it is full) costs more.
        local = s.astimezone(z).date()
        if rule.period == "day":
            in_period = [m for m in counted if m.at.astimezone(z).date() == local]
        else:
            week = local.isocalendar()[:2]
            in_period = [m for m in counted if m.at.astimezone(z).date().isocalendar()[:2] == week]
        if rule.count == "channels":
            full = len({m.channel for m in in_period} | {channel}) > rule.max
        else:
            full = len(in_period) + 1 > rule.max
        if full:
            end = local_day_start(s, z, 1) if rule.period == "day" else local_week_start(s, z, 1)
            bound = end if bound is None else max(bound, end)
    return bound


def _rolling_bound(rule: CapRule, s: dt.datetime, channel: str, counted: list[SentMessage]) -> dt.datetime | None:
    """Any span of `rule.span` containing `s` must hold at most `max` messages including this one.

    The fullest span containing `s` can be taken to start at a message or at `s` itself, so only
    those starts are tried. Validity can only begin again when a message leaves the span, at
    ``m + span``: the earliest such instant after `s` is the bound."""
    span = rule.span
    assert span is not None  # guaranteed by the schema for period "rolling"
    times = sorted([m.at for m in counted if s - span < m.at < s + span] + [s])
    if rule.count == "channels":
        near = {m.channel for m in counted if s - span < m.at < s + span} | {channel}
        if len(near) <= rule.max:
            return None
    else:
        full = False
        for index, first in enumerate(times):
            if first > s:
                break
            inside = bisect.bisect_left(times, first + span) - index
            if inside > rule.max:
                full = True
                break
        if not full:
            return None
    exits = [m.at + span for m in counted if m.at + span > s]
    return min(exits) if exits else None


def cap_bound(
    rule: CapRule,
    s: dt.datetime,
    channel: str,
    invoice_ids: frozenset[str],
    history: Sequence[SentMessage],
    zones: tuple[ZoneInfo, ...],
) -> dt.datetime | None:
    """None if `rule` lets one more message on `channel` go out at `s`; else a lower bound > s."""
    if rule.trigger == "after_direct_contact" and not any(m.direct_contact and m.at <= s for m in history):
        return None
    counted = relevant(rule.meta.channels, rule.per_debt, invoice_ids, history)
    if not counted:
        return None
    bounds: list[dt.datetime] = []
    if rule.period == "rolling":
        rolling = _rolling_bound(rule, s, channel, counted)
        if rolling is not None:
            bounds.append(rolling)
    else:
        calendar = _calendar_bound(rule, s, channel, counted, zones)
        if calendar is not None:
            bounds.append(calendar)
    if rule.min_gap:
        # A message closer than the gap on either side must be left behind by a full gap.
        close = [m.at + rule.min_gap for m in counted if abs(m.at - s) < rule.min_gap]
        if close:
            bounds.append(max(close))
    return max(bounds) if bounds else None


def cooldown_bound(
    rule: CooldownRule, s: dt.datetime, invoice_ids: frozenset[str], history: Sequence[SentMessage]
) -> dt.datetime | None:
    """None unless a direct contact on the rule's trigger channels happened within the cooldown
    before `s`; then the end of the latest such cooldown."""
    ends = [
        m.at + rule.duration
        for m in history
        if m.direct_contact
        and m.channel in rule.after_channels
        and (not rule.per_debt or _shares_debt(m, invoice_ids))
        and m.at <= s < m.at + rule.duration
    ]
    return max(ends) if ends else None
