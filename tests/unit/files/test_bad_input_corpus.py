"""Every file of the bad-input corpus (tests/unit/files/bad_inputs.py) is either refused as a whole
with a one-line error naming the file (and no value from it), or read with every data row accounted
for: read = invoices + quarantined rows + skipped rows, nothing garbled, nothing past the
warehouse's bounds."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from cartera.errors import BadInputError
from cartera.sources.files import read_invoice_file
from cartera.sources.files.limits import AMOUNT_LIMIT, display_name
from tests.unit.files.bad_inputs import SURNAME, Case, cases

CASES = cases()


def test_the_corpus_covers_every_class_of_bad_input_with_at_least_80_files() -> None:
    assert len(CASES) >= 80
    assert len({c.name for c in CASES}) == len(CASES)
    prefixes = {c.name.split("_")[0] for c in CASES}
    assert {"quote", "enc", "amount", "date", "ctrl", "xlsx", "dup", "junk", "empty.csv"} <= prefixes


@pytest.mark.parametrize("case", CASES, ids=[repr(c.name)[1:-1][:60] for c in CASES])
def test_a_bad_file_is_refused_clearly_or_read_with_every_row_accounted_for(case: Case, tmp_path: Path) -> None:
    path = tmp_path / case.name
    path.write_bytes(case.content)
    try:
        parsed = read_invoice_file(path, as_of=dt.date(2026, 6, 1))
    except BadInputError as exc:
        message = str(exc)
        assert case.refused, f"refused unexpectedly: {message}"
        assert "defect" not in message, message  # refused by design, not by the safety net
        assert message.startswith(f"file {display_name(case.name)}")
        assert message.isprintable(), "one printable line: no newline or control character from the file"
        assert SURNAME not in message and "Núñez" not in message
        for mention in case.mentions:
            assert mention in message, message
        return
    assert not case.refused, "the file should have been refused as a whole"
    rejected_rows = {r.row for r in parsed.rejects}
    skipped = sum(len(rows) for rows in parsed.skipped.values())
    assert parsed.rows_read == case.rows_in
    assert case.rows_in == len(parsed.invoices) + len(rejected_rows) + skipped
    if case.rejected is not None:
        assert len(rejected_rows) == case.rejected, [(r.row, r.field, r.reason) for r in parsed.rejects]
    if case.rejected_fields:
        assert {r.field for r in parsed.rejects} == case.rejected_fields
    for text in [*(r.reason for r in parsed.rejects), *parsed.warnings]:
        assert SURNAME not in text and "Núñez" not in text, text
        assert text.isprintable(), text
    names = [n for n in parsed.invoices["customer_name"] if n is not None]
    assert all(n.isprintable() and "Ã" not in n and "Núñez" in n for n in names), "names garbled"
    assert all(abs(a) < AMOUNT_LIMIT for a in parsed.invoices["amount"])
    if len(parsed.invoices):
        assert parsed.invoices["issue_date"].min() >= dt.datetime(1990, 1, 1)
        assert parsed.invoices["due_date"].max() <= dt.datetime(2037, 1, 1)
