"""Deciding a text export's encoding from evidence in its bytes, never by falling back quietly.

- UTF-8 (with or without BOM) that decodes: UTF-8.
- A UTF-16 byte-order mark: UTF-16 (Excel's "Unicode text").
- Not UTF-8 and not one valid multi-byte UTF-8 sequence anywhere: a single-byte legacy file,
  read as Windows-1252 (Latin-1 when a byte has no cp1252 meaning); the evidence (first byte that
  is not UTF-8, its offset and line) goes to the file's warnings.
- Mostly UTF-8 with some bytes that are not: read as UTF-8 with those bytes kept as lone
  surrogates (``surrogateescape``), so the rows holding them are quarantined by the reader, never
  garbled into other letters.
- A mapping's `encoding:` is used strictly; a byte that does not decode is an error naming it.
- Bytes that are a binary file (a zip, a PDF, mostly NULs) are an error.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass

from cartera.errors import BadInputError


@dataclass(frozen=True)
class Decoded:
    """The text, the encoding used, and what the bytes showed (None when plain UTF-8)."""

    text: str
    encoding: str
    evidence: str | None = None


_MAGIC = {
    b"PK\x03\x04": "a zip archive (an .xlsx workbook saved with another name?): save it as .xlsx or CSV",
    b"%PDF": "a PDF document: export the report as CSV or .xlsx",
    b"\xd0\xcf\x11\xe0": "an old Excel .xls or Word file: save it as .xlsx or CSV",
}


def decode_export(name: str, content: bytes, encoding: str | None) -> Decoded:
    """Decode `content` (see the module docstring); BadInputError naming the file, and the line and
    byte offset where one is to blame."""
    if encoding:
        try:
            codecs.lookup(encoding)
        except LookupError as exc:
            raise BadInputError(f"unknown encoding {encoding!r} in the mapping", file=name, field="encoding") from exc
        try:
            return Decoded(content.decode(encoding), encoding, f"read as {encoding} (the mapping says so)")
        except UnicodeDecodeError as exc:
            raise _undecodable(name, content, exc, f"the mapping says {encoding}") from exc
    for magic, what in _MAGIC.items():
        if content.startswith(magic):
            raise BadInputError(f"this is not a text export but {what}", file=name)
    if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return Decoded(content.decode("utf-16"), "utf-16", "read as UTF-16 (the file starts with its mark)")
        except UnicodeDecodeError as exc:
            raise _undecodable(name, content, exc, "the file starts with a UTF-16 mark") from exc
    head = content[:8192]
    if head and head.count(0) > len(head) // 20:
        raise BadInputError("this is not a text export: it holds binary data (NUL bytes)", file=name)
    try:
        return Decoded(content.decode("utf-8-sig"), "utf-8")
    except UnicodeDecodeError as exc:
        first_bad = exc
    body = content[3:] if content.startswith(codecs.BOM_UTF8) else content
    escaped = body.decode("utf-8", errors="surrogateescape")
    multibyte = sum(1 for char in escaped if ord(char) > 127 and not "\udc80" <= char <= "\udcff")
    where = _where(content, first_bad.start)
    if multibyte == 0:
        legacy = "cp1252"
        try:
            text = content.decode("cp1252")
        except UnicodeDecodeError:
            legacy, text = "latin-1", content.decode("latin-1")
        return Decoded(
            text,
            legacy,
            f"read as {'Windows-1252' if legacy == 'cp1252' else 'Latin-1'}: not UTF-8 ({where}) and no UTF-8 "
            "sequence anywhere in the file; set `encoding:` in the mapping if that is wrong",
        )
    bad_lines = [
        number
        for number, line in enumerate(escaped.split("\n"), start=1)
        if any("\udc80" <= char <= "\udcff" for char in line)
    ]
    shown = ", ".join(str(n) for n in bad_lines[:10]) + (" …" if len(bad_lines) > 10 else "")
    return Decoded(
        escaped,
        "utf-8",
        f"the file is UTF-8 ({multibyte} UTF-8 letters) but {len(bad_lines)} lines hold bytes that are not "
        f"(lines {shown}; first at {where}): their rows are quarantined, not guessed; re-save the file as UTF-8",
    )


def _undecodable(name: str, content: bytes, exc: UnicodeDecodeError, why: str) -> BadInputError:
    return BadInputError(f"cannot decode the file ({why}): {_where(content, exc.start)}", file=name, row=None)


def _where(content: bytes, offset: int) -> str:
    return f"byte 0x{content[offset]:02X} at offset {offset}, line {_line(content, offset)}"


def _line(content: bytes, offset: int) -> int:
    return content.count(b"\n", 0, offset) + 1
