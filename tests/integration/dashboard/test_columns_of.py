"""columns_of reads pg_catalog and answers what information_schema.columns answers, for every
table and view of the built book and for names that do not exist."""

from __future__ import annotations

import psycopg
import pytest

from cartera.dashboard.tables import columns_of

pytestmark = pytest.mark.integration


def test_columns_of_every_relation_match_information_schema(book: str) -> None:
    with psycopg.connect(book) as conn:
        expected: dict[tuple[str, str], set[str]] = {}
        for schema, table, column in conn.execute(
            "select table_schema, table_name, column_name from information_schema.columns "
            "where table_schema not in ('pg_catalog', 'information_schema')"
        ):
            expected.setdefault((schema, table), set()).add(column)

        assert len(expected) > 30  # raw, staging, intermediate, marts, ml, ops
        assert {key: columns_of(conn, *key) for key in expected} == expected


@pytest.mark.parametrize(("schema", "table"), [("marts", "no_such_table"), ("no_such_schema", "x"), ('ma"rts', "t")])
def test_a_relation_that_does_not_exist_has_no_columns(book: str, schema: str, table: str) -> None:
    with psycopg.connect(book) as conn:
        assert columns_of(conn, schema, table) == set()
