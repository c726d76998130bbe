"""Reading a debtor's reply: pure functions, no database, no clock.

A reply is read in this order, the first match wins (the safest reading first):

1. **opt_out** — the whole message, or its first word, is a stop word (STOP, BAJA, ALTO,
   CANCELAR, UNSUBSCRIBE, "no más", and Twilio's standard English keywords).
2. **dispute** — "no reconozco", "factura incorrecta", "no es nuestra", "wrong invoice",
   "dispute", …
3. **payment_reported** — "ya pagué", "ya se pagó", "already paid", "pagamos ayer", …
4. **promise_to_pay** — a date ("pago el viernes", "el 15 de diciembre", "next Monday",
   "mañana") parsed with ``dateparser`` from the reply's local time, preferring the future. A
   date before the reply's day or more than :data:`MAX_PROMISE_DAYS` ahead goes to the
   collector's inbox instead.
5. **unknown** — anything else (emoji, other languages, questions): the collector's inbox.

Matching ignores case, accents and punctuation, and reads only what the debtor wrote: the
quoted reminder under an e-mail reply ("> …", "El … escribió:") is cut first, so our own words
never classify a reply.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

Classification = Literal["opt_out", "payment_reported", "promise_to_pay", "dispute", "unknown"]
Route = Literal["opt_out", "hold", "inbox"]

MAX_PROMISE_DAYS = 90

# A stop word as the first word is enough ("Baja por favor", "STOP!").
FIRST_WORD_STOPS = frozenset({"stop", "baja", "alto", "cancelar", "unsubscribe"})
# These only as the whole message: Twilio's other standard keywords (it answers them itself when
# Advanced Opt-Out is on) are ordinary words at the start of a sentence ("End of month…").
WHOLE_MESSAGE_STOPS = FIRST_WORD_STOPS | {"nomas", "stopall", "cancel", "end", "quit", "revoke", "optout"}
_STOP_PHRASES = ("no mas", "no me escriban", "dejen de escribir", "darme de baja", "dar de baja", "de baja")

_DISPUTE = (
    ("dispute.no_reconozco", r"\bno (la |lo |las |los )?recono[cz]\w*"),
    ("dispute.incorrecta", r"\bfactura(s)? (es |esta |son |estan )?(incorrect|equivocad|erron)\w*"),
    ("dispute.no_es_nuestra", r"\bno (es|son) (nuestr|mi|mia|mio|de nosotros)\w*"),
    ("dispute.no_corresponde", r"\bno (nos|me) corresponde"),
    ("dispute.monto", r"\b(monto|importe|cobro) (incorrect|equivocad|indebid|erron)\w*"),
    ("dispute.disputa", r"\b(disputa|aclaracion|reclamacion|inconformidad)\b"),
    ("dispute.wrong_invoice", r"\b(wrong|incorrect|invalid) (invoice|amount|bill|charge)"),
    ("dispute.dispute", r"\bdisput\w*"),
    ("dispute.not_ours", r"\bnot (ours|our invoice|mine)\b"),
    ("dispute.dont_recognize", r"\b(don ?t|do not|cannot|can ?t) recogni[sz]e"),
)
_PAID = (
    (
        "paid.ya_pague",
        r"\bya (lo |la |los |las |le |les )?(pague|pagamos|pagaron|pago|pagado|deposite|depositamos|transferi|transferimos|liquide|liquidamos|cubrimos|abonamos)\b",
    ),
    ("paid.ya_se_pago", r"\bya (se )?(pago|pagaron|liquido|liquidaron|cubrio|cubrieron|deposito)\b"),
    ("paid.ya_esta_pagada", r"\bya (esta|estan|quedo|quedaron|fue|fueron) (pagad|liquidad|cubiert|saldad)\w*"),
    (
        "paid.pagamos_ayer",
        r"\b(pague|pagamos|pagaron|deposite|depositamos|transferimos) (ayer|antier|anteayer|la semana pasada|el mes pasado)\b",
    ),
    ("paid.already_paid", r"\b(already|have|has|had|we ?ve|i ?ve) (been )?(paid|settled|sent (the |your )?payment)\b"),
    (
        "paid.paid_when",
        r"\b(we|i) (paid|settled|wired|transferred) (it |this |the invoice )?(yesterday|last|on|already|today)\b",
    ),
    ("paid.payment_made", r"\bpayment (was|has been) (made|sent|done|wired)\b"),
)
_PROMISE_VERB = re.compile(
    r"\b(pag\w*|deposit\w*|transfer\w*|liquid\w*|cubr\w*|abon\w*|pay\w*|wire|send|sending|settle\w*)\b"
)

_MONTHS_ES = "enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|setiembre|octubre|noviembre|diciembre"
_MONTHS_EN = (
    "january|february|march|april|may|june|july|august|september|october|november|december"
    "|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec"
)
_WEEKDAYS = (
    "lunes|martes|miercoles|jueves|viernes|sabado|domingo|monday|tuesday|wednesday|thursday|friday|saturday|sunday"
)
# Date phrases dateparser reads reliably once fillers ("el", "próximo", "next", "on") are cut.
_DATE_PHRASES = (
    ("date.pasado_manana", re.compile(r"\bpasado manana\b")),
    ("date.day_month_es", re.compile(rf"\b\d{{1,2}} (de )?({_MONTHS_ES})( (de |del )?\d{{4}})?\b")),
    ("date.month_day_en", re.compile(rf"\b({_MONTHS_EN}) \d{{1,2}}(st|nd|rd|th)?( \d{{4}})?\b")),
    ("date.day_month_en", re.compile(rf"\b\d{{1,2}}(st|nd|rd|th)? (of )?({_MONTHS_EN})( \d{{4}})?\b")),
    ("date.numeric", re.compile(r"\b\d{1,2}/\d{1,2}(/\d{2,4})?\b")),
    ("date.end_of_month", re.compile(r"\b(fin de mes|finales de mes|end of (the )?month)\b")),
    ("date.weekday", re.compile(rf"\b({_WEEKDAYS})( \d{{1,2}})?\b")),
    ("date.tomorrow", re.compile(r"\b(manana|tomorrow)\b")),
    ("date.today", re.compile(r"\b(hoy|today)\b")),
    ("date.next_week", re.compile(r"\b((la )?(proxima|siguiente) semana|next week)\b")),
    ("date.in_days", re.compile(r"\b(en \d{1,2} dias|in \d{1,2} days)\b")),
    ("date.day_of_month", re.compile(r"\b(dia|the) \d{1,2}(st|nd|rd|th)?\b")),
)
_FILLERS = frozenset(
    "el la los este esta proximo proxima siguiente next this on the a mas tardar para por favor sin falta de "
    "dia i we will ll".split()
)
_QUOTE_START = re.compile(
    r"^\s*(>|-{2,}\s*(original message|mensaje original)|(on|el) .{0,200}(wrote|escribio)\s*:|(from|de|enviado|sent)\s*:)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Reading:
    """What a reply says. `rule` names the pattern that decided (stored for audit)."""

    classification: Classification
    route: Route
    rule: str
    promise_date: dt.date | None = None


def normalize(text: str) -> str:
    """Lower case, no accents, punctuation and emoji as spaces, one space between words."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()
    plain = plain.replace("'", "").replace("\u2019", "")
    return " ".join(re.sub(r"[^\w/]+", " ", plain).replace("_", " ").split())


