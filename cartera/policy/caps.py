"""Frequency caps and cooldowns over the messages already sent (or scheduled) to a customer.

Each check answers, for an instant `s`: ``None`` when the rule holds at `s`, or else an instant
strictly after `s` before which the rule cannot hold (a lower bound of its next valid instant).
The engine moves to the latest such bound and checks again, so the first instant at which every
rule holds is found exactly, with no fixed step.

Counting is conservative: attempts count as contacts (bounced and failed messages included),
and in calendar periods with several candidate zones a period is full when it is full in any of
them.

Per-debt rules (Reg F's "particular debt" is *each* of the consumer's debts, 12 CFR
1006.14(b)(4)) count every debt of the message on its own and hold only when they hold for each;
a message logged without invoice ids counts toward every debt, never toward none.
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
    """About one of these debts; a message naming no invoice (or a candidate naming none) is
    about all of them."""
    return not message.invoice_ids or not invoice_ids or not invoice_ids.isdisjoint(message.invoice_ids)


def counted_per_debt(
    rule_channels: frozenset[str], per_debt: bool, invoice_ids: frozenset[str], history: Sequence[SentMessage]
) -> list[list[SentMessage]]:
    """The groups of messages a rule counts, on its channels: one group of all of them, or, per
    debt, one group per debt of the candidate (each debt on its own, never pooled)."""
    on_channels = [m for m in history if m.channel in rule_channels]
    if not per_debt or not invoice_ids or not on_channels:
        return [on_channels]
    return [[m for m in on_channels if not m.invoice_ids or debt in m.invoice_ids] for debt in sorted(invoice_ids)]


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


def _local_midnight(day: dt.date, z: ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=z).astimezone(dt.UTC)


def _consecutive_days_bound(
    rule: CapRule, s: dt.datetime, channel: str, counted: list[SentMessage], zones: tuple[ZoneInfo, ...]
) -> dt.datetime | None:
    """Any run of `span` consecutive local calendar days containing the day of `s` must hold at
    most `max` messages (or channels) including this one. A full run starting on day w blocks
    every day up to w + span - 1, so the bound is the local midnight after the last full run."""
    assert rule.span is not None  # guaranteed by the schema for period "consecutive_days"
    length = rule.span.days
    bound: dt.datetime | None = None
    for z in zones:
        day = s.astimezone(z).date()
        near = []
        for m in counted:
            local = m.at.astimezone(z).date()
            if abs((local - day).days) < length:
                near.append((local, m.channel))
        last_full: dt.date | None = None
        for back in range(length - 1, -1, -1):
            first = day - dt.timedelta(days=back)
            last = first + dt.timedelta(days=length - 1)
            inside = [chan for local, chan in near if first <= local <= last]
            if rule.count == "channels":
                full = len(set(inside) | {channel}) > rule.max
            else:
                full = len(inside) + 1 > rule.max
            if full:
                last_full = last
        if last_full is not None:
            end = _local_midnight(last_full + dt.timedelta(days=1), z)
            bound = end if bound is None else max(bound, end)
    return bound


def cap_bound(
    rule: CapRule,
    s: dt.datetime,
    channel: str,
    invoice_ids: frozenset[str],
    history: Sequence[SentMessage],
    zones: tuple[ZoneInfo, ...],
) -> dt.datetime | None:
    """None if `rule` lets one more message on `channel` go out at `s`; else a lower bound > s.
    Per debt, the rule must hold for every debt: the latest of the debts' bounds is the bound."""
    if rule.trigger == "after_direct_contact" and not any(m.direct_contact and m.at <= s for m in history):
        return None
    bounds = [
        bound
        for counted in counted_per_debt(rule.meta.channels, rule.per_debt, invoice_ids, history)
        if counted and (bound := _group_bound(rule, s, channel, counted, zones)) is not None
    ]
    return max(bounds) if bounds else None


def _group_bound(
    rule: CapRule, s: dt.datetime, channel: str, counted: list[SentMessage], zones: tuple[ZoneInfo, ...]
) -> dt.datetime | None:
    bounds: list[dt.datetime] = []
    if rule.period == "consecutive_days":
        run = _consecutive_days_bound(rule, s, channel, counted, zones)
        if run is not None:
            bounds.append(run)
    elif rule.period == "rolling":
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
    rule: CooldownRule,
    s: dt.datetime,
    invoice_ids: frozenset[str],
    history: Sequence[SentMessage],
    zones: tuple[ZoneInfo, ...],
) -> dt.datetime | None:
    """None unless a direct contact on the rule's trigger channels happened within the cooldown
    before `s`; then the end of the latest such cooldown. With `local_days` the cooldown ends at
    local midnight after that many calendar days, the day of the contact being the first
    (12 CFR 1006.14(b)(2)(i)(B)), in the latest of the candidate zones."""
    contacts = [
        m
        for m in history
        if m.direct_contact
        and m.channel in rule.after_channels
        and (not rule.per_debt or _shares_debt(m, invoice_ids))
        and m.at <= s
    ]
    if rule.local_days is None:
        ends = [m.at + rule.duration for m in contacts if s < m.at + rule.duration]
    else:
        ahead = dt.timedelta(days=rule.local_days)
        ends = [
            end for m in contacts for z in zones if s < (end := _local_midnight(m.at.astimezone(z).date() + ahead, z))
        ]
    return max(ends) if ends else None
