"""Load, validate and compile rule packs: one YAML file per country in ``rulepacks/`` plus the
shared ``_platform.yml`` (channel consent, opt-outs, holds, quiet periods), merged into each.

Anything wrong is a :class:`PolicyError` at load time, never a silent default: an unknown
country, a malformed file, a window whose end is not after its start, a cap below one, a rule
without a legal source, a (debtor type, channel) left without any contact window, or windows
that never overlap across the country's zones. The engine only ever sees packs that passed.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped]  # types-PyYAML is not a dependency
from pydantic import ValidationError

from cartera.errors import PolicyError
from cartera.policy.content import compile_patterns, compile_phrases, folded_phrases
from cartera.policy.models import CHANNELS
from cartera.policy.rules import (
    AnyRule,
    CapRule,
    ConsentRule,
    ContentRule,
    CooldownRule,
    DurationRule,
    HoldRule,
    RecipientRule,
    RuleMeta,
    RulePack,
    WindowRule,
)
from cartera.policy.schema import DAY_KEYS, Rule, RulePackFile, WindowSpec, hhmm_to_minutes
from cartera.policy.windows import Window, zone

PLATFORM_FILE = "_platform.yml"


def _pack_dir() -> Path:
    return Path(str(resources.files("cartera.policy") / "rulepacks"))


def available_countries(directory: Path | None = None) -> tuple[str, ...]:
    """ISO codes of the countries that have a rule pack."""
    folder = directory or _pack_dir()
    return tuple(sorted(p.stem for p in folder.glob("*.yml") if not p.name.startswith("_")))


def read_pack_file(path: Path) -> RulePackFile:
    """Parse and schema-check one YAML file; PolicyError names the file and the field."""
    try:
        raw: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        detail = str(exc).replace("\n", " ")
        raise PolicyError(f"rule pack {path.name}: cannot read it as YAML ({type(exc).__name__}: {detail})") from exc
    return parse_pack(raw, origin=path.name)


def parse_pack(raw: Any, origin: str) -> RulePackFile:
    """Schema-check an already parsed YAML document (tests build broken ones in memory)."""
    if not isinstance(raw, dict):
        raise PolicyError(f"rule pack {origin}: expected a mapping at the top level")
    try:
        return RulePackFile.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}" for error in exc.errors()
        )
        raise PolicyError(f"rule pack {origin} is invalid: {problems}") from exc


def compile_window(spec: WindowSpec) -> Window:
    days = []
    for key in DAY_KEYS:
        interval = getattr(spec, key)
        days.append(None if interval is None else (hhmm_to_minutes(interval[0]), hhmm_to_minutes(interval[1])))
    return Window(days=tuple(days), block_holidays=spec.holidays == "blocked")


def compile_rule(rule: Rule) -> AnyRule:
    """One schema rule -> its compiled form (parameters as timedeltas and minute offsets)."""
    meta = RuleMeta(
        id=rule.id,
        kind=rule.kind,
        summary=rule.summary,
        channels=frozenset(rule.channels),
        debtor_types=frozenset(rule.debtor_types),
        verification=rule.verification,
        citation=rule.source.citation,
    )
    if rule.window is not None:
        return WindowRule(meta, compile_window(rule.window))
    if rule.cap is not None:
        cap = rule.cap
        return CapRule(
            meta,
            max=cap.max,
            period=cap.period,
            span=dt.timedelta(days=cap.days) if cap.days else None,
            count=cap.count,
            per_debt=cap.per_debt,
            min_gap=dt.timedelta(hours=cap.min_gap_hours),
            trigger=cap.trigger,
        )
    if rule.cooldown is not None:
        unknown = set(rule.cooldown.after_channels) - set(CHANNELS)
        if unknown:
            raise PolicyError(f"rule {rule.id}: unknown channels in after_channels: {sorted(unknown)}")
        days = rule.cooldown.days
        return CooldownRule(
            meta,
            dt.timedelta(days=days) if days else dt.timedelta(hours=rule.cooldown.hours or 0),
            frozenset(rule.cooldown.after_channels),
            rule.cooldown.per_debt,
            local_days=days,
        )
    if rule.hours is not None:
        return DurationRule(meta, dt.timedelta(hours=rule.hours))
    if rule.require is not None:
        return ConsentRule(meta, rule.require)
    if rule.allowed_roles is not None:
        return RecipientRule(meta, frozenset(rule.allowed_roles))
    if rule.required is not None:
        return ContentRule(meta, "required", rule.required.fact, compile_patterns(rule.required.patterns))
    if rule.phrases is not None:
        return ContentRule(meta, "prohibited", None, compile_phrases(rule.phrases), folded_phrases(rule.phrases))
    return HoldRule(meta, frozenset(rule.hold_kinds))


def _check_windows_cover(pack_id: str, rules: tuple[AnyRule, ...]) -> None:
    """Every (debtor type, channel) must have a window and a recipients rule: without them the
    engine would allow any hour, or any recipient."""
    for kind, name in ((WindowRule, "contact window"), (RecipientRule, "recipients rule")):
        for debtor_type in ("consumer", "business"):
            for channel in CHANNELS:
                if not any(isinstance(r, kind) and r.meta.applies(debtor_type, channel) for r in rules):
                    raise PolicyError(
                        f"rule pack {pack_id}: no {name} for {debtor_type} debtors on {channel}; "
                        f"add a {name} (or list the channel in an existing one)"
                    )


def _check_windows_overlap(pack_id: str, zones: tuple[str, ...], rules: tuple[AnyRule, ...]) -> None:
    """The windows must leave some hour open in all the country's zones at once (the reading for an
    unknown zone); otherwise every such debtor would be deferred forever."""
    windows = [r.window for r in rules if isinstance(r, WindowRule)]
    infos = tuple(zone(name) for name in zones)
    start = dt.datetime(2026, 1, 5, tzinfo=dt.UTC)  # a Monday; holidays ignored for this check
    for step in range(14 * 24 * 4):
        at = start + dt.timedelta(minutes=15 * step)
        if all(w.contains(at, infos, None) for w in windows):
            return
    raise PolicyError(f"rule pack {pack_id}: the contact windows never overlap across the country's zones {zones}")


def build_pack(country_file: RulePackFile, platform_file: RulePackFile | None) -> RulePack:
    """Merge the platform rules into a country file, compile and cross-check them."""
    if country_file.country == "*":
        raise PolicyError(f"rule pack {country_file.id}: a country pack must name its country")
    if country_file.timezones is None:
        raise PolicyError(f"rule pack {country_file.id}: `timezones` is required for a country")
    shared = platform_file.rules if platform_file else ()
    schema_rules = shared + country_file.rules
    ids = [rule.id for rule in schema_rules]
    duplicates = sorted({rule_id for rule_id in ids if ids.count(rule_id) > 1})
    if duplicates:
        raise PolicyError(f"rule pack {country_file.id}: duplicate rule ids {duplicates}")
    rules = tuple(compile_rule(rule) for rule in schema_rules)
    tz = country_file.timezones
    for name in tz.zones:
        zone(name)
    for mapping in (tz.by_state, tz.by_area_code):
        for key, names in mapping.items():
            stray = [name for name in names if name not in tz.zones]
            if stray or not names:
                raise PolicyError(f"rule pack {country_file.id}: {key} maps to zones outside `zones`: {stray}")
    _check_windows_cover(country_file.id, rules)
    _check_windows_overlap(country_file.id, tz.zones, rules)
    version = country_file.version + (f"/platform@{platform_file.version}" if platform_file else "")
    holiday = country_file.holidays
    return RulePack(
        id=country_file.id,
        country=country_file.country,
        version=version,
        title=country_file.title,
        reviewed_by_counsel=country_file.reviewed_by_counsel,
        zones=tz.zones,
        zones_by_state={k.upper(): v for k, v in tz.by_state.items()},
        zones_by_area_code=dict(tz.by_area_code),
        holiday_country=holiday.country if holiday else None,
        holiday_categories=holiday.categories if holiday else ("public",),
        holiday_subdivisions=holiday.subdivisions if holiday else "none",
        rules=rules,
    )


def load_rule_pack(country: str, directory: Path | None = None) -> RulePack:
    """The compiled pack of `country` (ISO 3166-1 alpha-2). PolicyError if there is none or it is bad."""
    code = country.strip().upper()
    folder = directory or _pack_dir()
    path = folder / f"{code}.yml"
    if len(code) != 2 or not code.isalpha() or not path.is_file():
        known = ", ".join(available_countries(folder))
        raise PolicyError(f"no contact rule pack for country {country!r}; known: {known}. Add rulepacks/{code}.yml")
    country_file = read_pack_file(path)
    if country_file.country != code:
        raise PolicyError(f"rule pack {path.name} declares country {country_file.country}, expected {code}")
    platform_path = folder / PLATFORM_FILE
    platform = read_pack_file(platform_path) if platform_path.is_file() else None
    return build_pack(country_file, platform)


@lru_cache(maxsize=32)
def cached_rule_pack(country: str) -> RulePack:
    """load_rule_pack for the packaged files, parsed once per process."""
    return load_rule_pack(country)
