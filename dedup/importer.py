"""`dedup import`: load CSV or Parquet extracts into the store, all or nothing.

Each file is read by DuckDB's own reader into a text staging table (so a bad value can be reported
as the user typed it), converted column by column with TRY_CAST, and checked in one set-based
query. Only when every file passes is anything written, in one transaction: rows whose key exists
are updated, new rows added. Any problem leaves the store exactly as it was.
"""

from __future__ import annotations

import csv
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from dedup.errors import DedupError, ImportValidationError, SqlError
from dedup.schema import IMPORT_TABLES, TABLES_BY_NAME, Column, TableSpec
from dedup.sql import Runner, SqlStep, quote_ident

READERS = {".csv": "read_csv", ".parquet": "read_parquet", ".pq": "read_parquet"}
# Dates are accepted as ISO (what DuckDB casts) or as UK day-first text, as the case system shows them.
UK_TIMESTAMP_FORMATS = ["%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y"]
TYPE_WORDS = {"BIGINT": "a whole number", "TIMESTAMP": "a date-time", "DATE": "a date",
              "DOUBLE": "a number"}
MAX_ADDRESS_LINES = 6
MATCH_FIELDS = ("name", "address", "postcode", "phone", "website")


@dataclass(frozen=True)
class ImportSource:
    """One file to load into one table.

    Args:
        table: the store table it feeds.
        path: a .csv or .parquet file.
        column_map: target column -> source column, for files named differently.
    """

    table: TableSpec
    path: Path
    column_map: Mapping[str, str]


@dataclass(frozen=True)
class TableImport:
    table: str
    source: str
    rows: int
    inserted: int
    updated: int


def parse_column_maps(items: list[str], tables: list[str]) -> dict[str, dict[str, str]]:
    """Parse `--map target=source` options into table -> {target: source}.

    A target may name its table (`traders.name=Site name`); a bare target is allowed when exactly
    one table is imported.

    Raises:
        DedupError: on a malformed item or an unknown table or column.
    """
    maps: dict[str, dict[str, str]] = {t: {} for t in tables}
    for item in items:
        target, sep, source = item.partition("=")
        if not sep or not target.strip() or not source.strip():
            raise DedupError(f"--map {item!r}: expected TARGET=SOURCE, e.g. --map name=\"Site name\"")
        table, dot, column = target.strip().rpartition(".")
        if not dot:
            if len(tables) != 1:
                raise DedupError(f"--map {item!r}: name the table (e.g. traders.{column}=...) "
                                 f"when importing several files")
            table = tables[0]
        if table not in maps:
            raise DedupError(f"--map {item!r}: no file is imported for table {table!r}")
        valid = [c.name for c in TABLES_BY_NAME[table].imported_columns]
        if column not in valid:
            raise DedupError(f"--map {item!r}: {table} has no column {column!r} "
                             f"(columns: {', '.join(valid)})")
        maps[table][column] = source.strip()
    return maps


def _stage_name(spec: TableSpec, kind: str) -> str:
    return f"__dedup__{kind}_{spec.name}"


