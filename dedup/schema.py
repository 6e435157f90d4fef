"""The store's tables, described once.

The DDL in `dedup.store` and the import validation in `dedup.importer` are both generated from
these specs, so a column added here is created, migrated and validated in one move.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    """A column of a store table.

    Args:
        name: column name in the store.
        type: DuckDB type (BIGINT, VARCHAR, TIMESTAMP, DATE, DOUBLE).
        required: an import file must supply it (directly or through `--map`).
        not_null: an imported value may not be empty.
        imported: False for columns only the engine writes (status, merged_into, ...).
        since: the schema migration that added the column (1: the first schema).
        choices: the only values an imported row may hold (a user's role).
        pattern: a regular expression an imported value must match in full, with `pattern_words`
            saying in words what it expects (a postcode area or district).
        compact: imported values are stored upper case with spaces removed ("tr 1" -> "TR1").
    """

    name: str
    type: str
    required: bool = False
    not_null: bool = False
    imported: bool = True
    since: int = 1
    choices: tuple[str, ...] = ()
    pattern: str | None = None
    pattern_words: str = ""
    compact: bool = False


@dataclass(frozen=True)
class TableSpec:
    """A table that `dedup import` can load.

    Args:
        name: table name.
        key: the column that identifies a row (upserts match on it).
        columns: every column, engine-owned ones included.
        references_trader: rows point at a trader through `trader_id`.
        since: the schema migration that created the table (1: the first schema).
    """

    name: str
    key: str
    columns: tuple[Column, ...]
    references_trader: bool = False
    since: int = 1

    @property
    def imported_columns(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.imported)

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


TRADERS = TableSpec(
    "traders",
    key="trader_id",
    columns=(
        Column("trader_id", "BIGINT", required=True, not_null=True),
        Column("name", "VARCHAR", required=True, not_null=True),
        Column("address", "VARCHAR", required=True),
        Column("postcode", "VARCHAR", required=True),
        Column("phone", "VARCHAR"),
        Column("website", "VARCHAR"),
        Column("created_at", "TIMESTAMP"),
        Column("created_by", "VARCHAR"),
        # Engine-owned: a merged record keeps its row, marked and pointing at its survivor.
        Column("status", "VARCHAR", imported=False),
        Column("merged_into", "BIGINT", imported=False),
        # When this record's matching fields last changed (set by import); drives incremental runs.
        Column("updated_at", "TIMESTAMP", imported=False),
    ),
)

CASES = TableSpec(
    "cases",
    key="case_id",
    references_trader=True,
    columns=(
        Column("case_id", "BIGINT", required=True, not_null=True),
        Column("trader_id", "BIGINT", required=True, not_null=True),
        Column("opened_at", "TIMESTAMP", required=True),
        Column("case_type", "VARCHAR"),
        Column("goods_code", "VARCHAR"),
        Column("opened_by", "VARCHAR", since=8),  # the adviser's user_id (optional)
    ),
)

TRACKS = TableSpec(
    "tracks",
    key="track_id",
    references_trader=True,
    columns=(
        Column("track_id", "BIGINT", required=True, not_null=True),
        Column("trader_id", "BIGINT", required=True, not_null=True),
        Column("ts_id", "VARCHAR", required=True, not_null=True),
        Column("start_date", "DATE", required=True),
        Column("end_date", "DATE", required=True),
        Column("notes", "VARCHAR"),
        Column("raised_at", "DATE"),
    ),
)

CERTIFICATES = TableSpec(
    "certificates",
    key="certificate_id",
    references_trader=True,
    columns=(
        Column("certificate_id", "BIGINT", required=True, not_null=True),
        Column("trader_id", "BIGINT", required=True, not_null=True),
        Column("ts_id", "VARCHAR", required=True, not_null=True),
        Column("scheme", "VARCHAR"),
        Column("start_date", "DATE", required=True),
        Column("end_date", "DATE", required=True),
        Column("notes", "VARCHAR"),
    ),
)

WHITELIST = TableSpec(
    "whitelist",
    key="trader_id",
    references_trader=True,
    columns=(
        Column("trader_id", "BIGINT", required=True, not_null=True),
        Column("reason", "VARCHAR"),
        Column("added_by", "VARCHAR"),
        Column("added_at", "TIMESTAMP"),
    ),
)

#: Who is who: every person who acts on the store (`--as USER`). What a user may do follows from
#: the role (`dedup.users`); `restricted` is the source system's restricted role: such a user
#: may not create traders.
ROLES = ("adviser", "ts", "operations", "admin")
USERS = TableSpec(
    "users",
    key="user_id",
    since=8,
    columns=(
        Column("user_id", "VARCHAR", required=True, not_null=True),
        Column("display_name", "VARCHAR"),
        Column("role", "VARCHAR", required=True, not_null=True, choices=ROLES),
        Column("ts_id", "VARCHAR"),        # the Trading Standards service of a `ts` user
        Column("centre", "VARCHAR"),       # an adviser's delivery centre
        Column("restricted", "BOOLEAN"),   # may not create traders (empty: not restricted)
        Column("disabled_at", "TIMESTAMP"),
    ),
)

#: The postcode areas ("TR") and districts ("TR1") each Trading Standards service covers; a
#: postcode maps to the TS of its district, else of its area.
TS_AREAS = TableSpec(
    "ts_areas",
    key="postcode_prefix",
    since=8,
    columns=(
        Column("postcode_prefix", "VARCHAR", required=True, not_null=True, compact=True,
               pattern=r"[A-Z]{1,2}([0-9][0-9A-Z]?)?",
               pattern_words="a postcode area or district (TR, TR1, EC1V)"),
        Column("ts_id", "VARCHAR", required=True, not_null=True),
        Column("ts_name", "VARCHAR"),
    ),
)

#: Import order matters: traders first, so child rows in the same import find their trader.
IMPORT_TABLES: tuple[TableSpec, ...] = (TRADERS, CASES, TRACKS, CERTIFICATES, WHITELIST, USERS, TS_AREAS)
TABLES_BY_NAME = {t.name: t for t in IMPORT_TABLES}


def active_on_condition(alias: str, today: str = "$today") -> str:
    """SQL true when the track or certificate `alias` is active on the date parameter `today`.

    The domain's rule: active when the date lies within its start and end dates; with no start or
    end date it is not active (BETWEEN with a NULL bound is never true).
    """
    return f"{today} BETWEEN {alias}.start_date AND {alias}.end_date"
