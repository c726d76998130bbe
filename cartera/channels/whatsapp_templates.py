"""Our WhatsApp template names → Twilio Content Templates approved by WhatsApp.

Outside the 24-hour customer-service window WhatsApp delivers only a pre-approved template.
With Twilio that is a Content Template (SID ``HX…``) sent as ``ContentSid`` with its variables in
``ContentVariables`` (JSON, keys ``"1"``, ``"2"``, … for ``{{1}}``, ``{{2}}``, …). The campaign
code names templates in its own words (``recordatorio_vencido``) and this registry, read from
the YAML file in ``CARTERA_WHATSAPP_TEMPLATES_FILE``, maps them::

    recordatorio_vencido:
      category: utility           # collection reminders are utility; nothing else is accepted
      variables: [nombre, monto, fecha_vencimiento]   # our names for {{1}}, {{2}}, {{3}}
      languages:
        es: HX0123456789abcdef0123456789abcdef
        en: HXfedcba9876543210fedcba9876543210
      body:                       # optional: the approved text, word for word, per language
        es: "Hola {{1}}, su saldo de {{2}} venció el {{3}}."
        en: "Hello {{1}}, your balance of {{2}} was due on {{3}}."

`body` is the text WhatsApp approved, with its ``{{n}}`` placeholders: with it the message the
debtor will read can be rendered (:meth:`WhatsAppTemplate.render`) and checked against the
country's content rules before it is sent. A template without its body cannot be checked, and
the campaigns refuse to send it (docs/contact_policy.md).

A Meta Cloud API channel would keep the same file shape with its own template names in place of
Content SIDs.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from cartera.errors import ConfigurationError

DEMO_TEMPLATES_FILE = Path(__file__).with_name("whatsapp_templates.demo.yml")  # made-up SIDs, fake Twilio only
_CONTENT_SID = re.compile(r"^HX[0-9a-fA-F]{32}$")
_PLACEHOLDER = re.compile(r"\{\{\s*(\d+)\s*\}\}")
ALLOWED_CATEGORIES = frozenset({"utility"})


@dataclass(frozen=True)
class WhatsAppTemplate:
    """One approved template in one language."""

    name: str
    language: str
    content_sid: str
    variables: tuple[str, ...] = ()
    body: str | None = None  # the approved text with {{1}}, {{2}}… (None: not held here)

    def content_variables(self, values: dict[str, str]) -> str:
        """The ``ContentVariables`` JSON: our named values in the template's ``{{n}}`` order.
        Raises KeyError naming the first missing variable."""
        if not self.variables:
            return json.dumps(values, ensure_ascii=False, sort_keys=True)
        return json.dumps({str(i): values[name] for i, name in enumerate(self.variables, start=1)}, ensure_ascii=False)

    def render(self, values: Mapping[str, str]) -> str | None:
        """The approved body with each ``{{n}}`` replaced by our value for the n-th variable: the
        text the debtor reads. None when the registry does not hold the body. Raises KeyError
        naming the first missing variable."""
        if self.body is None:
            return None
        names = self.variables
        return _PLACEHOLDER.sub(
            lambda m: values[names[int(m.group(1)) - 1]] if names else values[m.group(1)], self.body
        )


class TemplateRegistry:
    """Approved templates by (name, language). Looks up ``es-MX`` as ``es-MX``, then ``es``."""

    def __init__(self, templates: list[WhatsAppTemplate] | None = None) -> None:
        self._by_key = {(t.name, t.language.lower()): t for t in templates or []}

    def __len__(self) -> int:
        return len(self._by_key)

    def get(self, name: str, language: str) -> WhatsAppTemplate | None:
        language = language.lower().replace("_", "-")
        for candidate in (language, language.split("-")[0]):
            found = self._by_key.get((name, candidate))
            if found is not None:
                return found
        return None

    @classmethod
    def from_mapping(cls, data: Any, *, source: str = "templates") -> TemplateRegistry:
        """A registry from the YAML's parsed shape (see the module docstring); raises
        ConfigurationError naming the template and field that is wrong."""
        if data is None:
            return cls()
        if not isinstance(data, dict):
            raise ConfigurationError(f"{source}: expected a mapping of template names")
        templates: list[WhatsAppTemplate] = []
        for name, spec in data.items():
            if not isinstance(spec, dict) or not isinstance(spec.get("languages"), dict) or not spec["languages"]:
                raise ConfigurationError(f"{source}: template {name!r} needs `languages` (language: content SID)")
            category = str(spec.get("category", "")).lower()
            if category not in ALLOWED_CATEGORIES:
                raise ConfigurationError(
                    f"{source}: template {name!r} has category {category or 'none'!r}; payment reminders "
                    "must be approved as `utility` templates"
                )
            variables = spec.get("variables") or []
            if not isinstance(variables, list) or not all(isinstance(v, str) for v in variables):
                raise ConfigurationError(f"{source}: template {name!r}: `variables` must be a list of names")
            bodies = _bodies(spec.get("body"), spec["languages"], len(variables), f"{source}: template {name!r}")
            for language, sid in spec["languages"].items():
                if not isinstance(sid, str) or not _CONTENT_SID.match(sid):
                    raise ConfigurationError(
                        f"{source}: template {name!r} language {language!r}: expected a Content SID (HX + 32 hex)"
                    )
                templates.append(
                    WhatsAppTemplate(str(name), str(language), sid, tuple(variables), bodies.get(str(language)))
                )
        return cls(templates)

    @classmethod
    def from_file(cls, path: Path) -> TemplateRegistry:
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise ConfigurationError(f"cannot read WhatsApp templates file {path}: {type(exc).__name__}") from None
        return cls.from_mapping(data, source=str(path))


def _bodies(spec: Any, languages: Mapping[str, Any], variables: int, where: str) -> dict[str, str]:
    """The `body` entry checked: a text per language of the template, whose placeholders are
    ``{{1}}``…``{{n}}`` of its n variables (any number when it declares none)."""
    if spec is None:
        return {}
    if not isinstance(spec, dict):
        raise ConfigurationError(f"{where}: `body` must map a language to the approved text")
    bodies: dict[str, str] = {}
    for language, text in spec.items():
        if str(language) not in {str(k) for k in languages}:
            raise ConfigurationError(f"{where}: `body` has language {language!r}, which is not in `languages`")
        if not isinstance(text, str) or not text.strip():
            raise ConfigurationError(f"{where}: `body` for {language!r} must be the approved text")
        numbers = {int(n) for n in _PLACEHOLDER.findall(text)}
        if variables and not numbers <= set(range(1, variables + 1)):
            raise ConfigurationError(
                f"{where}: `body` for {language!r} uses placeholders {sorted(numbers)}; "
                f"`variables` names only {{{{1}}}}…{{{{{variables}}}}}"
            )
        bodies[str(language)] = text
    return bodies


@lru_cache(maxsize=4)
def _registry_at(path: str | None) -> TemplateRegistry:
    return TemplateRegistry.from_file(Path(path)) if path else TemplateRegistry()


def registry_from_settings() -> TemplateRegistry:
    """The registry in CARTERA_WHATSAPP_TEMPLATES_FILE (empty when unset), read once per file."""
    from cartera.config import get_settings

    path = get_settings().whatsapp_templates_file
    return _registry_at(str(path) if path else None)
