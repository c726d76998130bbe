"""Benchmark: landing the ERP's invoices in raw with cartera's COPY loader, against a baseline
measured in the same run on the same rows: row-by-row INSERT with executemany.

    python -m bench.ingest [--customers 500] [--months 24] [--markdown docs/benchmarks.md]

Needs a Postgres: CARTERA_BENCH_DATABASE_URL (a server's admin DSN), else the embedded one.
A scratch database is created and dropped.
"""

from __future__ import annotations

import argparse
import datetime as dt
import time
from pathlib import Path
from typing import Any

import psycopg

from bench.report import machine, write_section
from cartera.config import REPO_ROOT
from cartera.db import scratch_database


def _server_dsn() -> str:
    import os

    configured = os.environ.get("CARTERA_BENCH_DATABASE_URL")
    if configured:
        return configured
    from cartera.local import postgres as local_postgres

    return local_postgres.start(REPO_ROOT / ".cartera" / "bench").dsn("postgres")


def run(customers: int, months: int) -> dict[str, object]:
    from cartera.loading.raw_loader import copy_rows
    from cartera.raw_contract import raw_columns
    from cartera.sources.erp import extract
    from cartera.synthetic import generate

    server = _server_dsn()
    with scratch_database(server, "cartera_bench") as dsn:
        t = time.perf_counter()
        generate(dsn, customers=customers, months=months, as_of=dt.date(2026, 10, 31))
        generate_s = time.perf_counter() - t
        upper = dt.datetime(2026, 11, 2, tzinfo=dt.UTC)
        with psycopg.connect(dsn) as conn:
            frame = extract(conn, "invoices", schema="erp", watermark=None, upper_bound=upper).frame
        rows = len(frame)
        columns = raw_columns("invoices")
        with psycopg.connect(dsn) as conn:
            t = time.perf_counter()
            copy_rows(conn, "invoices", frame, load_id="bench-copy", source="bench")
            conn.commit()
            copy_s = time.perf_counter() - t
            values = [
                ("bench-insert", "bench", *r) for r in frame.loc[:, list(columns)].itertuples(index=False, name=None)
            ]
            placeholders = ", ".join(["%s"] * (len(columns) + 2))
            # Column names come from our own entity contract, not from input.
            statement = f"insert into raw.invoices (load_id, source, {', '.join(columns)}) values ({placeholders})"  # noqa: S608
            t = time.perf_counter()
            with conn.cursor() as cur:
                cur.executemany(statement, [tuple(None if v != v else v for v in row) for row in values])  # NaN -> NULL
            conn.commit()
            insert_s = time.perf_counter() - t
    return {
        "customers": customers,
        "months": months,
        "rows": rows,
        "generate_s": generate_s,
        "copy_s": copy_s,
        "insert_s": insert_s,
        "machine": machine(),
    }


def markdown(f: dict[str, Any]) -> str:
    rows = int(f["rows"])
    copy_s, insert_s = float(f["copy_s"]), float(f["insert_s"])
    m = f["machine"]
    return "\n".join(
        [
            HEADING,
            "",
            f"`python -m bench.ingest --customers {f['customers']} --months {f['months']}` — the generator's ERP "
            f"({float(f['generate_s']):.1f} s to generate), its {rows:,} invoices extracted once, then landed twice in the same run.",
            "",
            "| measure | figure |",
            "|---|---|",
            f"| cartera's loader (psycopg COPY) | {copy_s:.2f} s ({rows / copy_s:,.0f} rows/s) |",
            f"| baseline: executemany INSERT, same rows | {insert_s:.2f} s ({rows / insert_s:,.0f} rows/s) |",
            f"| ratio INSERT / COPY | {insert_s / copy_s:.1f}× |",
            "",
            f"Machine: `{m['uname']}`; nproc {m['nproc']}; Python {m['python']}; load average at the end {m['load']}.",  # type: ignore[index]
            "",
        ]
    )


HEADING = "## Ingest: landing invoices in raw"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=500)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--markdown", type=Path, default=None)
    args = parser.parse_args(argv)
    figures = run(args.customers, args.months)
    section = markdown(figures)
    print(section)
    if args.markdown:
        write_section(args.markdown, HEADING, section)


if __name__ == "__main__":
    main()