def strip_quoted(text: str) -> str:
    """What the debtor wrote: the lines before the quoted original (e-mail clients put our
    reminder under "> …" or after "El … escribió:") and before a "-- " signature."""
    kept: list[str] = []
    for line in text.splitlines():
        if _QUOTE_START.match(line) or line.rstrip() == "--":
            break
        kept.append(line)
    return "\n".join(kept)


def _is_opt_out(words: list[str], normalized: str) -> str | None:
    if not words:
        return None
    if normalized in WHOLE_MESSAGE_STOPS or normalized.replace(" ", "") in WHOLE_MESSAGE_STOPS:
        return "opt_out.whole_message"
    if words[0] in FIRST_WORD_STOPS:
        return f"opt_out.first_word.{words[0]}"
    if any(normalized == p or normalized.startswith(p + " ") for p in _STOP_PHRASES):
        return "opt_out.phrase"
    return None


def _end_of_month(day: dt.date) -> dt.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def parse_promise_date(normalized: str, local_time: dt.datetime) -> tuple[str, dt.date, str] | None:
    """(rule, date, the text left around the date) for the first date phrase in a normalized
    reply, read from `local_time` (the reply's instant in the debtor's zone) preferring the
    future. None when no phrase is found or dateparser cannot read it."""
    import dateparser  # imported on use: it loads its language data (~0.2 s) on first import

    base = local_time.replace(tzinfo=None)
    for rule, pattern in _DATE_PHRASES:
        match = pattern.search(normalized)
        if match is None:
            continue
        phrase = match.group(0)
        rest = (normalized[: match.start()] + " " + normalized[match.end() :]).strip()
        if rule == "date.end_of_month":
            return rule, _end_of_month(base.date()), rest
        if rule == "date.pasado_manana":
            phrase = "en 2 dias"
        elif rule == "date.next_week":
            phrase = "next week"
        elif rule == "date.day_of_month":
            phrase = re.sub(r"^(dia|the) ", "", phrase)
        parsed = dateparser.parse(
            phrase,
            languages=["es", "en"],
            settings={
                "PREFER_DATES_FROM": "future",
                "RELATIVE_BASE": base,
                "RETURN_AS_TIMEZONE_AWARE": False,
                "DATE_ORDER": "DMY",
            },
        )
        if parsed is not None:
            return rule, parsed.date(), rest
    return None


def classify(text: str | None, local_time: dt.datetime) -> Reading:
    """Read one reply. `local_time` is when it arrived, in the debtor's zone (aware or naive
    local wall time): "mañana" and "el viernes" count from it."""
    body = normalize(strip_quoted(text or ""))
    words = body.split()
    rule = _is_opt_out(words, body)
    if rule:
        return Reading("opt_out", "opt_out", rule)
    for rule, pattern in _DISPUTE:
        if re.search(pattern, body):
            return Reading("dispute", "hold", rule)
    for rule, pattern in _PAID:
        if re.search(pattern, body):
            return Reading("payment_reported", "hold", rule)
    found = parse_promise_date(body, local_time)
    if found is not None:
        date_rule, promised, rest = found
        leftover = [w for w in rest.split() if w not in _FILLERS]
        if _PROMISE_VERB.search(body) or len(leftover) <= 2:
            today = local_time.date()
            if promised < today or promised > today + dt.timedelta(days=MAX_PROMISE_DAYS):
                return Reading("promise_to_pay", "inbox", f"{date_rule}.out_of_range", promised)
            return Reading("promise_to_pay", "hold", date_rule, promised)
    return Reading("unknown", "inbox", "no_match")
