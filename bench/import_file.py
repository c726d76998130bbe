"""Reading an invoice export: `python -m bench.import_file [--customers 500 --months 24]`.

The generator's book is written as a Windows, `;`, dd/mm/yyyy, decimal-comma export (a title line,
`$1.234,56`, M.N., a total row) and read by cartera's importer, which detects all of that. The
baseline, in the same run, is pandas.read_csv told the format in advance (separator, encoding,
decimal, thousands, rows to skip) and parsing the dates with the known format: what a person who
already knows the file would write. The ratio is the price of detection, validation and rejects
with row numbers. No database.
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from pathlib import Path

from bench.report import machine, write_section
from cartera.sources.files import read_invoice_file
from cartera.synthetic.company import build_company
from cartera.synthetic.export import invoice_export, spanish_export
from cartera.synthetic.summary import GenerationParams

HEADING = "## Import: reading an invoice export"


def _baseline(path: Path) -> int:
    import pandas as pd

    frame = pd.read_csv(path, sep=";", encoding="cp1252", skiprows=2, skipfooter=1, engine="python")
    for column in ("Fecha de emisión", "Fecha de vencimiento", "Fecha de pago"):
        frame[column] = pd.to_datetime(frame[column], format="%d/%m/%Y")
    for column in ("Importe", "Importe MXN"):
        frame[column] = (
            frame[column].str.replace("$", "", regex=False).str.replace(".", "", regex=False).str.replace(",", ".")
        ).astype(float)
    return len(frame)


def _best(fn: object, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - started)
    return min(times)


def run(customers: int, months: int, repeat: int = 3) -> dict[str, object]:
    book = invoice_export(
        build_company(GenerationParams(seed=7, customers=customers, months=months, as_of=dt.date(2026, 5, 31)))
    )
    with tempfile.TemporaryDirectory() as folder:
        path = spanish_export(book, Path(folder) / "antiguedad_saldos.csv")
        size = path.stat().st_size
        assert _baseline(path) == len(book)
        assert len(read_invoice_file(path).invoices) == len(book)  # warm-up, and the same rows
        baseline = _best(lambda: _baseline(path), repeat)
        cartera = _best(lambda: read_invoice_file(path), repeat)
    return {
        "invoices": len(book),
        "megabytes": size / 1e6,
        "baseline": baseline,
        "cartera": cartera,
        "ratio": cartera / baseline,
        "per_row_us": cartera / len(book) * 1e6,
        "machine": machine(),
        "customers": customers,
        "months": months,
    }


def markdown(f: dict[str, object]) -> str:
    m = f["machine"]
    assert isinstance(m, dict)
    return "\n".join(
        [
            HEADING,
            "",
            f"`python -m bench.import_file --customers {f['customers']} --months {f['months']}` — the generated book "
            f"({f['invoices']:,} invoices, {f['megabytes']:.1f} MB) as a Windows, `;`, dd/mm/yyyy, decimal-comma "
            "export; best of 3 runs each, in the same process.",
            "",
            "| measure | figure |",
            "|---|---|",
            f"| cartera `read_invoice_file` (detects everything, validates, rejects with row numbers) | "
            f"{f['cartera']:.2f} s ({f['per_row_us']:.0f} µs per invoice) |",
            f"| baseline: pandas `read_csv` told the format in advance, dates and amounts converted | {f['baseline']:.2f} s |",
            f"| ratio cartera / baseline | {f['ratio']:.1f}× |",
            "",
            f"Machine: `{m['uname']}`; nproc {m['nproc']}; Python {m['python']}; load average at the end of the run "
            f"{m['load']}.",
            "",
        ]
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=500)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--markdown", type=Path, default=None)
    args = parser.parse_args(argv)
    section = markdown(run(args.customers, args.months))
    print(section)
    if args.markdown:
        write_section(args.markdown, HEADING, section)


if __name__ == "__main__":
    main()
