"""The command line refuses hostile arguments before touching the warehouse (exit status 2, a
clear message, never a traceback), and any failure of a command is one line: status 2 for a
refused input, 1 for the environment or the unexpected; a traceback only with CARTERA_DEBUG=1."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cartera import cli
from cartera.errors import BadInputError, SourceUnavailableError
from cartera.run_dates import BOOKS_TZ

TODAY = dt.datetime.now(BOOKS_TZ).date()


@pytest.fixture
def no_warehouse(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Any attempt to open the warehouse fails the test (a refused argument must not get there)."""
    import cartera.db

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a refused argument must not open the warehouse")

    monkeypatch.setattr(cartera.db, "connect", refuse)
    yield


def _days(n: int) -> str:
    return (TODAY + dt.timedelta(days=n)).isoformat()


HOSTILE = {
    "why: days beyond ten years": ["why", "C1", "--days", "100000000"],
    "why: zero days": ["why", "C1", "--days", "0"],
    "why: negative days": ["why", "C1", "--days", "-5"],
    "why: days not a number": ["why", "C1", "--days", "catorce"],
    "why: unknown language": ["why", "C1", "--lang", "fr"],
    "hold: unknown reason": ["hold", "C1", "--reason", "because"],
    "hold: no reason": ["hold", "C1"],
    "hold: until the end of time": ["hold", "C1", "--reason", "manual", "--until", "9999-12-31"],
    "hold: until a day that does not exist": ["hold", "C1", "--reason", "promise_to_pay", "--until", "2026-02-30"],
    "hold: until in words": ["hold", "C1", "--reason", "promise_to_pay", "--until", "mañana"],
    "hold: until day first": ["hold", "C1", "--reason", "promise_to_pay", "--until", "31/12/2026"],
    "hold: until empty": ["hold", "C1", "--reason", "promise_to_pay", "--until", ""],
    "hold: until with a newline": ["hold", "C1", "--reason", "promise_to_pay", "--until", _days(3) + "\nx"],
    "hold: a promise for yesterday": ["hold", "C1", "--reason", "promise_to_pay", "--until", _days(-1)],
    "hold: a promise for today": ["hold", "C1", "--reason", "promise_to_pay", "--until", _days(0)],
    "hold: a promise in two years": ["hold", "C1", "--reason", "promise_to_pay", "--until", _days(730)],
    "hold: a year 1900 hold": ["hold", "C1", "--reason", "dispute", "--until", "1900-01-01"],
    "hold: a very long note": ["hold", "C1", "--reason", "manual", "--note", "x" * 10_000],
    "hold: a note with a newline": ["hold", "C1", "--reason", "manual", "--note", "llamar\nluego"],
    "hold: a note with an e-mail": ["hold", "C1", "--reason", "manual", "--note", "escribir a pago@cliente.mx"],
    "hold: a note with a phone": ["hold", "C1", "--reason", "manual", "--note", "llamar al 55 1234 5678"],
    "hold: a note with an RFC": ["hold", "C1", "--reason", "manual", "--note", "RFC XAXX010101000 confirmado"],
    "opt-out: unknown channel": ["opt-out", "C1", "--channel", "pigeon"],
    "opt-out: unknown source": ["opt-out", "C1", "--source", "rumour"],
    "opt-out: a channel with a NUL byte": ["opt-out", "C1", "--channel", "email\x00"],
    "opt-out: an id with a NUL byte": ["opt-out", "C1\x00"],
    "kpi: negative limit": ["kpi", "--limit", "-1"],
    "kpi: zero limit": ["kpi", "--limit", "0"],
    "kpi: huge limit": ["kpi", "--limit", "99999999999999999999999"],
    "backtest: a month 13 cutoff": ["backtest", "--file", "x.csv", "--cutoff", "2026-13-45"],
    "backtest: a cutoff in words": ["backtest", "--from-warehouse", "--cutoff", "last march"],
    "backtest: an as-of not a date": ["backtest", "--file", "x.csv", "--as-of", "2026/05/31"],
    "backtest: a cutoff after the end": [
        "backtest",
        "--file",
        "x.csv",
        "--cutoff",
        "2026-06-01",
        "--as-of",
        "2026-05-31",
    ],
    "backtest: year 10000": ["backtest", "--file", "x.csv", "--cutoff", "10000-01-01"],
    "backtest: unknown split": ["backtest", "--file", "x.csv", "--split", "shuffle"],
    "backtest: a threshold above one": ["backtest", "--file", "x.csv", "--threshold", "2"],
    "backtest: negative bootstrap": ["backtest", "--file", "x.csv", "--bootstrap", "-1"],
    "generate: a day-first as-of": ["generate", "--as-of", "31/05/2026"],
    "generate: no months": ["generate", "--months", "0"],
    "demo: a year 1900 run": ["demo", "--as-of", "1900-01-01"],
    "demo: no customers": ["demo", "--customers", "0"],
    "import: a share above one": ["import", "x.csv", "--max-rejected-share", "5"],
    "import: a source with spaces": ["import", "x.csv", "--source", "mi archivo; drop table raw.invoices"],
    "fake-sendgrid: a port out of range": ["fake-sendgrid", "--port", "70000"],
}


