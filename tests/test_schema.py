"""`dedup.schema`: the store's tables described once. The store a migration builds has exactly
the columns, types, keys and NOT NULLs the specs say, whether new or upgraded step by step; and a
track or certificate is active only within its dates."""

from __future__ import annotations

import duckdb
import pytest

from dedup.schema import IMPORT_TABLES, TABLES_BY_NAME, TRADERS, active_on_condition
from dedup.sql import Runner
from dedup.store import Store, migrate


def described(path) -> dict[str, list[tuple]]:
    """Per import table: (column, type, nullable, key) as the store has it."""
    with duckdb.connect(str(path), read_only=True) as con:
        return {spec.name: [(name, kind, null == "YES", key == "PRI") for name, kind, null, key, *_ in
                            con.execute(f'DESCRIBE "{spec.name}"').fetchall()] for spec in IMPORT_TABLES}


def specified() -> dict[str, list[tuple]]:
    return {spec.name: [(c.name, c.type, not (c.not_null or c.name in (spec.key, "status")), c.name == spec.key)
                        for c in spec.columns] for spec in IMPORT_TABLES}


def test_a_new_store_has_exactly_the_columns_the_specs_describe(db_path):
    Store(db_path).close()
    assert described(db_path) == specified()


def test_a_store_upgraded_from_the_first_version_has_them_too(db_path):
    con = duckdb.connect(str(db_path))
    migrate(Runner(con), target=1)
    con.close()
    Store(db_path).close()   # the remaining migrations
    assert described(db_path) == specified()


def test_the_specs_agree_with_themselves():
    assert IMPORT_TABLES[0] is TRADERS           # traders load first: children find their trader
    assert TABLES_BY_NAME == {t.name: t for t in IMPORT_TABLES}
    for spec in IMPORT_TABLES:
        names = [c.name for c in spec.columns]
        assert len(names) == len(set(names)) and spec.key in names
        assert spec.column(spec.key).not_null and spec.column(spec.key).required
        if spec.references_trader:
            assert spec.column("trader_id").not_null
        assert all(c.imported for c in spec.imported_columns)
    engine_owned = [c.name for c in TRADERS.columns if not c.imported]
    assert {"status", "merged_into", "updated_at"} <= set(engine_owned)
    assert not {"status", "merged_into"} & {c.name for c in TRADERS.imported_columns}


@pytest.mark.parametrize("start,end,active", [
    ("2026-01-01", "2026-12-31", True),
    ("2026-11-01", "2026-11-01", True),
    ("2025-01-01", "2026-10-31", False),
    ("2026-11-02", "2027-01-01", False),
    (None, "2026-12-31", False),      # no start date: not active
    ("2026-01-01", None, False),      # no end date: not active
])
def test_active_means_today_within_start_and_end(start, end, active):
    con = duckdb.connect()
    sql = (f"SELECT coalesce({active_on_condition('t')}, FALSE) "
           "FROM (SELECT $s::DATE AS start_date, $e::DATE AS end_date) t")
    assert con.execute(sql, {"s": start, "e": end, "today": "2026-11-01"}).fetchone()[0] is active
