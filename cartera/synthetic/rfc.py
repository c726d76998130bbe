"""RFCs of legal entities (personas morales), built the way SAT builds them.

A persona moral's RFC has 12 characters: three letters taken from the company's name, its
incorporation date as YYMMDD, and a three-character *homoclave* whose last character is a check
digit (mod 11) over the first eleven. We compute that check digit so the RFCs are not only the
right shape but would pass the checksum validators real ERPs and PACs run.
"""

from __future__ import annotations

import datetime as dt
import random
import re
import unicodedata

# 3 letters (Ñ and & are allowed by SAT), YYMMDD, 2 alphanumerics + check digit (0-9 or A).
RFC_MORAL_PATTERN = re.compile(r"^[A-ZÑ&]{3}[0-9]{2}(0[1-9]|1[0-2])(0[1-9]|[12][0-9]|3[01])[A-Z0-9]{2}[0-9A]$")

# Words SAT skips when taking initials from a company's name (articles, conjunctions, legal forms).
_SKIPPED_WORDS = frozenset(
    {
        "DE",
        "DEL",
        "LA",
        "LAS",
        "LOS",
        "EL",
        "Y",
        "E",
        "EN",
        "CON",
        "POR",
        "PARA",
        "S",
        "A",
        "C",
        "V",
        "R",
        "L",
        "P",
        "I",
        "SA",
        "CV",
        "SAPI",
        "SC",
    }
)
_HOMOCLAVE_ALPHABET = "123456789ABCDEFGHIJKLMNPQRSTUVWXYZ"  # SAT avoids 0 and O in the first two
_CHECK_VALUES = {
    **{str(d): d for d in range(10)},
    **{c: 10 + i for i, c in enumerate("ABCDEFGHIJKLMN")},
    "&": 24,
    **{c: 25 + i for i, c in enumerate("OPQRSTUVWXYZ")},
    " ": 37,
    "Ñ": 38,
}


def _ascii_upper(word: str) -> str:
    # Keep Ñ (valid in RFCs) but strip the other accents.
    kept = []
    for char in word.upper():
        if char == "Ñ":
            kept.append(char)
            continue
        base = unicodedata.normalize("NFKD", char)[0]
        if base.isalpha() or base == "&":
            kept.append(base)
    return "".join(kept)


def name_initials(company_name: str) -> str:
    """The three letters SAT takes from a company name: the initials of its first three significant
    words, or, for shorter names, more letters of the first word (simplified SAT rule)."""
    cleaned = company_name.replace(",", " ").replace(".", " ").replace("-", " ")
    words = [w for w in (_ascii_upper(raw) for raw in cleaned.split()) if w and w not in _SKIPPED_WORDS]
    if not words:
        return "XXX"
    if len(words) >= 3:
        return words[0][0] + words[1][0] + words[2][0]
    if len(words) == 2:
        return (words[0][:2] + words[1][0]).ljust(3, "X")
    return words[0][:3].ljust(3, "X")


def check_digit(first_eleven: str) -> str:
    """SAT's mod-11 check digit over the first 11 characters of a persona-moral RFC (padded with a
    leading space to the 12 characters of a persona física's)."""
    padded = " " + first_eleven
    total = sum(_CHECK_VALUES[char] * (13 - position) for position, char in enumerate(padded))
    digit = 11 - total % 11
    return "0" if digit == 11 else "A" if digit == 10 else str(digit)


def rfc_moral(company_name: str, incorporated: dt.date, rng: random.Random) -> str:
    """A valid-format RFC for a company incorporated on ``incorporated``; deterministic for a seeded rng."""
    stem = name_initials(company_name) + incorporated.strftime("%y%m%d")
    stem += rng.choice(_HOMOCLAVE_ALPHABET) + rng.choice(_HOMOCLAVE_ALPHABET)
    return stem + check_digit(stem)


def is_valid_rfc_moral(rfc: str) -> bool:
    """True when ``rfc`` has the persona-moral shape and its check digit is right."""
    return bool(RFC_MORAL_PATTERN.match(rfc)) and check_digit(rfc[:11]) == rfc[11]