@pytest.mark.parametrize("args", list(HOSTILE.values()), ids=list(HOSTILE))
def test_a_hostile_argument_is_refused_with_status_2_and_a_message_before_the_warehouse_is_opened(
    args: list[str], no_warehouse: None
) -> None:
    result = CliRunner().invoke(cli.app, args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Invalid value" in result.output or "Missing option" in result.output or "error:" in result.output


def test_a_refused_note_or_date_is_not_echoed_back() -> None:
    note = CliRunner().invoke(cli.app, ["hold", "C1", "--reason", "manual", "--note", "pago@cliente.mx"])
    assert note.exit_code == 2 and "pago@cliente.mx" not in note.output and "e-mail" in note.output
    date = CliRunner().invoke(cli.app, ["hold", "C1", "--reason", "promise_to_pay", "--until", "el 5 de abril"])
    assert date.exit_code == 2 and "el 5 de abril" not in date.output and "YYYY-MM-DD" in date.output


def _run_main(monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
    monkeypatch.setattr(sys, "argv", ["cartera", *args])
    with pytest.raises(SystemExit) as exit_:
        cli.main()
    return int(exit_.value.code or 0)


@pytest.fixture
def kpi_raises(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[BaseException]]:
    """`cartera kpi` with a configured warehouse whose read raises the exception put in the list."""
    import cartera.kpi
    from cartera.config import get_settings

    monkeypatch.setenv("CARTERA_DATABASE_URL", "postgresql://nobody@127.0.0.1:1/nothing")
    monkeypatch.delenv("CARTERA_DEBUG", raising=False)
    get_settings.cache_clear()
    raised: list[BaseException] = []

    def latest(dsn: str, limit: int) -> list[object]:
        raise raised[0]

    monkeypatch.setattr(cartera.kpi, "latest", latest)
    yield raised
    get_settings.cache_clear()


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (BadInputError("no customer with the id or RFC 'X9'"), 2),
        (SourceUnavailableError("warehouse", "cannot connect to 127.0.0.1:1/nothing", "that it runs"), 1),
    ],
    ids=["refused input", "environment"],
)
def test_a_cartera_error_is_one_line_on_stderr_with_the_status_of_its_kind(
    error: Exception,
    status: int,
    kpi_raises: list[BaseException],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    kpi_raises.append(error)
    assert _run_main(monkeypatch, "kpi") == status
    err = capsys.readouterr().err
    assert err.startswith("error: ") and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_an_unexpected_error_is_a_short_message_with_status_1_that_shows_nothing_of_its_data(
    kpi_raises: list[BaseException], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    kpi_raises.append(KeyError("Comercializadora Ejemplo S.A. de C.V., XAXX010101000"))
    assert _run_main(monkeypatch, "kpi") == 1
    out, err = capsys.readouterr()
    assert err.strip() == "error: unexpected KeyError; nothing was shown to keep data out (CARTERA_DEBUG=1 shows it)"
    assert "Traceback" not in out + err and "XAXX" not in out + err


def test_with_cartera_debug_the_traceback_is_printed_too(
    kpi_raises: list[BaseException], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CARTERA_DEBUG", "1")
    kpi_raises.append(RuntimeError("boom"))
    assert _run_main(monkeypatch, "kpi") == 1
    err = capsys.readouterr().err
    assert "Traceback" in err and "RuntimeError: boom" in err and err.strip().endswith("CARTERA_DEBUG=1 shows it)")


def test_a_missing_import_file_is_refused_with_status_2(tmp_path: Path, no_warehouse: None) -> None:
    result = CliRunner().invoke(cli.app, ["import", str(tmp_path / "nope.csv"), "--dry-run"])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
