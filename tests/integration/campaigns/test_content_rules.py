"""What a message says is judged at build and again at send (issue #10 item 6): a template that
breaks the country's content rules is denied with the rule id, at both stages, and nothing of it
reaches the provider; the version of the text judged is stored with the decision."""

from __future__ import annotations

import json
import shutil
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from campaign_inputs import AS_OF, add_customer, local
from psycopg.rows import dict_row

from cartera.campaigns import build_batch, dispatch, rendering
from cartera.campaigns.content_check import TEMPLATE_TEXT_RULE
from cartera.channels.fake_sendgrid import FakeSendGrid
from cartera.channels.sendgrid_email import SendGridEmailChannel
from cartera.config import get_settings

pytestmark = pytest.mark.integration

MORNING = local(2026, 3, 10, 10)
THIRD_PARTIES = "MX-CONDUSEF-2014/no_third_party_mentions"
# The same sentence in each language's templates: both are on the MX pack's list.
PROHIBITED = {
    "es-MX": "Si no paga, informaremos a su empleador.",
    "en-US": "If you do not pay, we will tell your employer.",
}


@pytest.fixture
def employer_templates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[], None]]:
    """Returns a switch that points the renderer at a copy of the templates whose every step
    threatens to tell the debtor's employer (as a careless edit of a template could)."""
    copy = tmp_path / "templates"
    shutil.copytree(rendering.TEMPLATES_DIR, copy)
    for language, sentence in PROHIBITED.items():
        for step in (copy / language).glob("[!_]*.j2"):
            text = step.read_text(encoding="utf-8")
            step.write_text(text.replace("{% macro intro() %}\n", "{% macro intro() %}\n" + sentence + " "), "utf-8")

    def switch() -> None:
        monkeypatch.setattr(rendering, "TEMPLATES_DIR", copy)
        rendering._environment.cache_clear()

    yield switch
    rendering._environment.cache_clear()


def rows(dsn: str, sql: str, *params: Any) -> list[dict[str, Any]]:
    with psycopg.connect(dsn) as conn, conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(sql, params).fetchall()


def received(fake: FakeSendGrid) -> list[dict[str, Any]]:
    with urllib.request.urlopen(f"{fake.base_url}/_fake/messages", timeout=5) as response:
        return list(json.loads(response.read())["messages"])


def test_a_template_naming_the_employer_is_denied_at_build_with_the_rule_and_nothing_is_sent(
    campaign_dsn: str,
    employer_templates: Callable[[], None],
    fake_sendgrid: FakeSendGrid,
    channel_factory: Callable[[], SendGridEmailChannel],
) -> None:
    employer_templates()
    summary = build_batch(campaign_dsn, AS_OF)
    dispatch(campaign_dsn, MORNING, channel_factory=channel_factory)

    assert summary.enqueued == 0 and rows(campaign_dsn, "select * from ops.outbox") == []
    denied = rows(
        campaign_dsn,
        "select customer_id, rule_id, reason_codes, content_sha256 from ops.contact_decisions where stage = 'build'",
    )
    # Every customer the law would otherwise let through (C1, C2, C4 in English, C5, C7) is
    # denied for what the text says, and the audit keeps which text was judged.
    content_denied = {r["customer_id"] for r in denied if r["rule_id"] == THIRD_PARTIES}
    assert content_denied == {"C1", "C2", "C4", "C5", "C7"}
    for row in denied:
        if row["rule_id"] == THIRD_PARTIES:
            assert row["reason_codes"] == ["content_prohibited"] and len(row["content_sha256"]) == 64
    reasons = rows(
        campaign_dsn,
        "select distinct reason_codes[1] as reason_code, rule_id from ops.contact_decisions "
        "where stage = 'build' and rule_id = %s",
        THIRD_PARTIES,
    )
    assert reasons == [{"reason_code": "content_prohibited", "rule_id": THIRD_PARTIES}]
    assert received(fake_sendgrid) == []


