"""SAT's 69-B list in its published format: Latin-1, title rows before the header, quoted fields
with commas and line breaks, padding lines; bad rows rejected with a reason, the rest kept."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from cartera.errors import BadInputError
from cartera.sources.sat_69b import HEADER, parse, write_sample

D = dt.date


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    path = write_sample(
        tmp_path / "Listado_Completo_69-B.csv",
        [
            {"rfc": "ÑAÑ140114GY4", "name": "COMERCIALIZADORA ÑANDÚ, S.A. DE C.V.", "situation": "Definitivo",
             "presumed_published": D(2024, 2, 1), "definitive_published": D(2024, 9, 3)},
            {"rfc": "XXXXXXXXXXXX", "situation": "Presunto", "presumed_published": D(2026, 4, 8),
             "name": "Información suprimida en cumplimiento de la Ley Federal de Protección de Datos Personales"},
            {"rfc": "SIM990101AB1", "name": "SERVICIOS\nSIMULADOS SA", "situation": "Sentencia Favorable",
             "presumed_published": D(2019, 1, 2), "favourable_published": D(2021, 5, 6)},
            {"rfc": "BAD-RFC", "situation": "Presunto", "presumed_published": D(2026, 4, 8)},
            {"rfc": "OTR010101AA1", "situation": "Investigado", "presumed_published": D(2026, 4, 8)},
        ],
        published=D(2026, 5, 15),
    )  # fmt: skip
    text = path.read_bytes().decode("latin-1").replace("08/04/2026", "2026/04/08x", 1)  # one unreadable date
    path.write_bytes(text.encode("latin-1"))
    return path


def test_the_sample_is_latin1_with_two_title_rows_then_the_20_column_header(sample: Path) -> None:
    data = sample.read_bytes()
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    lines = data.decode("latin-1").split("\r\n")
    assert lines[0].startswith("Información actualizada al 15 de mayo de 2026")
    assert lines[2].split(",")[:4] == ["No", "RFC", "Nombre del Contribuyente", "Situación del contribuyente"]
    assert len(HEADER) == 20


def test_rows_load_with_dates_and_the_list_publication_date_from_the_title(sample: Path) -> None:
    parsed = parse(sample.read_bytes())

    assert parsed.list_published == D(2026, 5, 15)
    by_rfc = {row["rfc"]: row for row in parsed.rows}
    assert set(by_rfc) == {"ÑAÑ140114GY4", "SIM990101AB1"}
    nandu = by_rfc["ÑAÑ140114GY4"]
    assert nandu["situation"] == "Definitivo" and nandu["taxpayer_name"] == "COMERCIALIZADORA ÑANDÚ, S.A. DE C.V."
    assert (nandu["presumed_published_sat"], nandu["definitive_published_dof"]) == (D(2024, 2, 1), D(2024, 9, 3))
    assert nandu["presumed_office_sat"].startswith("500-05-2024-")
    assert by_rfc["SIM990101AB1"]["taxpayer_name"] == "SERVICIOS\nSIMULADOS SA"  # a line break inside quotes


def test_bad_rows_are_rejected_with_their_reason_and_row_number(sample: Path) -> None:
    rejected = {(rule, record["RFC"]): row for row, rule, _, record in parse(sample.read_bytes()).rejected}

    assert set(rejected) == {("date_format", "XXXXXXXXXXXX"), ("rfc_format", "BAD-RFC"), ("situation", "OTR010101AA1")}
    assert rejected[("rfc_format", "BAD-RFC")] == 7  # the 7th CSV record: 2 title rows, the header, 3 rows before


def test_a_file_that_is_not_the_list_is_refused() -> None:
    with pytest.raises(BadInputError, match="RFC column"):
        parse("Folio;Cliente;Importe\r\n1;2;3\r\n".encode("latin-1"))
