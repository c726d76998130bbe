"""The playbook as data (cartera/campaigns/playbook.py and playbook.yml)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from cartera.campaigns.playbook import load_playbook, parse_playbook
from cartera.config import REPO_ROOT
from cartera.errors import ConfigurationError

PLAYBOOK_PATH = REPO_ROOT / "cartera" / "campaigns" / "playbook.yml"
PLAYBOOK = load_playbook(PLAYBOOK_PATH)


@pytest.mark.parametrize("days", [-5, -3, -1])
@pytest.mark.parametrize("segment", ["exemplary", "occasional"])
def test_exemplary_and_occasional_customers_get_nothing_before_the_due_date(segment: Any, days: int) -> None:
    assert PLAYBOOK.step_for(segment, days) is None


@pytest.mark.parametrize("segment", ["at_risk", "chronic", "new"])
def test_risky_and_new_customers_get_a_friendly_preventive_reminder(segment: Any) -> None:
    step = PLAYBOOK.step_for(segment, -3)
    assert step is not None and step.name == "preventivo" and step.tone == "amable" and step.channels == ("email",)


def test_nothing_is_sent_on_the_due_date_or_long_before_it() -> None:
    assert PLAYBOOK.step_for("at_risk", 0) is None
    assert PLAYBOOK.step_for("at_risk", -6) is None


def test_reminders_get_firmer_after_the_first_week() -> None:
    assert PLAYBOOK.step_for("occasional", 3).name == "recordatorio"  # type: ignore[union-attr]
    firm = PLAYBOOK.step_for("occasional", 15)
    assert firm is not None and firm.tone == "firme"


def test_chronic_late_payers_past_30_days_are_escalated_without_a_message() -> None:
    step = PLAYBOOK.step_for("chronic", 31)
    assert step is not None and step.action == "escalate" and step.tone == "escalamiento"
    assert step.channels == () and step.template is None and step.queue
    assert PLAYBOOK.step_for("at_risk", 31).action == "message"  # type: ignore[union-attr]
    assert PLAYBOOK.step_for("chronic", 30).action == "message"  # type: ignore[union-attr]


def raw() -> dict[str, Any]:
    return copy.deepcopy(yaml.safe_load(PLAYBOOK_PATH.read_text(encoding="utf-8")))


def test_overlapping_steps_for_one_segment_are_rejected() -> None:
    data = raw()
    data["steps"][1]["days_past_due"] = {"min": -2, "max": 7}
    with pytest.raises(ConfigurationError, match="overlap"):
        parse_playbook(data)


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("segments",), ["vip"], "segments"),
        (("tone",), "agresivo", "tone"),
        (("days_past_due",), {"min": 5, "max": 1}, "below min"),
        (("template",), None, "template"),
        (("unexpected",), 1, "unexpected"),
    ],
)
def test_a_bad_step_is_rejected_with_the_field_named(path: tuple[str, ...], value: Any, message: str) -> None:
    data = raw()
    data["steps"][0][path[0]] = value
    with pytest.raises(ConfigurationError, match=message):
        parse_playbook(data)


def test_an_escalation_that_would_send_a_message_is_rejected() -> None:
    data = raw()
    data["steps"][-1]["channels"] = ["email"]
    with pytest.raises(ConfigurationError, match="sends no message"):
        parse_playbook(data)


def test_a_missing_or_malformed_file_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="not found"):
        load_playbook(tmp_path / "absent.yml")
    broken = tmp_path / "broken.yml"
    broken.write_text("steps: [\n", encoding="utf-8")
    with pytest.raises(ConfigurationError, match="not valid YAML"):
        load_playbook(broken)


@pytest.mark.parametrize("days", [1, 15, 30])
def test_an_exemplary_payer_is_asked_first_whether_something_is_wrong(days: int) -> None:
    step = PLAYBOOK.step_for("exemplary", days)
    assert step is not None and step.name == "consulta_servicio" and step.tone == "amable"
    assert PLAYBOOK.step_for("exemplary", 31).tone == "firme"  # type: ignore[union-attr]


def test_risky_payers_get_the_firm_reminder_on_their_phone_first_and_others_by_email() -> None:
    risky = PLAYBOOK.step_for("at_risk", 15)
    assert risky is not None and risky.tone == "firme" and risky.channels[:2] == ("whatsapp", "sms")
    assert PLAYBOOK.step_for("occasional", 15).channels[0] == "email"  # type: ignore[union-attr]
    assert PLAYBOOK.step_for("new", 3).channels == ("email",)  # type: ignore[union-attr]
