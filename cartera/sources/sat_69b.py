"""SAT's list of taxpayers presumed to invoice simulated operations (art. 69-B CFF), loaded from
the published "Listado completo 69-B" CSV into ``raw.sat_69b``.

The file as SAT publishes it: Latin-1 (ISO-8859-1), comma separated, fields quoted when they hold a
comma or a line break; a few title rows before the header (``Información actualizada al 31 de
mayo de 2026 …``, ``Listado completo de contribuyentes (Artículo 69-B …)``), then 20 columns:
No, RFC, Nombre del Contribuyente, Situación del contribuyente, and for each stage (presunción,
desvirtuados, definitivos, sentencia favorable) the global notice number and date and its
publication on SAT's page and in the DOF (dd/mm/yyyy). Situations are Presunto, Desvirtuado,
Definitivo and Sentencia Favorable. Rows whose RFC SAT suppressed (``XXXXXXXXXXXX``) are kept.

The list's publication date is the title's "actualizada al" date, or the caller's. A row without
a valid RFC or a known situation, or with a date that cannot be read, goes to
``quarantine.rejected_rows`` with its reason; the rest loads. The same file loads once (its
SHA-256 is the load id). The RFCs here are SAT's public list, not customers' data.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg

from cartera.errors import BadInputError
from cartera.logs import get_logger

log = get_logger(__name__)
SOURCE = "sat_69b"
ENTITY = "sat_69b"
SITUATIONS = ("Presunto", "Desvirtuado", "Definitivo", "Sentencia Favorable")
RFC = re.compile(r"^([A-ZÑ&]{3,4}\d{6}[A-Z0-9]{3}|X{12,13})$")
_MONTHS = {m: i for i, m in enumerate(
    ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre", "noviembre",
     "diciembre"), start=1)}  # fmt: skip
_UPDATED = re.compile(r"actualizada al (\d{1,2}) de ([a-záéíóú]+) de (\d{4})", re.IGNORECASE)

# Column headers (accents and case folded) → raw.sat_69b columns, in the file's order.
_STAGES = (("presunci", "presumed"), ("desvirtu", "cleared"), ("definitiv", "definitive"), ("sentencia", "favourable"))
HEADER = (
    "No", "RFC", "Nombre del Contribuyente", "Situación del contribuyente",
    "Número y fecha de oficio global de presunción SAT", "Publicación página SAT presuntos",
    "Número y fecha de oficio global de presunción DOF", "Publicación DOF presuntos",
    "Número y fecha de oficio global de contribuyentes que desvirtuaron SAT", "Publicación página SAT desvirtuados",
    "Número y fecha de oficio global de contribuyentes que desvirtuaron DOF", "Publicación DOF desvirtuados",
    "Número y fecha de oficio global de definitivos SAT", "Publicación página SAT definitivos",
    "Número y fecha de oficio global de definitivos DOF", "Publicación DOF definitivos",
    "Número y fecha de oficio global de sentencia favorable SAT", "Publicación página SAT sentencia favorable",
    "Número y fecha de oficio global de sentencia favorable DOF", "Publicación DOF sentencia favorable",
)  # fmt: skip
COLUMNS = ("row_no", "rfc", "taxpayer_name", "situation") + tuple(
    f"{stage}_{part}_{where}" for _, stage in _STAGES for where in ("sat", "dof") for part in ("office", "published")
)


@dataclass
class Parsed:
    """Rows ready for ``raw.sat_69b`` and rejected rows (1-based CSV record number, rule, reason, record)."""

    list_published: dt.date | None
    rows: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[tuple[int, str, str, dict[str, str]]] = field(default_factory=list)


def _fold(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)).strip().lower()


def _date(text: str) -> dt.date | None:
    text = text.strip()
    if not text:
        return None
    for fmt in ("%d/%m/%Y", "%d/%m/%y", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(text)


def _published(line: str) -> dt.date | None:
    match = _UPDATED.search(line)
    if not match or _fold(match.group(2)) not in _MONTHS:
        return None
    return dt.date(int(match.group(3)), _MONTHS[_fold(match.group(2))], int(match.group(1)))


def parse(data: bytes, *, list_published: dt.date | None = None) -> Parsed:
    """Read a 69-B file's bytes (Latin-1; UTF-8 with or without BOM is accepted too)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    records = list(csv.reader(io.StringIO(text, newline="")))
    header_at = next((i for i, r in enumerate(records) if len(r) > 3 and _fold(r[1]) == "rfc"), None)
    if header_at is None:
        raise BadInputError("no header row with an RFC column: is this SAT's Listado completo 69-B CSV?")
    published = list_published
    for title in records[:header_at]:
        published = published or _published(" ".join(title))
    header = [_fold(h) for h in records[header_at]]
    if len(header) < len(HEADER) or [h.rstrip(".") for h in header[:4]] != [_fold(h) for h in HEADER[:4]]:
        raise BadInputError(
            f"unexpected 69-B header: expected {len(HEADER)} columns starting No, RFC, Nombre, Situación"
        )
    parsed = Parsed(published)
    for offset, record in enumerate(records[header_at + 1 :], start=header_at + 2):
        if not any(cell.strip() for cell in record):
            continue  # padding lines (",,,,")
        values = {name: (record[i].strip() if i < len(record) else "") for i, name in enumerate(COLUMNS)}
        raw = dict(zip(HEADER, (record + [""] * len(HEADER))[: len(HEADER)], strict=True))
        rfc = values["rfc"].upper().replace(" ", "").replace("-", "")
        if not RFC.match(rfc):
            parsed.rejected.append((offset, "rfc_format", "the RFC is not 12 or 13 characters of an RFC", raw))
            continue
        situation = next((s for s in SITUATIONS if _fold(s) == _fold(values["situation"])), None)
        if situation is None:
            parsed.rejected.append((offset, "situation", f"situation is not one of {', '.join(SITUATIONS)}", raw))
            continue
        row: dict[str, Any] = {**values, "rfc": rfc, "situation": situation}
        try:
            row["row_no"] = int(values["row_no"]) if values["row_no"].isdigit() else None
            for column in COLUMNS:
                if column.endswith(("_published_sat", "_published_dof")):
                    row[column] = _date(values[column])
        except ValueError:
            parsed.rejected.append((offset, "date_format", "a publication date is not dd/mm/yyyy", raw))
            continue
        parsed.rows.append(row)
    return parsed


