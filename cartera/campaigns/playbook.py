"""The collection playbook as data: which step applies to an open invoice, by customer segment
and days past due (negative = days before the due date).

The playbook lives in ``playbook.yml`` (path in ``settings.playbook_path``) and is validated here
with pydantic: unknown keys, unknown segments, tones or channels, empty or inverted day ranges,
and two steps of one segment claiming the same day are all rejected with a
:class:`~cartera.errors.ConfigurationError` that names the step and the field. A playbook never
silently falls back to a default.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml  # type: ignore[import-untyped]  # types-PyYAML is not a dependency
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from cartera.errors import ConfigurationError

Segment = Literal["new", "exemplary", "occasional", "at_risk", "chronic"]
Tone = Literal["amable", "firme", "escalamiento"]
Channel = Literal["email", "whatsapp", "sms"]
SEGMENTS: tuple[Segment, ...] = ("new", "exemplary", "occasional", "at_risk", "chronic")


class DayRange(BaseModel):
    """Inclusive range of days past due; ``max: null`` means open-ended."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    min: int
    max: int | None = None

    @model_validator(mode="after")
    def _ordered(self) -> DayRange:
        if self.max is not None and self.max < self.min:
            raise ValueError(f"max ({self.max}) is below min ({self.min})")
        return self

    def contains(self, days_past_due: int) -> bool:
        return days_past_due >= self.min and (self.max is None or days_past_due <= self.max)

    def overlaps(self, other: DayRange) -> bool:
        self_max = self.max if self.max is not None else 10**9
        other_max = other.max if other.max is not None else 10**9
        return self.min <= other_max and other.min <= self_max


class Step(BaseModel):
    """One step of the playbook: a message (template, tone, channels by preference) or an
    escalation to a collector's queue (no automatic message)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z][a-z0-9_]{1,40}$")
    description: str = ""
    segments: tuple[Segment, ...] = Field(min_length=1)
    days_past_due: DayRange
    action: Literal["message", "escalate"]
    tone: Tone
    template: str | None = Field(default=None, pattern=r"^[a-z][a-z0-9_]{1,60}$")
    channels: tuple[Channel, ...] = ()
    queue: str | None = None

    @model_validator(mode="after")
    def _action_fields(self) -> Step:
        if self.action == "message":
            if not self.template or not self.channels:
                raise ValueError("a message step needs a template and at least one channel")
            if self.tone == "escalamiento":
                raise ValueError("tone 'escalamiento' is for escalation steps, not messages")
        else:
            if not self.queue:
                raise ValueError("an escalate step needs a queue")
            if self.channels or self.template:
                raise ValueError("an escalate step sends no message: remove template and channels")
        return self

    @property
    def severity(self) -> int:
        """Order of steps for one customer on one day (most pressing first)."""
        return self.days_past_due.min


class Playbook(BaseModel):
    """A validated playbook. Use :meth:`step_for` to map (segment, days past due) to a step."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str = Field(min_length=1)
    steps: tuple[Step, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unambiguous(self) -> Playbook:
        names = [step.name for step in self.steps]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"step names must be unique: {duplicates}")
        for i, first in enumerate(self.steps):
            for second in self.steps[i + 1 :]:
                shared = set(first.segments) & set(second.segments)
                if shared and first.days_past_due.overlaps(second.days_past_due):
                    raise ValueError(
                        f"steps {first.name!r} and {second.name!r} overlap in days for segments {sorted(shared)}"
                    )
        return self

    def step_for(self, segment: Segment, days_past_due: int) -> Step | None:
        """The step that applies to an invoice `days_past_due` days past due (negative: before
        the due date) of a customer in `segment`, or None when the playbook says do nothing."""
        for step in self.steps:
            if segment in step.segments and step.days_past_due.contains(days_past_due):
                return step
        return None

    def step(self, name: str) -> Step:
        """The step called `name` (raises ConfigurationError if the playbook has none)."""
        for step in self.steps:
            if step.name == name:
                return step
        raise ConfigurationError(f"the playbook (version {self.version}) has no step {name!r}")


def parse_playbook(data: object, *, source: str = "<playbook>") -> Playbook:
    """Validate a playbook already parsed from YAML; raises ConfigurationError naming the field."""
    try:
        return Playbook.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in err['loc']) or '<root>'}: {err['msg']}" for err in exc.errors()
        )
        raise ConfigurationError(f"invalid playbook {source}: {problems}") from None


def load_playbook(path: Path | None = None) -> Playbook:
    """Read and validate the playbook at `path` (default: ``settings.playbook_path``)."""
    if path is None:
        from cartera.config import get_settings

        path = get_settings().playbook_path
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigurationError(f"playbook not found at {path}: set CARTERA_PLAYBOOK_PATH") from None
    except yaml.YAMLError as exc:
        raise ConfigurationError(f"playbook {path} is not valid YAML: {exc}") from None
    return parse_playbook(data, source=str(path))
