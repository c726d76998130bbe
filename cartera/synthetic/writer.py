"""Writing a generated company into Postgres: idempotent, all-or-nothing, with COPY.

The parameters of the generation are recorded in ``<schema>.generation_info``. A schema that
already holds a generation with the same parameters (and generator version) is left untouched;
otherwise it is dropped and recreated, tables filled with COPY, then keyed and indexed, all in
one transaction, so a reader sees either the old company or the new one, never half of one.
A schema that exists with tables but no ``generation_info`` may be a real ERP: it is never
dropped unless ``replace=True``.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import time

import psycopg
from psycopg import sql

from cartera.db import connect
from cartera.errors import ConfigurationError
from cartera.logs import get_logger
from cartera.progress import Progress
from cartera.synthetic.company import build_company
from cartera.synthetic.schema import COLUMNS, add_constraints_and_indexes, create_tables
from cartera.synthetic.summary import GENERATOR_VERSION, GenerationParams, GenerationSummary

log = get_logger(__name__)
_SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def _stored(conn: psycopg.Connection, schema: str) -> tuple[GenerationSummary | None, bool]:
    """(the generation recorded in the schema, whether the schema holds any table)."""
    tables = conn.execute(
        "select table_name from information_schema.tables where table_schema = %s", (schema,)
    ).fetchall()
    names = {row[0] for row in tables}
    if "generation_info" not in names:
        return None, bool(names)
    row = conn.execute(
        sql.SQL("select generator_version, seed, customers, months, as_of, counts from {}.generation_info").format(
            sql.Identifier(schema)
        )
    ).fetchone()
    if row is None:
        return None, True
    version, seed, customers, months, as_of, counts = row
    return GenerationSummary(schema, seed, customers, months, as_of, dict(counts), version, reused=True), True


def _write(conn: psycopg.Connection, schema: str, params: GenerationParams) -> GenerationSummary:
    started = time.monotonic()
    company = build_company(params)
    built = time.monotonic()
    conn.execute(sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(schema)))
    for statement in create_tables(schema):
        conn.execute(statement)
    total = sum(len(rows) for rows in company.tables.values())
    with conn.cursor() as cur, Progress("write the ERP tables", total=total, unit="rows") as progress:
        for table, rows in company.tables.items():
            copy = sql.SQL("copy {}.{} ({}) from stdin").format(
                sql.Identifier(schema), sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, COLUMNS[table]))
            )
            with cur.copy(copy) as writer:
                for number, row in enumerate(rows, start=1):
                    writer.write_row(row)
                    if number % 10_000 == 0:
                        progress.advance(10_000)
                progress.advance(len(rows) % 10_000)
    for statement in add_constraints_and_indexes(schema):
        conn.execute(statement)
    counts = company.counts()
    conn.execute(
        sql.SQL("insert into {}.generation_info values (%s, %s, %s, %s, %s, %s)").format(sql.Identifier(schema)),
        (GENERATOR_VERSION, params.seed, params.customers, params.months, params.as_of, json.dumps(counts)),
    )
    log.info(
        "generated ERP schema %s: %s (build %.1f s, write %.1f s)",
        schema,
        counts,
        built - started,
        time.monotonic() - built,
    )
    return GenerationSummary(schema, params.seed, params.customers, params.months, params.as_of, counts)


def generate(
    dsn: str,
    *,
    schema: str = "erp",
    seed: int = 7,
    customers: int = 500,
    months: int = 24,
    as_of: dt.date,
    replace: bool = False,
) -> GenerationSummary:
    """Write a synthetic Mexican B2B company (``customers`` companies, ``months`` of history ending
    on ``as_of``) into ``schema`` of the database at ``dsn``, and return what it holds.

    Same (seed, customers, months, as_of) → byte-identical rows. If the schema already holds that
    generation and ``replace`` is False, nothing is written and the stored summary is returned.
    Raises ConfigurationError for an invalid schema name, or when the schema holds tables that this
    generator did not write and ``replace`` is False.
    """
    if not _SCHEMA_NAME.match(schema):
        raise ConfigurationError(f"schema name {schema!r} is not a plain lower-case identifier; use e.g. 'erp'")
    params = GenerationParams(seed=seed, customers=customers, months=months, as_of=as_of)
    with connect(dsn, role="erp") as conn:
        # Two generators on the same schema (demo and a DAG run) wait for each other instead of racing.
        conn.execute("select pg_advisory_xact_lock(hashtext(%s))", (f"cartera.generator.{schema}",))
        stored, has_tables = _stored(conn, schema)
        wanted = GenerationSummary(schema, seed, customers, months, as_of, stored.counts if stored else {})
        if stored is not None and stored == wanted and not replace:
            log.info("ERP schema %s already holds this generation; nothing to do", schema)
            return stored
        if stored is None and has_tables and not replace:
            raise ConfigurationError(
                f"schema {schema!r} holds tables that the generator did not write (no generation_info); "
                "pass replace=True (CLI: --replace) to drop it, or choose another schema"
            )
        return _write(conn, schema, params)
