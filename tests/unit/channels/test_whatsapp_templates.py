"""The WhatsApp template registry (cartera/channels/whatsapp_templates.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cartera.channels.whatsapp_templates import TemplateRegistry
from cartera.errors import ConfigurationError

SID_ES, SID_EN = "HX" + "1" * 32, "HX" + "2" * 32


def test_a_template_is_found_by_name_and_language_falling_back_to_the_primary_language(tmp_path: Path) -> None:
    path = tmp_path / "templates.yml"
    path.write_text(
        "recordatorio_vencido:\n  category: utility\n  variables: [factura, monto]\n"
        f"  languages:\n    es: {SID_ES}\n    en: {SID_EN}\n"
    )
    registry = TemplateRegistry.from_file(path)
    assert len(registry) == 2
    found = registry.get("recordatorio_vencido", "es_MX")
    assert found is not None and found.content_sid == SID_ES
    assert json.loads(found.content_variables({"monto": "$5", "factura": "F-9", "extra": "x"})) == {
        "1": "F-9",
        "2": "$5",
    }
    assert registry.get("recordatorio_vencido", "fr") is None and registry.get("otro", "es") is None


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"category": "marketing", "languages": {"es": SID_ES}}, "utility"),
        ({"category": "utility", "languages": {"es": "not-a-sid"}}, "Content SID"),
        ({"category": "utility"}, "languages"),
        ({"category": "utility", "variables": "monto", "languages": {"es": SID_ES}}, "variables"),
    ],
)
def test_a_wrong_entry_is_a_configuration_error_naming_the_template(spec: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message) as caught:
        TemplateRegistry.from_mapping({"aviso": spec})
    assert "aviso" in str(caught.value)


def test_an_unreadable_file_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError):
        TemplateRegistry.from_file(tmp_path / "missing.yml")