def csv_header(path: Path) -> list[str]:
    """The column names on a CSV file's first line (a UTF-8 byte-order mark is ignored)."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            header = next(csv.reader(handle), None)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ImportValidationError(f"{path}: cannot read the file: {exc}") from exc
    if not header or not any(h.strip() for h in header):
        raise ImportValidationError(f"{path}: line 1: no header row (the file is empty)")
    return header


def stage_file_sql(src: ImportSource) -> SqlStep:
    """Read a file into a text staging table; rowid keeps the file's row order.

    CSV is read with a fixed dialect (comma, double quotes) and the header's columns, not sniffed:
    a sniffer that meets a ragged row guesses another dialect instead of naming the bad line.
    """
    stage = quote_ident(_stage_name(src.table, "raw"))
    if READERS[src.path.suffix.lower()] == "read_parquet":
        return SqlStep(f"stage {src.path.name}",
                       f"CREATE OR REPLACE TEMP TABLE {stage} AS "
                       f"SELECT COLUMNS(*)::VARCHAR FROM read_parquet(?)", (str(src.path),))
    columns = {name: "VARCHAR" for name in csv_header(src.path)}
    return SqlStep(f"stage {src.path.name}",
                   f"CREATE OR REPLACE TEMP TABLE {stage} AS SELECT * FROM read_csv(?, "
                   f"auto_detect = false, header = true, delim = ',', quote = '\"', escape = '\"', "
                   f"columns = ?)", (str(src.path), columns))


def _convert(column: Column, raw: str) -> tuple[str, list]:
    """SQL turning raw text into the column's type; unparseable text becomes NULL."""
    text = f"nullif(trim({raw}), '')"
    if column.type == "VARCHAR":
        return text, []
    if column.type in ("TIMESTAMP", "DATE"):
        return (f"coalesce(TRY_CAST({text} AS {column.type}), "
                f"try_strptime({text}, ?::VARCHAR[])::{column.type})", [UK_TIMESTAMP_FORMATS])
    return f"TRY_CAST({text} AS {column.type})", []


def typed_stage_sql(src: ImportSource, sources: Mapping[str, str]) -> SqlStep:
    """Convert the raw stage to the table's types, keeping the file row number as `__row`."""
    selects, params = ["rowid + 1 AS __row"], []
    for column in src.table.imported_columns:
        if column.name in sources:
            expr, p = _convert(column, quote_ident(sources[column.name]))
            selects.append(f"{expr} AS {quote_ident(column.name)}")
            selects.append(f"{quote_ident(sources[column.name])} AS {quote_ident('__raw_' + column.name)}")
            params += p
    return SqlStep(f"convert {src.path.name}",
                   f"CREATE OR REPLACE TEMP TABLE {quote_ident(_stage_name(src.table, 'typed'))} AS "
                   f"SELECT {', '.join(selects)} FROM {quote_ident(_stage_name(src.table, 'raw'))}",
                   params)


def problems_sql(src: ImportSource, present: list[str], trader_stage: str | None) -> SqlStep:
    """One query listing every problem in a staged file as (row, column, message), first first.

    Args:
        src: the file being checked.
        present: the table's columns the file supplies.
        trader_stage: the typed staging table of traders imported alongside, if any, so child
            rows may point at traders that arrive in the same import.
    """
    spec, typed = src.table, quote_ident(_stage_name(src.table, "typed"))
    checks = []
    for column in spec.imported_columns:
        if column.name not in present:
            continue
        col, raw = quote_ident(column.name), quote_ident("__raw_" + column.name)
        if column.type != "VARCHAR":
            checks.append(
                f"SELECT __row, '{column.name}', "
                f"'''' || left({raw}, 40) || ''' is not {TYPE_WORDS[column.type]}' "
                f"FROM {typed} WHERE {col} IS NULL AND nullif(trim({raw}), '') IS NOT NULL")
        if column.not_null:
            checks.append(f"SELECT __row, '{column.name}', 'is empty but required' "
                          f"FROM {typed} WHERE nullif(trim({raw}), '') IS NULL")
    key = quote_ident(spec.key)
    checks.append(
        f"SELECT __row, '{spec.key}', {key}::VARCHAR || ' repeats row ' || first_row::VARCHAR "
        f"FROM (SELECT __row, {key}, min(__row) OVER (PARTITION BY {key}) AS first_row "
        f"FROM {typed} WHERE {key} IS NOT NULL) WHERE __row > first_row")
    if spec.name == "traders":
        checks.append(
            f"SELECT __row, 'address', 'has ' || len(string_split(address, ','))::VARCHAR "
            f"|| ' comma-separated lines (at most {MAX_ADDRESS_LINES})' FROM {typed} "
            f"WHERE len(string_split(address, ',')) > {MAX_ADDRESS_LINES}")
    if {"start_date", "end_date"} <= set(present):
        checks.append(f"SELECT __row, 'end_date', 'is before start_date' FROM {typed} "
                      f"WHERE end_date < start_date")
    if spec.references_trader:
        known = "SELECT trader_id FROM traders"
        if trader_stage:
            known += f" UNION ALL SELECT trader_id FROM {quote_ident(trader_stage)}"
        checks.append(
            f"SELECT __row, 'trader_id', 'trader ' || trader_id::VARCHAR || "
            f"' is not in the store or this import' FROM {typed} "
            f"WHERE trader_id IS NOT NULL AND trader_id NOT IN ({known})")
    body = "\nUNION ALL\n".join(checks)
    return SqlStep(f"check {src.path.name}",
                   f"SELECT r, c, m, count(*) OVER () FROM ({body}) p(r, c, m) "
                   f"ORDER BY r, c LIMIT 1")