def test_a_template_changed_after_the_build_is_denied_at_send_and_cancelled_before_any_attempt(
    campaign_dsn: str,
    employer_templates: Callable[[], None],
    fake_sendgrid: FakeSendGrid,
    channel_factory: Callable[[], SendGridEmailChannel],
) -> None:
    built = build_batch(campaign_dsn, AS_OF)
    assert built.enqueued == 5  # the packaged templates pass the content rules
    employer_templates()
    summary = dispatch(campaign_dsn, MORNING, channel_factory=channel_factory)

    assert summary.sent == 0 and summary.cancel_reasons == {"content_prohibited": 5}
    outbox = rows(campaign_dsn, "select status, status_reason from ops.outbox")
    assert outbox == [{"status": "cancelled", "status_reason": "content_prohibited"}] * 5
    sends = rows(
        campaign_dsn,
        "select verdict, rule_id, content_sha256, outbox_id from ops.contact_decisions where stage = 'send'",
    )
    assert len(sends) == 5
    assert all(s["verdict"] == "deny" and s["rule_id"] == THIRD_PARTIES and s["content_sha256"] for s in sends)
    assert rows(campaign_dsn, "select * from ops.send_attempts") == []
    assert received(fake_sendgrid) == []


def test_the_version_judged_at_send_is_the_version_sent(
    campaign_dsn: str, fake_sendgrid: FakeSendGrid, channel_factory: Callable[[], SendGridEmailChannel]
) -> None:
    build_batch(campaign_dsn, AS_OF)
    summary = dispatch(campaign_dsn, MORNING, channel_factory=channel_factory)

    assert summary.sent == 5 and len(received(fake_sendgrid)) == 5
    judged = rows(
        campaign_dsn,
        "select d.content_sha256 as judged, a.content_sha256 as sent from ops.contact_decisions d "
        "join ops.send_attempts a on a.outbox_id = d.outbox_id where d.stage = 'send'",
    )
    assert len(judged) == 5 and all(r["judged"] == r["sent"] and len(r["judged"]) == 64 for r in judged)
    built = rows(  # the engine's allows (the playbook's lines judge no text)
        campaign_dsn,
        "select content_sha256 from ops.contact_decisions "
        "where stage = 'build' and verdict = 'allow' and rule_pack_id = 'MX-CONDUSEF-2014'",
    )
    assert len(built) == 5 and all(r["content_sha256"] for r in built)


def test_a_whatsapp_template_whose_approved_text_is_not_held_is_never_sent_unchecked(
    campaign_dsn: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    registry = tmp_path / "templates.yml"  # a registry of Content SIDs only, as before bodies existed
    registry.write_text(
        "recordatorio_saldo:\n  category: utility\n"
        "  variables: [acreedor, rfc, fecha_calculo, total, facturas, referencia, une]\n"
        "  languages:\n    es: HX00000000000000000000000000000001\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("CARTERA_WHATSAPP_TEMPLATES_FILE", str(registry))
    get_settings.cache_clear()
    add_customer(campaign_dsn, "W", "at_risk", {"W1": (15, "100.00", False)}, email="w@example.mx",
                 mobile="5512345678", whatsapp_opt_in=True)  # fmt: skip
    build_batch(campaign_dsn, AS_OF)

    assert rows(campaign_dsn, "select * from ops.outbox where customer_id = 'W'") == []
    (decision,) = rows(
        campaign_dsn,
        "select channel, verdict, rule_id, reasons from ops.contact_decisions where customer_id = 'W'",
    )
    assert (decision["channel"], decision["verdict"], decision["rule_id"]) == ("whatsapp", "deny", TEMPLATE_TEXT_RULE)
    assert decision["reasons"][0]["code"] == "content_missing"


def test_a_whatsapp_template_with_its_approved_text_passes_and_is_planned(campaign_dsn: str) -> None:
    add_customer(campaign_dsn, "W", "at_risk", {"W1": (15, "100.00", False)}, email="w@example.mx",
                 mobile="5512345678", whatsapp_opt_in=True)  # fmt: skip
    build_batch(campaign_dsn, AS_OF)
    (row,) = rows(campaign_dsn, "select channel, status from ops.outbox where customer_id = 'W'")
    assert row == {"channel": "whatsapp", "status": "pending"}
