"""What stands between a person's typing and the command line's work: argument checks that refuse
with a clear message, and the one place that turns any failure into a short message and an exit
status instead of a traceback.

Exit statuses: 0 done; 2 the input was refused (a usage error, an unknown or ambiguous reference,
a bad file); 1 the environment failed (no database, a setting, data not ready) or something
unexpected happened. A traceback is printed only with CARTERA_DEBUG=1, because a traceback's
locals and messages can carry rows of personal data.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import sys
import traceback
import unicodedata
from typing import Any

import typer
from typer import _click as click  # typer 0.29 runs on its own copy of click, not the installed one
from typer.core import TyperGroup

EARLIEST_DATE = dt.date(2000, 1, 1)
LATEST_DATE = dt.date(2100, 12, 31)
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_ANY_ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
_EMAIL = re.compile(r"[^\s@]+@[^\s@]+\.[^\s@]+")
_PHONE = re.compile(r"(?:\+?\d[\s().-]*){10,}")
_RFC = re.compile(r"\b[A-ZÑ&]{3,4}\d{6}[A-Z\d]{3}\b", re.IGNORECASE)
_MESSAGE_LIMIT = 400


def parse_date(
    value: str, option: str, *, earliest: dt.date = EARLIEST_DATE, latest: dt.date = LATEST_DATE, why: str = ""
) -> dt.date:
    """``value`` as a date (YYYY-MM-DD, surrounding spaces ignored) within [earliest, latest], or a
    usage error naming ``option`` (the value itself is not echoed)."""
    text = value.strip()
    try:
        if not _ISO_DATE.fullmatch(text):
            raise ValueError(text)
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter("expected a date as YYYY-MM-DD, e.g. 2026-03-31", param_hint=f"'{option}'") from None
    if not earliest <= day <= latest:
        raise typer.BadParameter(f"{day} is out of range: from {earliest} to {latest}{why}", param_hint=f"'{option}'")
    return day


def free_text(value: str, option: str, *, max_length: int) -> str:
    """A short free text (a note, a source name) without surrounding spaces; refused when it is too
    long, holds control characters (NUL, newlines) or reads like personal data (an e-mail
    address, a phone number, an RFC), which must not be stored in operational tables."""
    text = value.strip()
    if len(text) > max_length:
        raise typer.BadParameter(f"{len(text)} characters; at most {max_length}", param_hint=f"'{option}'")
    if any(unicodedata.category(char) in ("Cc", "Cf") for char in text):
        raise typer.BadParameter(
            "contains control characters (a NUL byte, a newline or a tab)", param_hint=f"'{option}'"
        )
    undated = _ANY_ISO_DATE.sub(" ", text)  # two dates in a row are not a phone number
    for pattern, kind in ((_EMAIL, "an e-mail address"), (_PHONE, "a phone number"), (_RFC, "an RFC")):
        if pattern.search(undated):
            raise typer.BadParameter(f"looks like it holds {kind}; leave personal data out", param_hint=f"'{option}'")
    return text


def failure_report(exc: BaseException) -> tuple[int, str]:
    """The exit status and one-line message for an exception that ended a command."""
    from cartera.errors import (
        CarteraError,
        ConfigurationError,
        DataNotReadyError,
        PolicyError,
        SourceUnavailableError,
    )

    if isinstance(exc, CarteraError):
        environment = (ConfigurationError, SourceUnavailableError, DataNotReadyError, PolicyError)
        return (1 if isinstance(exc, environment) else 2), _one_line(str(exc))
    import psycopg

    if isinstance(exc, psycopg.Error):
        # The server's message can quote a row (a key's value): only the kind is shown.
        return 1, (
            f"the warehouse refused the command ({type(exc).__name__}); check that `cartera db init` ran and the "
            "data is loaded (CARTERA_DEBUG=1 shows the details)"
        )
    return 1, f"unexpected {type(exc).__name__}; nothing was shown to keep data out (CARTERA_DEBUG=1 shows it)"


def report_and_exit_code(exc: BaseException) -> int:
    """Print the one-line message for ``exc`` on stderr (and the traceback with CARTERA_DEBUG=1)."""
    if os.environ.get("CARTERA_DEBUG", "").strip() not in ("", "0"):
        traceback.print_exception(exc, file=sys.stderr)
    code, message = failure_report(exc)
    typer.echo(f"error: {message}", err=True)
    return code


class FailClosedGroup(TyperGroup):
    """The command group: refuses NUL bytes in arguments, and reports any failure of a command as
    a one-line message with exit status 2 (input) or 1 (environment, unexpected)."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if any("\x00" in arg for arg in args):
            raise typer.BadParameter("an argument contains a NUL byte", ctx=ctx)
        return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (typer.TyperException, typer.Exit, typer.Abort):
            raise  # usage errors and deliberate exits: click reports them with their own status
        except Exception as exc:  # noqa: BLE001 - the one place every failure becomes a message
            raise typer.Exit(report_and_exit_code(exc)) from exc


def _one_line(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= _MESSAGE_LIMIT else flat[: _MESSAGE_LIMIT - 1] + "…"