def load(conn: psycopg.Connection, path: Path, *, list_published: dt.date | None = None) -> dict[str, Any]:
    """Load a 69-B file into ``raw.sat_69b`` (rejected rows to quarantine). Idempotent per file
    content. Raises BadInputError when the file is not the list or has no publication date."""
    data = path.read_bytes()
    load_id = f"{SOURCE}:{hashlib.sha256(data).hexdigest()[:20]}"
    if conn.execute("select 1 from raw.sat_69b where load_id = %s limit 1", (load_id,)).fetchone():
        return {"load_id": load_id, "already_loaded": True, "rows": 0, "rejected": 0}
    parsed = parse(data, list_published=list_published)
    if parsed.list_published is None:
        raise BadInputError("no publication date: the title has no 'actualizada al …' date; pass list_published")
    columns = ", ".join(COLUMNS)
    with conn.cursor() as cur:
        with cur.copy(f"copy raw.sat_69b (load_id, source, list_published, {columns}) from stdin") as copy:
            for row in parsed.rows:
                copy.write_row((load_id, SOURCE, parsed.list_published, *(row[c] for c in COLUMNS)))
        for row_number, rule, reason, record in parsed.rejected:
            cur.execute(
                "insert into quarantine.rejected_rows (load_id, source, entity, row_number, record_key, rule, reason,"
                " record, field, file_name) values (%s, %s, %s, %s, %s, %s, %s, %s::jsonb, %s, %s)"
                " on conflict do nothing",
                (load_id, SOURCE, ENTITY, row_number, str(record.get("No", "")), rule, reason, json.dumps(record),
                 rule.split("_")[0], path.name),
            )  # fmt: skip
    log.info("69-B list %s: %d rows, %d rejected", parsed.list_published, len(parsed.rows), len(parsed.rejected))
    return {"load_id": load_id, "already_loaded": False, "rows": len(parsed.rows), "rejected": len(parsed.rejected),
            "list_published": parsed.list_published.isoformat()}  # fmt: skip


def write_sample(path: Path, rows: list[dict[str, Any]], *, published: dt.date) -> Path:
    """A file in SAT's format (Latin-1, two title rows, the 20-column header) with ``rows`` (keys:
    rfc, name, situation, presumed_published, definitive_published, cleared_published,
    favourable_published): for tests and the evaluation book."""
    months = list(_MONTHS)
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([f"Información actualizada al {published.day} de {months[published.month - 1]} de "
                     f"{published.year}; los listados se actualizan periódicamente"] + [""] * 19)  # fmt: skip
    writer.writerow(
        ["Listado completo de contribuyentes (Artículo 69-B del Código Fiscal de la Federación)"] + [""] * 19
    )
    writer.writerow(HEADER)

    def stage(day: dt.date | None) -> list[str]:
        if day is None:
            return ["", "", "", ""]
        notice = f"500-05-{day.year}-{day.toordinal() % 90000:05d} de fecha {day.day} de {months[day.month - 1]} de {day.year}"
        return [notice, day.strftime("%d/%m/%Y"), notice, day.strftime("%d/%m/%Y")]

    for n, row in enumerate(rows, start=1):
        writer.writerow(
            [str(n), row["rfc"], row.get("name", f"CONTRIBUYENTE {n} SA DE CV"), row["situation"],
             *stage(row.get("presumed_published")), *stage(row.get("cleared_published")),
             *stage(row.get("definitive_published")), *stage(row.get("favourable_published"))]
        )  # fmt: skip
    writer.writerow([""] * 20)
    path.write_bytes(out.getvalue().encode("latin-1"))
    return path
