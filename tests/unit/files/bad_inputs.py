"""A corpus of bad invoice exports, written at test time: bad quoting, encodings, absurd amounts and
dates, NUL and control characters, malicious workbooks, empty and header-only files, duplicated
headers, binary junk and weird file names. Each case says how many data rows it holds and whether
the file as a whole must be refused; every customer name holds SURNAME, which no error may show."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

SURNAME = "Quintanilla"
HEADER = ["Factura", "Cliente", "Nombre", "Fecha", "Vencimiento", "Importe", "Moneda"]


@dataclass(frozen=True)
class Case:
    name: str  # the file name (may be weird)
    content: bytes
    rows_in: int  # data rows after the header (0 for a refused file)
    refused: bool = False  # the whole file must be refused with a BadInputError
    mentions: tuple[str, ...] = ()  # what the refusal must say (row, column, limit…)
    rejected: int | None = None  # how many rows must be quarantined, when known
    rejected_fields: frozenset[str] = field(default_factory=frozenset)


def row(i: int, **over: str) -> list[str]:
    values = {
        "Factura": f"F-{i}",
        "Cliente": f"C{i % 7}",
        "Nombre": f"Núñez {SURNAME} {i}",
        "Fecha": "2025-03-01",
        "Vencimiento": "2025-04-01",
        "Importe": f"{100 + i}.50",
        "Moneda": "MXN",
    }
    values.update(over)
    return [values[h] for h in HEADER]


def csv_text(rows: list[list[str]], sep: str = ",", header: list[str] | None = None) -> str:
    lines = [sep.join(header or HEADER)] + [sep.join(r) for r in rows]
    return "\r\n".join(lines) + "\r\n"


def good(n: int, **over_by_row: dict[str, str]) -> list[list[str]]:
    return [row(i, **over_by_row.get(str(i), {})) for i in range(1, n + 1)]


def with_cell(n: int, at: int, column: str, value: str) -> list[list[str]]:
    rows = good(n)
    rows[at - 1][HEADER.index(column)] = value
    return rows


def _xlsx(sheet_xml: bytes, shared: bytes | None = None, extra: dict[str, bytes] | None = None) -> bytes:
    parts = {
        "[Content_Types].xml": b'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
        b'package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        b'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/'
        b'workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        b'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.'
        b'spreadsheetml.worksheet+xml"/></Types>',
        "_rels/.rels": b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
        b'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
        b'2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": b'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/'
        b'spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        b'<sheets><sheet name="Hoja1" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
        b'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.'
        b'org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
        "xl/worksheets/sheet1.xml": sheet_xml,
    }
    if shared is not None:
        parts["xl/sharedStrings.xml"] = shared
    parts.update(extra or {})
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _sheet(body: str, dimension: str | None = "A1:G2") -> bytes:
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    return (
        '<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
        f'2006/main">{dim}<sheetData>{body}</sheetData></worksheet>'
    ).encode()


def _inline_row(number: int, values: list[str]) -> str:
    cells = "".join(f'<c r="{chr(65 + i)}{number}" t="inlineStr"><is><t>{v}</t></is></c>' for i, v in enumerate(values))
    return f'<row r="{number}">{cells}</row>'


def _workbook(rows: list[list[str]], numbers: dict[tuple[int, int], float] | None = None) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADER)
    for r, values in enumerate(rows):
        sheet.append([(numbers or {}).get((r, c), v) for c, v in enumerate(values)])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _bomb_part() -> bytes:
    return _xlsx(_sheet(_inline_row(1, HEADER)), extra={"xl/styles.xml": b" " * (65 * 1024 * 1024)})


def cases() -> list[Case]:
    """The corpus (about 90 files)."""
    out: list[Case] = []

    def add(name: str, content: bytes | str, rows_in: int, **kw: object) -> None:
        data = content.encode("utf-8") if isinstance(content, str) else content
        out.append(Case(name, data, rows_in, **kw))  # type: ignore[arg-type]

    # --- quoting -------------------------------------------------------------------------
    lines = csv_text(good(100)).split("\r\n")
    lines[96] = lines[96].replace(f"Núñez {SURNAME} 96", f'"Núñez {SURNAME} 96')
    add("quote_open_row96.csv", "\r\n".join(lines), 0, refused=True, mentions=("row 97", "'Nombre'", "never closed"))
    add("quote_open_row2.csv", csv_text(with_cell(10, 1, "Factura", '"F-1')), 0, refused=True, mentions=("row 2",))
    add("quote_open_last.csv", csv_text(good(5)) + '"F-9,C1,x', 0, refused=True, mentions=("row 7",))
    add(
        "quote_text_after.csv",
        csv_text(with_cell(10, 4, "Nombre", f'"Núñez" {SURNAME}')),
        0,
        refused=True,
        mentions=("row 5", "'Nombre'"),
    )
    swallowed = csv_text(good(60)).split("\r\n")
    swallowed[40] = swallowed[40].replace(f"Núñez {SURNAME} 40", f'"Núñez {SURNAME} 40')
    swallowed[50] = swallowed[50].replace(f"Núñez {SURNAME} 50", f'Núñez {SURNAME} 50"')
    add("quote_swallows_rows.csv", "\r\n".join(swallowed), 0, refused=True, mentions=("row 41", "line 51"))
    add("quote_doubled_ok.csv", csv_text(with_cell(10, 3, "Nombre", f'"Núñez ""El Güero"" {SURNAME}"')), 10)
    add("quote_inside_unquoted_ok.csv", csv_text(with_cell(10, 3, "Nombre", f'Núñez Taller "Rayo" {SURNAME}')), 10)
    notes = [[*r, '"Calle 5\nCol. Centro"'] for r in good(8)]
    add("quote_multiline_note_ok.csv", csv_text(notes, header=[*HEADER, "Notas"]), 8)
    add(
        "quote_multiline_invoice.csv",
        csv_text(with_cell(8, 2, "Factura", '"F-\n2"')),
        8,
        rejected=1,
        rejected_fields=frozenset({"invoice_number"}),
    )

    # --- encodings -----------------------------------------------------------------------
    text = csv_text(good(40))
    add("enc_utf8.csv", text, 40)
    add("enc_utf8_bom.csv", b"\xef\xbb\xbf" + text.encode(), 40)
    add("enc_cp1252.csv", text.replace("Núñez", "Núñez – Cía").encode("cp1252"), 40)
    add("enc_latin1.csv", text.encode("latin-1"), 40)
    mixed = text.encode("utf-8").split(b"\r\n")
    mixed[7] = mixed[7].decode("utf-8").encode("latin-1")
    add("enc_one_latin1_row.csv", b"\r\n".join(mixed), 40, rejected=1, rejected_fields=frozenset({"customer_name"}))
    for k in (3, 9, 15):
        mixed[k] = mixed[k].decode("utf-8").encode("latin-1")
    add("enc_some_latin1_rows.csv", b"\r\n".join(mixed), 40, rejected=4)
    add("enc_utf16le_tabs.txt", b"\xff\xfe" + csv_text(good(12), sep="\t").encode("utf-16-le"), 12)
    add("enc_utf16be.csv", b"\xfe\xff" + csv_text(good(12)).encode("utf-16-be"), 12)
    add("enc_utf16_broken.csv", b"\xff\xfe" + csv_text(good(3)).encode("utf-16-le") + b"\x00", 0, refused=True)
    add("enc_only_bom.csv", b"\xef\xbb\xbf", 0, refused=True)

    # --- amounts -------------------------------------------------------------------------
    for label, value in {
        "1e16": "10000000000000000",
        "neg_1e16": "-10000000000000000.00",
        "rounds_to_1e16": "9999999999999999.999",
        "digits_40": "9" * 40,
        "digits_5000": "9" * 5000,
        "nan": "NaN",
        "inf": "inf",
        "exp": "1e20",
        "negative": "-5.00",
        "letters": "doce",
        "empty": "",
        "parens_huge": "(99999999999999999.00)",
    }.items():
        add(f"amount_{label}.csv", csv_text(with_cell(30, 12, "Importe", value)), 30, rejected=1)
    add("amount_max_ok.csv", csv_text(with_cell(30, 12, "Importe", "9999999999999999.99")), 30, rejected=0)

    # --- dates ---------------------------------------------------------------------------
    for label, column, value in (
        ("due_9999", "Vencimiento", "9999-12-31"),
        ("issue_0001", "Fecha", "0001-01-01"),
        ("issue_1900", "Fecha", "1900-01-01"),
        ("issue_2999", "Fecha", "2999-01-01"),
        ("issue_9999", "Fecha", "9999-12-25"),
        ("due_11_years", "Vencimiento", "2036-05-01"),
        ("feb_30", "Fecha", "2025-02-30"),
        ("year_99999", "Fecha", "99999-01-01"),
        ("dmy_9999", "Vencimiento", "31/12/9999"),
    ):
        add(f"date_{label}.csv", csv_text(with_cell(30, 7, column, value)), 30, rejected=1)
    terms_header = [h if h != "Vencimiento" else "Plazo" for h in HEADER]
    terms = with_cell(20, 5, "Vencimiento", "99999999999")
    for r in terms:
        if r[4] != "99999999999":
            r[4] = "30"
    add("date_terms_huge.csv", csv_text(terms, header=terms_header), 20, rejected=1)
    paid = [[*r, "2025-04-10"] for r in good(20)]
    paid[3][-1] = "9999-01-01"
    add("date_paid_9999.csv", csv_text(paid, header=[*HEADER, "Fecha de pago"]), 20, rejected=1)

    # --- NUL and control characters --------------------------------------------------------
    for label, column, value in (
        ("nul_name", "Nombre", f"Núñez\x00{SURNAME}"),
        ("nul_invoice", "Factura", "F-\x0012"),
        ("escape_name", "Nombre", f"\x1b[31mNúñez {SURNAME}"),
        ("bell_amount", "Importe", "10\x07.00"),
        ("c1_name", "Nombre", f"Núñez\x85{SURNAME}"),
        ("line_separator_name", "Nombre", f"Núñez\u2028{SURNAME}"),
        ("del_customer", "Cliente", "C\x7f1"),
    ):
        add(f"ctrl_{label}.csv", csv_text(with_cell(30, 9, column, value)), 30, rejected=1)
    unmapped = [[*r, "nota"] for r in good(30)]
    unmapped[4][-1] = "nota\x00rota"
    add("ctrl_nul_unmapped.csv", csv_text(unmapped, header=[*HEADER, "Notas"]), 30, rejected=1)
    add("ctrl_nul_everywhere.csv", "\x00".join(csv_text(good(10))), 0, refused=True, mentions=("binary",))

    # --- workbooks -----------------------------------------------------------------------
    add("xlsx_good.xlsx", _workbook(good(15)), 15)
    add("xlsx_huge_amount.xlsx", _workbook(good(15), {(2, 5): 1e300}), 15, rejected=1)
    laughs = (
        b'<?xml version="1.0" encoding="UTF-8"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>'
        b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1">'
        b"<si><t>&lol2;</t></si></sst>"
    )
    add(
        "xlsx_dtd_shared_strings.xlsx",
        _xlsx(_sheet(_inline_row(1, HEADER)), laughs),
        0,
        refused=True,
        mentions=("DTD",),
    )
    dtd_sheet = _sheet(_inline_row(1, HEADER)).replace(
        b"?>", b'?><!DOCTYPE w [<!ENTITY x SYSTEM "file:///etc/passwd">]>', 1
    )
    add("xlsx_dtd_sheet.xlsx", _xlsx(dtd_sheet), 0, refused=True, mentions=("DTD",))
    add(
        "xlsx_declared_huge.xlsx",
        _xlsx(_sheet(_inline_row(1, HEADER), "A1:XFD1048576")),
        0,
        refused=True,
        mentions=("1,048,576 rows", "16,384 columns"),
    )
    far = _inline_row(1, HEADER) + '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'
    add("xlsx_far_cell.xlsx", _xlsx(_sheet(far, None)), 0, refused=True, mentions=("beyond row",))
    add("xlsx_part_bomb.xlsx", _bomb_part(), 0, refused=True, mentions=("unpacks to",))
    sst = b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="99999999" uniqueCount="99999999"></sst>'
    add("xlsx_shared_strings_count.xlsx", _xlsx(_sheet(_inline_row(1, HEADER)), sst), 0, refused=True)
    utf16 = '<?xml version="1.0" encoding="UTF-16"?><worksheet/>'.encode("utf-16")
    add("xlsx_utf16_part.xlsx", _xlsx(utf16), 0, refused=True, mentions=("UTF-8",))
    add("xlsx_not_zip.xlsx", b"Factura,Cliente\nF-1,C1\n", 0, refused=True, mentions=("not a zip",))
    add("xlsx_empty_zip.xlsx", _empty_zip(), 0, refused=True)
    add("xlsx_truncated.xlsx", _workbook(good(5))[:700], 0, refused=True)
    nan_cell = (
        _inline_row(1, HEADER)
        + '<row r="2"><c r="A2" t="inlineStr"><is><t>F-1</t></is></c><c r="F2"><v>NaN</v></c></row>'
    )
    add("xlsx_nan_number.xlsx", _xlsx(_sheet(nan_cell, "A1:G2")), 0, refused=True, mentions=("after row 1",))

    # --- empty, header-only, duplicated headers ----------------------------------------------
    add("empty.csv", b"", 0, refused=True)
    add("blank_lines.csv", "\r\n\r\n  \r\n", 0, refused=True)
    add("header_only.csv", csv_text([]), 0)
    add("header_and_blanks.csv", csv_text([]) + "\r\n\r\n", 2)
    add("title_only.csv", "Reporte de cartera\r\n", 0, refused=True)
    add("header_only.xlsx", _workbook([]), 0)
    dup = [[*r, "1.00"] for r in good(10)]
    add(
        "dup_amount_header.csv",
        csv_text(dup, header=[*HEADER, "Importe"]),
        0,
        refused=True,
        mentions=("appears 2 times",),
    )
    dup_notes = [[*r, "a", "b"] for r in good(10)]
    add("dup_unmapped_header.csv", csv_text(dup_notes, header=[*HEADER, "Notas", "Notas"]), 10)
    add("dup_header_rows.csv", csv_text([*good(5), HEADER, *good(5)]), 11)
    add("exact_repeats.csv", csv_text([*good(5), *good(5)]), 10, rejected=0)
    add("total_row.csv", csv_text([*good(5), ["TOTAL", "", "", "", "", "540.00", ""]]), 6, rejected=0)

    # --- binary junk ---------------------------------------------------------------------
    junk = bytes((i * 7919 + 13) % 256 for i in range(4096))
    add("junk.csv", junk, 0, refused=True)
    add("junk.xlsx", junk, 0, refused=True)
    add("junk_pdf.csv", b"%PDF-1.4\n" + junk, 0, refused=True, mentions=("PDF",))
    add("junk_zip.csv", _workbook(good(3)), 0, refused=True, mentions=("zip",))
    add("junk_ole.csv", b"\xd0\xcf\x11\xe0" + junk, 0, refused=True, mentions=(".xls",))

    # --- weird names (content good, or bad to see the name in an error) -------------------------
    for name, content, refused in (
        ("line\nbreak.csv", csv_text(good(5)), False),
        ("forged\nERROR cartera: all good.csv", '"F-1,C1\r\n', True),
        ("tab\tname.csv", csv_text(good(5)), False),
        ("-leading-dash.csv", csv_text(good(5)), False),
        ("año fiscal ñ.csv", csv_text(good(5)), False),
        ('quote"s and spaces .csv', b"", True),
        ("\x1b[31mred.csv", b"", True),
        ("UPPER.CSV", csv_text(good(5)), False),
        ("n" * 200 + ".csv", csv_text(good(5)), False),
        ("bell\x07.csv", "\x00" * 100, True),
    ):
        add(name, content, 0 if refused else 5, refused=refused)
    return out


def _empty_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w"):
        pass
    return buffer.getvalue()


def write_corpus(folder: Path, select: Callable[[Case], bool] = lambda case: True) -> dict[str, Case]:
    """Write the selected cases into `folder`; {file name: case}."""
    folder.mkdir(parents=True, exist_ok=True)
    written = {}
    for case in cases():
        if select(case):
            (folder / case.name).write_bytes(case.content)
            written[case.name] = case
    return written
