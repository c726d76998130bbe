"""A creditor's own contact settings, which may only make a country's rules stricter.

Settings are added to the pack as extra rules (ids ``creditor:<id>/...``), so in effect they can
only narrow what is allowed. A setting that *reads* looser than the law (a wider window, a day
the law closes, holidays allowed where the law blocks them, a higher cap over the same or a
shorter period, a shorter quiet period) is still rejected at load time with a PolicyError: it
shows the creditor believes something the law does not allow, and silently ignoring it would
hide that.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from cartera.errors import PolicyError
from cartera.policy.models import CHANNELS
from cartera.policy.rulepack import compile_window
from cartera.policy.rules import AnyRule, CapRule, DurationRule, RuleMeta, RulePack, WindowRule
from cartera.policy.schema import DAY_KEYS, CapSpec, WindowSpec


class CreditorCap(CapSpec):
    """A creditor cap: a CapSpec plus the channels it counts (all by default)."""

    channels: tuple[str, ...] = CHANNELS


class CreditorSettings(BaseModel):
    """What a creditor may set; every field optional, every field may only tighten."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    creditor_id: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    version: str = "1"
    window: WindowSpec | None = None
    caps: tuple[CreditorCap, ...] = ()
    quiet_after_payment_hours: float | None = Field(default=None, ge=0)
    promise_grace_hours: float | None = Field(default=None, ge=0)
    bounce_pause_hours: float | None = Field(default=None, ge=0)
    disabled_channels: tuple[str, ...] = ()


def parse_creditor_settings(raw: Any) -> CreditorSettings:
    """Schema-check creditor settings (a dict from YAML or the database)."""
    try:
        return CreditorSettings.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise PolicyError(f"creditor settings are invalid: {problems}") from exc


def _meta(
    settings: CreditorSettings, name: str, kind: str, summary: str, channels: tuple[str, ...] = CHANNELS
) -> RuleMeta:
    return RuleMeta(
        id=f"creditor:{settings.creditor_id}/{name}",
        kind=kind,
        summary=summary,
        channels=frozenset(channels),
        debtor_types=frozenset({"consumer", "business"}),
        verification="creditor",
        citation=f"creditor {settings.creditor_id} settings v{settings.version}",
    )


def _check_window(pack: RulePack, spec: WindowSpec) -> None:
    mine = compile_window(spec)
    for law in (r for r in pack.rules if isinstance(r, WindowRule)):
        if law.window.block_holidays and not mine.block_holidays:
            raise PolicyError(f"creditor window allows holidays but {law.meta.id} blocks them")
        for index, (ours, theirs) in enumerate(zip(mine.days, law.window.days, strict=True)):
            if ours is None:
                continue
            if theirs is None or ours[0] < theirs[0] or ours[1] > theirs[1]:
                raise PolicyError(
                    f"creditor window on {DAY_KEYS[index]} is wider than the law ({law.meta.id}); "
                    "a creditor may only narrow the contact window"
                )


def _check_cap(pack: RulePack, rule: CapRule) -> None:
    for law in (r for r in pack.rules if isinstance(r, CapRule)):
        same_scope = rule.meta.channels <= law.meta.channels and rule.count == law.count
        if not same_scope or rule.period_days() > law.period_days():
            continue
        if rule.max > law.max:
            raise PolicyError(
                f"creditor cap {rule.meta.id} allows {rule.max} per {rule.period_days()} day(s) where "
                f"{law.meta.id} allows at most {law.max}: a creditor may only lower caps"
            )
        if rule.min_gap and rule.min_gap < law.min_gap:
            raise PolicyError(f"creditor cap {rule.meta.id} spaces messages less than {law.meta.id}")


def _check_duration(pack: RulePack, kind: str, hours: float) -> None:
    for law in (r for r in pack.rules if isinstance(r, DurationRule) and r.meta.kind == kind):
        if dt.timedelta(hours=hours) < law.duration:
            raise PolicyError(
                f"creditor {kind} of {hours} h is shorter than {law.meta.id} "
                f"({law.duration.total_seconds() / 3600:g} h): a creditor may only lengthen it"
            )


def apply_creditor(pack: RulePack, settings: CreditorSettings) -> RulePack:
    """The pack with the creditor's tightenings added; PolicyError if any setting loosens the law."""
    extra: list[AnyRule] = []
    if settings.window is not None:
        _check_window(pack, settings.window)
        extra.append(
            WindowRule(_meta(settings, "window", "window", "creditor contact hours"), compile_window(settings.window))
        )
    for index, cap in enumerate(settings.caps):
        unknown = set(cap.channels) - set(CHANNELS)
        if unknown or not cap.channels:
            raise PolicyError(f"creditor cap {index}: channels must be a non-empty subset of {CHANNELS}")
        rule = CapRule(
            _meta(settings, f"cap_{index}", "cap", "creditor frequency cap", cap.channels),
            max=cap.max,
            period=cap.period,
            span=dt.timedelta(days=cap.days) if cap.days else None,
            count=cap.count,
            per_debt=cap.per_debt,
            min_gap=dt.timedelta(hours=cap.min_gap_hours),
            trigger=cap.trigger,
        )
        _check_cap(pack, rule)
        extra.append(rule)
    for kind, hours in (
        ("quiet_after_payment", settings.quiet_after_payment_hours),
        ("promise_grace", settings.promise_grace_hours),
        ("bounce_pause", settings.bounce_pause_hours),
    ):
        if hours is None:
            continue
        _check_duration(pack, kind, hours)
        extra.append(DurationRule(_meta(settings, kind, kind, f"creditor {kind}"), dt.timedelta(hours=hours)))
    unknown_channels = set(settings.disabled_channels) - set(CHANNELS)
    if unknown_channels:
        raise PolicyError(f"creditor disabled_channels has unknown channels {sorted(unknown_channels)}")
    return pack.with_rules(
        tuple(extra),
        creditor_id=settings.creditor_id,
        version=settings.version,
        disabled=frozenset(settings.disabled_channels),
    )
