"""How many SMS segments a text costs, as carriers (and Twilio's bill) count them.

A text that fits the GSM-7 alphabet (3GPP TS 23.038) travels in 7-bit septets: 160 in one
message, 153 per segment once it is split (the other 7 carry the concatenation header). The
extension table's characters (``^ { } \\ [ ~ ] | €`` and form feed) take an escape septet
first, so they cost two, and a pair is never split across segments. Any other character sends
the whole text as UCS-2: 70 UTF-16 code units in one message, 67 per segment, and an emoji's
surrogate pair is never split either. Spanish ``ñ é ¿ ¡`` are in GSM-7 but ``á í ó ú`` are
**not**: "Su pago vencerá" costs UCS-2.

Twilio's "smart encoding" (which would swap ``ó`` for ``o``) is not used: the debtor reads
what we wrote, and the campaign renderer shortens a text that costs too many segments.
"""

from __future__ import annotations

from typing import Literal

Encoding = Literal["GSM-7", "UCS-2"]

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")

_SINGLE = {"GSM-7": 160, "UCS-2": 70}
_PER_SEGMENT = {"GSM-7": 153, "UCS-2": 67}


def encoding_of(text: str) -> Encoding:
    """GSM-7 when every character is in the basic or extension table, otherwise UCS-2."""
    return "GSM-7" if all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text) else "UCS-2"


def _units(text: str, encoding: Encoding) -> list[int]:
    """The cost of each character: septets for GSM-7, UTF-16 code units for UCS-2."""
    if encoding == "GSM-7":
        return [2 if ch in GSM7_EXTENSION else 1 for ch in text]
    return [2 if ord(ch) > 0xFFFF else 1 for ch in text]


def sms_segments(text: str) -> tuple[Encoding, int]:
    """(encoding, number of segments) of `text` sent as one SMS. An empty text is one segment."""
    encoding = encoding_of(text)
    units = _units(text, encoding)
    if sum(units) <= _SINGLE[encoding]:
        return encoding, 1
    capacity = _PER_SEGMENT[encoding]
    segments, used = 1, 0
    for cost in units:  # characters are never split, so a segment may end one unit short
        if used + cost > capacity:
            segments, used = segments + 1, 0
        used += cost
    return encoding, segments
