"""Every rendered message passes its country's content rules (cartera/campaigns/content_check.py),
and a message that breaks one, or cannot be checked, is reported with the rule id."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from statement_inputs import CREDITOR

from cartera.campaigns import content_check
from cartera.campaigns.candidates import OpenItem
from cartera.campaigns.creditor import Creditor
from cartera.campaigns.playbook import load_playbook
from cartera.campaigns.rendering import RenderedMessage, render_message
from cartera.channels.sms_segments import sms_segments
from cartera.channels.whatsapp_templates import DEMO_TEMPLATES_FILE, TemplateRegistry
from cartera.errors import ConfigurationError
from cartera.policy.content import ContentReport
from cartera.policy.engine import PolicyEngine

ENGINE = PolicyEngine.load(["MX", "US"])
REGISTRY = TemplateRegistry.from_file(DEMO_TEMPLATES_FILE)
TEMPLATES = sorted({step.template for step in load_playbook().steps if step.template})
AS_OF = dt.date(2026, 3, 10)
CREDITORS = (
    CREDITOR,
    CREDITOR.model_copy(update={"legal_name": "López & Hijos, S. de R.L. de C.V.", "rfc": "LHI010203AB1"}),
    CREDITOR.model_copy(
        update={"legal_name": "Financiera Ágil del Norte, S.A.P.I. de C.V., SOFOM, E.N.R.", "une_email": "une@agil.mx"}
    ),
)
NAMES = (None, "", "Ana López", "Ñoño Pérez-Íñiguez", "Mr. O'Brien <AP>", "Compras & Pagos")


def rendered(channel: str, template: str, language: str, **kw: Any) -> RenderedMessage:
    options: dict[str, Any] = {
        "invoices": (OpenItem("I1", "F-1", "C1", AS_OF, "MXN", Decimal("10"), Decimal("10"), 0, False),),
        "as_of": AS_OF,
        "creditor": CREDITOR,
        "contact_name": "Ana",
        "reference": "CLI010101AB1",
        "templates": REGISTRY,
    }
    options.update(kw)
    return render_message(channel, template, language, **options)


def judged(message: RenderedMessage, channel: str, country: str = "MX", creditor: Creditor = CREDITOR) -> ContentReport:
    return content_check.check_rendered(
        ENGINE, message, channel=channel, country=country, is_consumer=True, creditor=creditor
    )


@st.composite
def invoices(draw: st.DrawFn) -> tuple[OpenItem, ...]:
    items = []
    for i in range(draw(st.integers(1, 8))):
        days = draw(st.sampled_from([0, draw(st.integers(-60, -1)), draw(st.integers(1, 400))]))
        amount = draw(st.decimals(Decimal("0.01"), Decimal("9999999.99"), places=2))
        uuid = draw(st.sampled_from([None, f"5FB2822E-396D-4725-8521-CDC4BDD2{i:04d}"]))
        currency = draw(st.sampled_from(["MXN", "MXN", "USD", "EUR"]))
        issued = draw(st.sampled_from([None, AS_OF - dt.timedelta(days=days + 30)]))
        items.append(
            OpenItem(f"I{i}", f"F-{i:05d}", "C1", AS_OF - dt.timedelta(days=days), currency, amount, amount, days,
                     False, issue_date=issued, cfdi_uuid=uuid)
        )  # fmt: skip
    return tuple(items)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    channel=st.sampled_from(["email", "sms", "whatsapp"]),
    language=st.sampled_from(["es-MX", "en-US"]),
    template=st.sampled_from(TEMPLATES),
    items=invoices(),
    contact_name=st.sampled_from(NAMES),
    window_open=st.booleans(),
    creditor=st.sampled_from(CREDITORS),
    reference=st.sampled_from(["CLI010101AB1", "C-000123", "CLIENTE-CON-ID-LARGO-0001"]),
)
def test_no_rendered_message_breaks_its_countrys_content_rules(
    channel: str,
    language: str,
    template: str,
    items: tuple[OpenItem, ...],
    contact_name: str | None,
    window_open: bool,
    creditor: Creditor,
    reference: str,
) -> None:
    message = rendered(
        channel, template, language, invoices=items, creditor=creditor, contact_name=contact_name,
        reference=reference, window_open=window_open,
    )  # fmt: skip
    mexico = judged(message, channel, "MX", creditor)
    assert mexico.violations == (), [(v.rule_id, v.item) for v in mexico.violations]
    assert mexico.rule_pack_id.startswith("MX") and mexico.content_sha256 == content_check.content_version(message)
    us = judged(message, channel, "US", creditor)  # a US debtor: the opt-out rule (and no false threats)
    assert us.violations == (), [(v.rule_id, v.item) for v in us.violations]
    if channel == "sms":
        assert sms_segments(message.text)[1] <= 3  # every creditor here has a legal name under 60 characters


@pytest.mark.parametrize("channel", ["email", "sms", "whatsapp"])
@pytest.mark.parametrize("language", ["es-MX", "en-US"])
def test_a_prohibited_phrase_anywhere_the_debtor_reads_is_reported_with_its_rule(channel: str, language: str) -> None:
    phrase = "informaremos a su empleador" if language == "es-MX" else "we will tell your employer"
    creditor = CREDITOR.model_copy(update={"contact_hours_es": phrase, "contact_hours_en": phrase})
    # The contact hours appear in the e-mail and the WhatsApp free text; the SMS and the template
    # carry the legal name instead.
    named = CREDITOR.model_copy(update={"legal_name": f"Cobranza {phrase} S.A. de C.V."})
    for who in (creditor, named):
        message = rendered(channel, "recordatorio_firme", language, creditor=who, window_open=True)
        if phrase not in message.text:
            continue
        report = judged(message, channel, "MX", who)
        assert [(v.code, v.rule_id) for v in report.violations] == [
            ("content_prohibited", "MX-CONDUSEF-2014/no_third_party_mentions")
        ]


def test_the_html_part_is_judged_on_its_own() -> None:
    message = rendered("email", "recordatorio_vencido", "es-MX")
    html = message.html
    for words in ("Quejas:", "(UNE)", "Unidad Especializada de Atención a Usuarios"):
        html = html.replace(words, "")
    without_une = RenderedMessage(subject=message.subject, text=message.text, html=html)
    report = judged(without_une, "email")
    assert [v.rule_id for v in report.violations] == ["MX-CONDUSEF-2014/une_contact"]  # the text part has it
    assert judged(message, "email").ok


def test_html_is_read_as_the_words_it_shows() -> None:
    markup = "<html><head><style>p {}</style></head><p>López &amp; Hijos</p><br>RFC<td>X</td></html>"
    assert " ".join(content_check.html_as_text(markup).split()) == "López & Hijos RFC X"


def test_a_whatsapp_template_without_its_approved_body_cannot_be_checked_and_is_reported() -> None:
    message = rendered("whatsapp", "recordatorio_firme", "es-MX", templates=TemplateRegistry())
    assert message.template is not None and message.template_text is None
    report = judged(message, "whatsapp")
    assert [(v.code, v.rule_id, v.item) for v in report.violations] == [
        ("content_missing", content_check.TEMPLATE_TEXT_RULE, "approved_template_text")
    ]
    held = judged(rendered("whatsapp", "recordatorio_firme", "es-MX"), "whatsapp")
    assert held.ok  # the demo registry holds the body: the filled template passes


def test_the_template_as_approved_is_what_is_judged_not_the_free_text() -> None:
    thin = TemplateRegistry.from_mapping(
        {
            "recordatorio_saldo": {
                "category": "utility",
                "variables": ["acreedor", "rfc", "fecha_calculo", "total", "facturas", "referencia", "une"],
                "languages": {"es": "HX" + "1" * 32},
                "body": {"es": "Hola, {{1}} le recuerda un saldo de {{4}}. Responda BAJA para no recibir mensajes."},
            }
        }
    )
    message = rendered("whatsapp", "recordatorio_firme", "es-MX", templates=thin)
    assert message.text == "Hola, Distribuidora Ejemplo S.A. de C.V. le recuerda un saldo de $10.00 MXN. " + (
        "Responda BAJA para no recibir mensajes."
    )
    missing = {v.rule_id.rsplit("/", 1)[1] for v in judged(message, "whatsapp").violations}
    assert missing == {"creditor_rfc", "calculation_date", "une_contact"}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"fr": "Bonjour {{1}}"}, "not in `languages`"),
        ({"es": "Hola {{9}}"}, "placeholders"),
        ({"es": "  "}, "approved text"),
        ("Hola {{1}}", "map a language"),
    ],
)
def test_a_wrong_approved_body_is_a_configuration_error_naming_the_template(body: object, message: str) -> None:
    spec = {"category": "utility", "variables": ["a", "b"], "languages": {"es": "HX" + "1" * 32}, "body": body}
    with pytest.raises(ConfigurationError, match=message) as caught:
        TemplateRegistry.from_mapping({"aviso": spec})
    assert "aviso" in str(caught.value)


def test_a_registry_without_bodies_still_loads_and_renders_nothing() -> None:
    registry = TemplateRegistry.from_mapping(
        {"aviso": {"category": "utility", "variables": ["a"], "languages": {"es": "HX" + "1" * 32}}}
    )
    template = registry.get("aviso", "es-MX")
    assert template is not None and template.body is None and template.render({"a": "x"}) is None