def _resolve_sources(src: ImportSource, file_columns: list[str]) -> dict[str, str]:
    """Map each table column to the file column that feeds it (mapping first, then same name,
    case-insensitively). Raises on a mapped column the file lacks or a missing required column."""
    by_lower = {c.strip().lower(): c for c in file_columns}
    found = ", ".join(file_columns)
    sources = {}
    for target, source in src.column_map.items():
        if source not in file_columns and source.lower() not in by_lower:
            raise ImportValidationError(f"{src.path}: --map {target}={source!r}: the file has no "
                                        f"column {source!r} (columns: {found})")
        sources[target] = source if source in file_columns else by_lower[source.lower()]
    for column in src.table.imported_columns:
        if column.name not in sources and column.name.lower() in by_lower:
            sources[column.name] = by_lower[column.name.lower()]
    missing = [c.name for c in src.table.imported_columns if c.required and c.name not in sources]
    if missing:
        raise ImportValidationError(
            f"{src.path}: header: missing required column{'s' if len(missing) > 1 else ''} "
            f"{', '.join(missing)} (columns found: {found}; use --map {missing[0]}=SOURCE)")
    return sources


def _stage_and_check(runner: Runner, src: ImportSource, trader_stage: str | None) -> list[str]:
    """Stage one file and raise ImportValidationError on its first problem."""
    if not src.path.is_file():
        raise ImportValidationError(f"{src.path}: no such file")
    if src.path.suffix.lower() not in READERS:
        raise ImportValidationError(f"{src.path}: unsupported file type {src.path.suffix!r} "
                                    f"(use .csv or .parquet)")
    try:
        runner.run(stage_file_sql(src))
    except SqlError as exc:
        raise ImportValidationError(f"{src.path}: {_read_error(exc.cause)}") from exc
    raw = quote_ident(_stage_name(src.table, "raw"))
    file_columns = [r[0] for r in runner.fetchall(SqlStep("file columns", f"DESCRIBE {raw}"))]
    sources = _resolve_sources(src, file_columns)
    runner.run(typed_stage_sql(src, sources))
    problem = runner.fetchone(problems_sql(src, list(sources), trader_stage))
    if problem:
        row, column, message, total = problem
        more = f" (and {total - 1} more problem{'s' if total > 2 else ''} in this file)" if total > 1 else ""
        raise ImportValidationError(f"{src.path}: row {row}, column {column}: {message}{more}")
    return list(sources)


def _read_error(cause: Exception) -> str:
    """DuckDB's reader error as one line: the line it failed on and what it expected."""
    lines = [ln.strip() for ln in str(cause).strip().splitlines() if ln.strip()]
    line = re.search(r"CSV Error on Line: (\d+)", lines[0]) if lines else None
    if line:
        detail = next((ln for ln in lines[1:] if not ln.startswith("Original Line")), "")
        counts = re.search(r"Expected Number of Columns: (\d+) Found: (\d+)", detail)
        if counts:  # DuckDB stops counting at the first surplus field, so say only which way
            expected, found = map(int, counts.groups())
            detail = f"{'more' if found > expected else 'fewer'} fields than the header's {expected} columns"
        return f"line {line.group(1)}: cannot read as CSV: {detail}".rstrip(": ")
    return f"cannot read the file: {lines[0] if lines else type(cause).__name__}"


