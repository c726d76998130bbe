"""Named harder books: the generator's company bent the ways real books differ from ours.

Each book is generation parameters + :class:`BookOptions` + an export style. Written to CSV with
``python -m cartera.synthetic.books NAME PATH`` (``--list`` names them); the backtest then
reads the file as a new user's export (``cartera backtest --file PATH``). ``default`` is exactly
``cartera generate --csv`` for seed 7, 500 customers, 24 months.
"""

from __future__ import annotations

import datetime as dt
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cartera.synthetic.book_options import BookOptions
from cartera.synthetic.company import build_company
from cartera.synthetic.export import invoice_export, styled_export
from cartera.synthetic.summary import GenerationParams

AS_OF = dt.date(2026, 5, 31)


@dataclass(frozen=True)
class Book:
    """One named book: what it tests, how it is generated and how its file looks."""

    description: str
    customers: int = 500
    months: int = 24
    seed: int = 7
    options: BookOptions = field(default_factory=BookOptions)
    style: dict[str, Any] = field(default_factory=dict)


BOOKS: dict[str, Book] = {
    "default": Book("the default generated company"),
    "drift_down": Book(
        "late share drifting down by about a quarter over the two years (the real book's drift)",
        options=BookOptions(late_drift=-0.25),
    ),
    "drift_up": Book("late share growing by about half over the two years", options=BookOptions(late_drift=0.5)),
    "terms_mixed": Book(
        "every invoice with its own terms, 15/30/60/90 days in equal shares",
        options=BookOptions(payment_terms={15: 0.25, 30: 0.25, 60: 0.25, 90: 0.25}, mixed_terms=True),
    ),
    "few_large_customers": Book(
        "60 customers buying about six times as often (few customers, many invoices each)",
        customers=60,
        options=BookOptions(volume_scale=6.0),
    ),
    "many_small_customers": Book(
        "2,000 customers buying a quarter as often, with a wide spread (many customers, few invoices each)",
        customers=2000,
        options=BookOptions(volume_scale=0.25, volume_sigma=1.2),
    ),
    "english_us_no_currency_no_disputes": Book(
        "no disputes recorded; English camelCase headers, US dates, no currency column",
        options=BookOptions(disputes=False),
        style={"english_headers": True, "us_dates": True, "currency_column": False, "disputes": False},
    ),
    "anomalies": Book(
        "0.5 % of each anomaly type injected with benign history, labels kept aside (docs/anomalies.md)",
        options=BookOptions(anomaly_rate=0.005, history=True),
    ),
}


def write_book(name: str, path: Path, as_of: dt.date = AS_OF) -> Path:
    """Generate the book ``name`` and write its export to ``path``."""
    book = BOOKS[name]
    params = GenerationParams(seed=book.seed, customers=book.customers, months=book.months, as_of=as_of)
    frame = invoice_export(build_company(params, book.options))
    path.parent.mkdir(parents=True, exist_ok=True)
    if not book.style:
        frame.to_csv(path, index=False)  # byte for byte what `cartera generate --csv` writes
        return path
    return styled_export(frame, path, **book.style)


def main(argv: list[str]) -> int:
    if argv[:1] == ["--list"] or len(argv) != 2 or argv[0] not in BOOKS:
        for name, book in BOOKS.items():
            print(f"{name}: {book.description}")  # noqa: T201 - a command-line listing
        return 0 if argv[:1] == ["--list"] else 2
    write_book(argv[0], Path(argv[1]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
