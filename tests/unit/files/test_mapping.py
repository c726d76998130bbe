"""The YAML mapping file: what it may say, and a clear error for what it may not."""

from __future__ import annotations

from pathlib import Path

import pytest

from cartera.errors import BadInputError
from cartera.sources.files import FileMapping, load_mapping


def test_a_full_mapping_loads_and_spells_the_date_order_as_the_reader_uses_it(tmp_path: Path) -> None:
    path = tmp_path / "m.yml"
    path.write_text(
        "columns:\n  invoice_number: Doc\n  customer_id: Cte\n  amount: Saldo\n"
        'date_format: mm/dd/yyyy\ndecimal: ","\ncurrency: USD\nencoding: latin-1\ndelimiter: ";"\n'
        "sheet: Cartera\nsource: erp-export\n",
        encoding="utf-8",
    )
    mapping = load_mapping(path)
    assert mapping.columns == {"invoice_number": "Doc", "customer_id": "Cte", "amount": "Saldo"}
    assert (mapping.date_format, mapping.decimal, mapping.currency) == ("mdy", ",", "USD")
    assert (mapping.encoding, mapping.delimiter, mapping.sheet, mapping.source) == (
        "latin-1",
        ";",
        "Cartera",
        "erp-export",
    )


def test_no_mapping_and_an_empty_file_both_mean_detect_everything(tmp_path: Path) -> None:
    empty = tmp_path / "empty.yml"
    empty.write_text("", encoding="utf-8")
    assert load_mapping(None) == load_mapping(empty) == FileMapping()


@pytest.mark.parametrize(
    ("text", "field", "words"),
    [
        ("columns: {invoice: Doc}\n", "columns", "unknown fields ['invoice']"),
        ("date_format: dd-mm-yy\n", "date_format", "date_format must be one of"),
        ("decimal: ';'\n", "decimal", "','"),
        ("currency: pesos\n", "currency", "pattern"),
        ("colums: {amount: Saldo}\n", "colums", "Extra inputs"),
    ],
)
def test_a_wrong_mapping_names_the_file_and_the_key(tmp_path: Path, text: str, field: str, words: str) -> None:
    path = tmp_path / "bad.mapping.yml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(BadInputError) as error:
        load_mapping(path)
    assert error.value.file == "bad.mapping.yml" and error.value.field == field
    assert words in str(error.value)


def test_a_mapping_that_is_not_yaml_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.yml"
    path.write_text("columns: [unclosed\n", encoding="utf-8")
    with pytest.raises(BadInputError, match="file broken.yml: cannot read the mapping"):
        load_mapping(path)