def upsert_sql(spec: TableSpec, present: list[str]) -> SqlStep:
    """Insert new rows and update existing ones (matched on the key) from the typed stage.

    Columns the file does not supply are left as they are on existing rows. For traders,
    `updated_at` moves only when a matching field really changed, so re-importing an unchanged
    extract does not make every record look new to an incremental run.
    """
    table, typed = quote_ident(spec.name), quote_ident(_stage_name(spec, "typed"))
    cols = [c.name for c in spec.imported_columns if c.name in present]
    insert_cols = [quote_ident(c) for c in cols]
    select_cols = list(insert_cols)
    updates = [f"{quote_ident(c)} = excluded.{quote_ident(c)}" for c in cols if c != spec.key]
    if spec.name == "traders":
        insert_cols.append("updated_at")
        select_cols.append("now()::TIMESTAMP")
        changed = " OR ".join(f"traders.{quote_ident(c)} IS DISTINCT FROM excluded.{quote_ident(c)}"
                              for c in MATCH_FIELDS if c in cols)
        updates.append(f"updated_at = CASE WHEN {changed} THEN excluded.updated_at "
                       f"ELSE traders.updated_at END")
    return SqlStep(f"upsert {spec.name}",
                   f"INSERT INTO {table} ({', '.join(insert_cols)}) "
                   f"SELECT {', '.join(select_cols)} FROM {typed} "
                   f"ON CONFLICT ({quote_ident(spec.key)}) DO UPDATE SET {', '.join(updates)}")


def import_files(runner: Runner, sources: list[ImportSource]) -> list[TableImport]:
    """Validate every source, then apply them all in one transaction.

    Raises:
        ImportValidationError: the first problem found; nothing has been written.
    """
    order = {spec.name: i for i, spec in enumerate(IMPORT_TABLES)}
    sources = sorted(sources, key=lambda s: order[s.table.name])
    names = [s.table.name for s in sources]
    if len(set(names)) != len(names):
        raise DedupError("each table may be imported from one file at a time")
    trader_stage = _stage_name(TABLES_BY_NAME["traders"], "typed") if "traders" in names else None
    present = {s.table.name: _stage_and_check(runner, s, trader_stage) for s in sources}

    results = []
    try:
        with runner.transaction("import"):
            for src in sources:
                spec, typed = src.table, quote_ident(_stage_name(src.table, "typed"))
                rows, updated = runner.fetchone(SqlStep(
                    f"count {spec.name} updates",
                    f"SELECT count(*), count(*) FILTER (WHERE {quote_ident(spec.key)} IN "
                    f"(SELECT {quote_ident(spec.key)} FROM {quote_ident(spec.name)})) FROM {typed}"))
                runner.run(upsert_sql(spec, present[spec.name]))
                runner.run(SqlStep("record import",
                                   "INSERT INTO imports SELECT coalesce(max(import_id), 0) + 1, now(), "
                                   "?, ?, ?, ? FROM imports",
                                   (spec.name, os.fspath(src.path), rows - updated, updated)))
                results.append(TableImport(spec.name, os.fspath(src.path), rows, rows - updated, updated))
    finally:
        for src in sources:
            for kind in ("raw", "typed"):
                runner.run(SqlStep("drop stage",
                                   f"DROP TABLE IF EXISTS {quote_ident(_stage_name(src.table, kind))}"))
    return results


def find_sources(directory: Path) -> dict[str, Path]:
    """The table files in a folder, named `<table>.parquet` or `<table>.csv`."""
    found = {}
    for spec in IMPORT_TABLES:
        for suffix in (".parquet", ".csv"):
            path = directory / f"{spec.name}{suffix}"
            if path.is_file():
                found[spec.name] = path
                break
    return found
