"""The reply classifier: opt-outs, disputes, reported payments, promises with dates (read from
the debtor's local time), and everything else to the collector's inbox."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from cartera.replies.classify import classify, normalize, strip_quoted

TUESDAY = dt.datetime(2026, 3, 10, 12, 0, tzinfo=ZoneInfo("America/Mexico_City"))


@pytest.mark.parametrize(
    "text",
    [
        "STOP",
        "stop!",
        "Baja",
        "BAJA.",
        "baja por favor",
        "ALTO",
        "Cancelar",
        "UNSUBSCRIBE",
        "No más",
        "no mas",
        "NO MÁS mensajes",
        "  stop  ",
        "Stop, gracias",
        "END",
    ],
)
def test_stop_words_as_the_whole_message_or_first_word_opt_out(text: str) -> None:
    reading = classify(text, TUESDAY)
    assert (reading.classification, reading.route) == ("opt_out", "opt_out")


@pytest.mark.parametrize("text", ["End of month we pay", "Quit asking, we paid already", "Le damos de alta mañana"])
def test_twilio_keywords_inside_a_sentence_are_not_opt_outs(text: str) -> None:
    assert classify(text, TUESDAY).classification != "opt_out"


@pytest.mark.parametrize(
    "text",
    [
        "Ya pagué",
        "ya pague",
        "YA PAGAMOS",
        "Ya se pagó",
        "ya se pago",
        "Ya está pagada",
        "pagamos ayer",
        "Already paid",
        "We already paid this",
        "We paid yesterday",
        "Payment was sent",
    ],
)
def test_reported_payments(text: str) -> None:
    reading = classify(text, TUESDAY)
    assert (reading.classification, reading.route) == ("payment_reported", "hold")


@pytest.mark.parametrize(
    "text",
    [
        "No reconozco esta factura",
        "no reconozco",
        "Factura incorrecta",
        "factura equivocada",
        "No es nuestra",
        "Wrong invoice",
        "We dispute this charge",
        "disputa",
        "Cobro indebido",
    ],
)
def test_disputes(text: str) -> None:
    reading = classify(text, TUESDAY)
    assert (reading.classification, reading.route) == ("dispute", "hold")


@pytest.mark.parametrize(
    ("text", "promised"),
    [
        ("Pago el viernes", dt.date(2026, 3, 13)),
        ("pagamos el próximo lunes", dt.date(2026, 3, 16)),
        ("el miércoles", dt.date(2026, 3, 11)),
        ("mañana", dt.date(2026, 3, 11)),
        ("MANANA", dt.date(2026, 3, 11)),
        ("pasado mañana", dt.date(2026, 3, 12)),
        ("next Monday", dt.date(2026, 3, 16)),
        ("We will pay on Friday", dt.date(2026, 3, 13)),
        ("el 15 de abril", dt.date(2026, 4, 15)),
        ("April 2nd", dt.date(2026, 4, 2)),
        ("hoy", dt.date(2026, 3, 10)),
        ("a fin de mes", dt.date(2026, 3, 31)),
        ("el día 20 depositamos", dt.date(2026, 3, 20)),
        ("martes", dt.date(2026, 3, 17)),  # the same weekday means next week's
    ],
)
def test_promises_with_a_date_read_from_the_reply_local_day(text: str, promised: dt.date) -> None:
    reading = classify(text, TUESDAY)
    assert (reading.classification, reading.route, reading.promise_date) == ("promise_to_pay", "hold", promised)


def test_the_same_words_late_at_night_promise_a_later_day() -> None:
    late = dt.datetime(2026, 3, 10, 23, 50, tzinfo=ZoneInfo("America/Tijuana"))
    assert classify("mañana", late).promise_date == dt.date(2026, 3, 11)
    assert classify("mañana", late.astimezone(ZoneInfo("America/Mexico_City"))).promise_date == dt.date(2026, 3, 12)


@pytest.mark.parametrize("text", ["el 15 de diciembre", "3 de marzo de 2026", "December 15th"])
def test_a_promise_in_the_past_or_beyond_90_days_goes_to_the_inbox(text: str) -> None:
    reading = classify(text, TUESDAY)
    assert (reading.classification, reading.route) == ("promise_to_pay", "inbox")
    assert reading.rule.endswith(".out_of_range")


@pytest.mark.parametrize(
    "text",
    [
        "👍",
        "🙏🙏",
        "",
        "   ",
        "Danke, wir zahlen bald",
        "Obrigado",
        "¿Me pueden llamar?",
        "Hola, buenos días",
        "La reunión del viernes con el contador fue larga y hablamos de muchas cosas de la empresa",
    ],
)
def test_anything_else_goes_to_the_inbox(text: str) -> None:
    reading = classify(text, TUESDAY)
    assert (reading.classification, reading.route, reading.promise_date) == ("unknown", "inbox", None)


def test_none_is_read_as_an_empty_reply() -> None:
    assert classify(None, TUESDAY).classification == "unknown"


def test_the_quoted_original_and_signature_are_not_read() -> None:
    assert strip_quoted("Gracias\n> BAJA\n> ya pagué") == "Gracias"
    assert strip_quoted("ok\nOn Tue, Mar 10, 2026 Cobranza wrote:\nBAJA") == "ok"
    assert strip_quoted("ok\n-- \nTesorería") == "ok"
    assert classify("Gracias\n\nEl mar, 10 mar 2026, Cobranza escribió:\n> baja", TUESDAY).classification == "unknown"


def test_normalize_drops_case_accents_and_punctuation() -> None:
    assert normalize("¡Ya PAGUÉ!  Gracias…") == "ya pague gracias"
