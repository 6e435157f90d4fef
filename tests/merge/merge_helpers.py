"""Helpers for the merge tests: small real stores built row by row, snapshots, applying groups.

Stores are real DuckDB files. An empty, migrated store is built once per process and copied, so
a hypothesis example costs a file copy rather than a schema migration.
"""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path

import polars as pl

from dedup.merge.runs import apply_groups
from dedup.rules import RuleSet
from dedup.store import Store

TODAY = dt.date(2026, 11, 1)
NOW = dt.datetime(2026, 11, 2, 3, 0, 0)
CHILDREN = ("cases", "tracks", "certificates")
KEYS = {"traders": "trader_id", "cases": "case_id", "tracks": "track_id",
        "certificates": "certificate_id", "whitelist": "trader_id"}

_template: Path | None = None


def new_store(path: Path) -> Path:
    """An empty store at the current schema version, at `path`."""
    global _template
    if _template is None:
        folder = Path(tempfile.mkdtemp(prefix="dedup-template-"))
        _template = folder / "empty.duckdb"
        Store(_template).close()
    shutil.copyfile(_template, path)
    return path


def insert(store: Store, table: str, rows: Iterable[Mapping]) -> None:
    """Insert dict rows into a store table (columns from the first row)."""
    rows = list(rows)
    if not rows:
        return
    columns = list(rows[0])
    names = ", ".join(columns)
    marks = ", ".join("?" for _ in columns)
    store.con.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})",
                          [[row.get(c) for c in columns] for row in rows])


def trader(trader_id: int, name: str = "Acme Widgets", **fields) -> dict:
    """A trader row with sensible defaults; `fields` override them."""
    row = {"trader_id": trader_id, "name": name, "address": "1 High Street, Truro",
           "postcode": "TR1 1AA", "phone": None, "website": None,
           "created_at": dt.datetime(2020, 1, 1), "created_by": "ADV001", "status": "active",
           "updated_at": dt.datetime(2024, 1, 1)}
    row.update(fields)
    return row


def build(path: Path, *, traders: list[dict], cases: list[dict] = (), tracks: list[dict] = (),
          certificates: list[dict] = (), whitelist: Iterable[int] = ()) -> Path:
    """A store at `path` holding exactly these rows."""
    new_store(path)
    with Store(path) as store:
        insert(store, "traders", traders)
        insert(store, "cases", cases)
        insert(store, "tracks", tracks)
        insert(store, "certificates", certificates)
        insert(store, "whitelist", [{"trader_id": t, "reason": "canonical"} for t in whitelist])
    return path


def snapshot(store: Store, tables: Iterable[str] = ("traders", *CHILDREN)) -> dict[str, list[tuple]]:
    """Every row of each table, in key order, every column."""
    return {t: store.con.execute(f"SELECT * FROM {t} ORDER BY {KEYS[t]}").fetchall() for t in tables}


def rows_by_key(store: Store, table: str) -> dict[int, dict]:
    """A table as {key: row as a dict}."""
    cursor = store.con.execute(f"SELECT * FROM {table}")
    names = [d[0] for d in cursor.description]
    return {row[0]: dict(zip(names, row)) for row in cursor.fetchall()}


def apply_given(store: Store, groups: Iterable[Iterable[int]], rules: RuleSet | None = None,
                now: dt.datetime = NOW) -> dict:
    """Merge the given groups of trader ids as one apply run (no pipeline)."""
    ids, labels = [], []
    for label, group in enumerate(groups):
        for trader_id in group:
            ids.append(trader_id)
            labels.append(label)
    frame = pl.DataFrame({"trader_id": ids, "group_id": labels},
                         schema={"trader_id": pl.Int64, "group_id": pl.Int64})
    store.runner.register("given_groups", frame)
    return apply_groups(store, rules or RuleSet.default(), "given_groups", today=TODAY, now=now)

