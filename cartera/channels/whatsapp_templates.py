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

A Meta Cloud API channel would keep the same file shape with its own template names in place of
Content SIDs.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from cartera.errors import ConfigurationError

_CONTENT_SID = re.compile(r"^HX[0-9a-fA-F]{32}$")
ALLOWED_CATEGORIES = frozenset({"utility"})


@dataclass(frozen=True)
class WhatsAppTemplate:
    """One approved template in one language."""

    name: str
    language: str
    content_sid: str
    variables: tuple[str, ...] = ()

    def content_variables(self, values: dict[str, str]) -> str:
        """The ``ContentVariables`` JSON: our named values in the template's ``{{n}}`` order.
        Raises KeyError naming the first missing variable."""
        if not self.variables:
            return json.dumps(values, ensure_ascii=False, sort_keys=True)
        return json.dumps({str(i): values[name] for i, name in enumerate(self.variables, start=1)}, ensure_ascii=False)


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
            for language, sid in spec["languages"].items():
                if not isinstance(sid, str) or not _CONTENT_SID.match(sid):
                    raise ConfigurationError(
                        f"{source}: template {name!r} language {language!r}: expected a Content SID (HX + 32 hex)"
                    )
                templates.append(WhatsAppTemplate(str(name), str(language), sid, tuple(variables)))
        return cls(templates)

    @classmethod
    def from_file(cls, path: Path) -> TemplateRegistry:
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise ConfigurationError(f"cannot read WhatsApp templates file {path}: {type(exc).__name__}") from None
        return cls.from_mapping(data, source=str(path))
