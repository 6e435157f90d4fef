"""`dedup import`: load CSV or Parquet extracts into the store, all or nothing, or with rejects.

Each file is read by DuckDB's own reader into a text staging table (so a bad value can be reported
as the user typed it), converted column by column with TRY_CAST, and checked in one set-based
query that lists every problem (`checks`: errors for the store's integrity, warnings for the
source system's own rules). Then, in one transaction, rows whose key exists are updated and new
rows added. By default any error leaves the store exactly as it was; with a rejects file, the
rows with errors (and the rows that depend on them) go to that file and the rest is imported.
"""

from __future__ import annotations

import csv
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from dedup.errors import DedupError, ImportValidationError, SqlError
from dedup.schema import IMPORT_TABLES, TABLES_BY_NAME, Column, TableSpec
from dedup.sql import Runner, SqlStep, quote_ident
from dedup.tables import StageTables

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
    """What one file's import did.

    Args:
        rows: rows imported (inserted + updated).
        rejected: rows written to the rejects file instead.
        warnings: one dict per warning rule the file broke (file, column, rule, rows,
            first_rows); those rows are imported as they are.
    """

    table: str
    source: str
    rows: int
    inserted: int
    updated: int
    rejected: int = 0
    warnings: list[dict] = field(default_factory=list)


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
    return StageTables().import_stage(kind, spec.name)


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


#: A key or trader reference as text: digits, optionally followed by a whole ".0" (a Parquet file
#: written from a float column carries them). Its value must also be above zero.
WHOLE_NUMBER = r"\+?[0-9]+(\.0*)?"


def is_identifier(spec: TableSpec, column: Column) -> bool:
    """A key or a trader reference: a positive whole number (a trader's is an 8-digit reference)."""
    return column.type == "BIGINT" and column.name in (spec.key, "trader_id")


def _convert(spec: TableSpec, column: Column, raw: str) -> tuple[str, list]:
    """SQL turning raw text into the column's type; unparseable text becomes NULL."""
    text = f"nullif(trim({raw}), '')"
    if column.type == "VARCHAR":
        return text, []
    if is_identifier(spec, column):  # zero (the one whole number that is not positive) -> NULL
        return (f"CASE WHEN regexp_full_match({text}, ?) "
                f"THEN nullif(TRY_CAST(split_part({text}, '.', 1) AS BIGINT), 0) END", [WHOLE_NUMBER])
    if column.type in ("TIMESTAMP", "DATE"):
        return (f"coalesce(TRY_CAST({text} AS {column.type}), "
                f"try_strptime({text}, ?::VARCHAR[])::{column.type})", [UK_TIMESTAMP_FORMATS])
    return f"TRY_CAST({text} AS {column.type})", []


def typed_stage_sql(src: ImportSource, sources: Mapping[str, str]) -> SqlStep:
    """Convert the raw stage to the table's types, keeping the file row number as `__row`."""
    selects, params = ["rowid + 1 AS __row"], []
    for column in src.table.imported_columns:
        if column.name in sources:
            expr, p = _convert(src.table, column, quote_ident(sources[column.name]))
            selects.append(f"{expr} AS {quote_ident(column.name)}")
            selects.append(f"{quote_ident(sources[column.name])} AS {quote_ident('__raw_' + column.name)}")
            params += p
    return SqlStep(f"convert {src.path.name}",
                   f"CREATE OR REPLACE TEMP TABLE {quote_ident(_stage_name(src.table, 'typed'))} AS "
                   f"SELECT {', '.join(selects)} FROM {quote_ident(_stage_name(src.table, 'raw'))}",
                   params)


@dataclass(frozen=True)
class Check:
    """One rule over a typed stage: the rows where `where` holds break it.

    Args:
        column: the column the message names.
        where: SQL condition over the staged row (the typed stage's columns, plus `__repeat`).
        reason: SQL text expression: the message for one row.
        rule: what the rule says, for a warning's one summary line.
        warning: a rule the source system does not enforce itself: the row is imported as it is
            and counted in a warning. Otherwise an error: the import stops (or, with a rejects
            file, the row is rejected).
    """

    column: str
    where: str
    reason: str
    rule: str
    warning: bool = False


def _literal(text: str) -> str:
    """A SQL string literal of the engine's own fixed text (never a value from a file)."""
    return "'" + text.replace("'", "''") + "'"


def _accepted_sql(spec: TableSpec) -> str:
    """SQL: the rows of the typed stage that break no error rule."""
    return (f"SELECT * FROM {quote_ident(_stage_name(spec, 'typed'))} "
            f"WHERE __row NOT IN (SELECT row FROM {quote_ident(_stage_name(spec, 'problems'))} "
            f"WHERE NOT warning)")


def checks(spec: TableSpec, present: list[str], with_traders: bool) -> list[Check]:
    """Every rule a staged file must keep.

    Errors guard the store's integrity: a row it could not hold exactly (a value of the wrong
    type), could not identify (a key that is empty, not a positive whole number, or repeated in
    the file), that would point at no trader, or that lacks what the engine cannot do without (a
    trader's name, a track's or certificate's owning TS). Warnings are the source system's own
    rules that its older records break and the engine does not need: a trader address of more
    than 6 lines, an end date before its start date (such a track is never active).

    Args:
        spec: the table.
        present: the table's columns the file supplies.
        with_traders: traders are imported alongside (their typed stage and problems exist), so
            child rows may point at traders arriving in the same import, but not at rejected ones.
    """
    found = []
    for column in spec.imported_columns:
        if column.name not in present:
            continue
        col, raw = quote_ident(column.name), quote_ident("__raw_" + column.name)
        if column.type != "VARCHAR":
            words = ("a positive whole number" if is_identifier(spec, column)
                     else TYPE_WORDS[column.type])
            found.append(Check(column.name, f"{col} IS NULL AND nullif(trim({raw}), '') IS NOT NULL",
                               f"'''' || left({raw}, 40) || ''' is not {words}'",
                               f"a value that is not {words}"))
        if column.not_null:
            found.append(Check(column.name, f"nullif(trim({raw}), '') IS NULL",
                               "'is empty but required'", "an empty required value"))
    key = quote_ident(spec.key)
    found.append(Check(spec.key, "__repeat IS NOT NULL",
                       f"{key}::VARCHAR || CASE WHEN __row < __repeat THEN ' is repeated on row ' "
                       f"ELSE ' repeats row ' END || __repeat::VARCHAR",
                       "a key repeated in the file"))
    if spec.name == "traders" and "address" in present:
        found.append(Check(
            "address", f"len(string_split(address, ',')) > {MAX_ADDRESS_LINES}",
            f"'has ' || len(string_split(address, ','))::VARCHAR "
            f"|| ' comma-separated lines (at most {MAX_ADDRESS_LINES})'",
            f"an address of more than {MAX_ADDRESS_LINES} comma-separated lines", warning=True))
    if {"start_date", "end_date"} <= set(present):
        found.append(Check("end_date", "end_date < start_date", "'is before start_date'",
                           "an end_date before its start_date (never active)", warning=True))
    if spec.references_trader:
        traders = TABLES_BY_NAME["traders"]
        known = "SELECT trader_id FROM traders"
        rejected = "SELECT NULL::BIGINT WHERE FALSE"
        if with_traders:
            known += f" UNION ALL SELECT trader_id FROM ({_accepted_sql(traders)})"
            rejected = f"SELECT trader_id FROM {quote_ident(_stage_name(traders, 'typed'))}"
        found.append(Check(
            "trader_id", f"trader_id IS NOT NULL AND trader_id NOT IN ({known})",
            f"'trader ' || trader_id::VARCHAR || CASE WHEN trader_id IN ({rejected}) "
            f"THEN ' is rejected from this import' ELSE ' is not in the store or this import' END",
            "a trader that is not in the store or this import"))
    return found


def problems_sql(src: ImportSource, present: list[str], with_traders: bool) -> SqlStep:
    """`__dedup__problems_<table>`: every problem in a staged file (row, column, reason, rule,
    warning), in one set-based query.

    A repeated key is a problem on each of its rows: the first names the next row with the key
    (`__repeat`), the others the first.
    """
    spec, typed = src.table, quote_ident(_stage_name(src.table, "typed"))
    key = quote_ident(spec.key)
    # Keys on more than one row (a GROUP BY, so a file without repeats costs one hash pass).
    repeats = (f"SELECT {key}, min(__row) AS __first, list(__row ORDER BY __row)[2] AS __second "
               f"FROM {typed} WHERE {key} IS NOT NULL GROUP BY {key} HAVING count(*) > 1")
    staged = (f"SELECT t.*, CASE WHEN t.__row = r.__first THEN r.__second ELSE r.__first END "
              f"AS __repeat FROM {typed} t LEFT JOIN ({repeats}) r USING ({key})")
    body = "\nUNION ALL\n".join(
        f"SELECT __row, {_literal(c.column)}, {c.reason}, {_literal(c.rule)}, {c.warning} "
        f"FROM __staged WHERE {c.where}" for c in checks(spec, present, with_traders))
    return SqlStep(f"check {src.path.name}",
                   f"CREATE OR REPLACE TEMP TABLE {quote_ident(_stage_name(spec, 'problems'))} AS "
                   f"WITH __staged AS ({staged}) "
                   f"SELECT * FROM ({body}) p(row, \"column\", reason, rule, warning)")


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


def check_input(path: Path) -> None:
    """Refuse what cannot be a file to import: nothing there, a folder, another kind of file."""
    if path.is_dir():
        raise ImportValidationError(f"{path}: is a folder, expected a .csv or .parquet file")
    if not path.is_file():
        raise ImportValidationError(f"{path}: no such file")
    if path.suffix.lower() not in READERS:
        raise ImportValidationError(f"{path}: unsupported file type {path.suffix!r} "
                                    f"(use .csv or .parquet)")


def check_output(path: Path) -> None:
    """Refuse an output file that cannot be written, before any work is done."""
    if path.is_dir():
        raise DedupError(f"{path}: is a folder, expected a file to write")
    if not path.parent.is_dir():
        raise DedupError(f"{path}: no such folder {path.parent}")


@dataclass(frozen=True)
class _Staged:
    """A file read into its stages: the table columns it supplies, its own columns as read."""

    src: ImportSource
    present: list[str]
    file_columns: list[str]


def _stage_and_check(runner: Runner, src: ImportSource, with_traders: bool) -> _Staged:
    """Stage one file and list its problems; raise ImportValidationError on a problem with the
    file as a whole (unreadable, a folder, a required column missing)."""
    check_input(src.path)
    try:
        runner.run(stage_file_sql(src))
    except SqlError as exc:
        raise ImportValidationError(f"{src.path}: {_read_error(exc.cause)}") from exc
    raw = quote_ident(_stage_name(src.table, "raw"))
    file_columns = [r[0] for r in runner.fetchall(SqlStep("file columns", f"DESCRIBE {raw}"))]
    sources = _resolve_sources(src, file_columns)
    runner.run(typed_stage_sql(src, sources))
    runner.run(problems_sql(src, list(sources), with_traders))
    return _Staged(src, list(sources), file_columns)


def _raise_first_error(runner: Runner, staged: _Staged) -> None:
    """ImportValidationError naming the file's first error (by row, then column), if any."""
    problem = runner.fetchone(SqlStep(
        f"first problem in {staged.src.path.name}",
        f"SELECT row, \"column\", reason, count(*) OVER () "
        f"FROM {quote_ident(_stage_name(staged.src.table, 'problems'))} WHERE NOT warning "
        f"ORDER BY row, \"column\" LIMIT 1"))
    if problem:
        row, column, message, total = problem
        more = f" (and {total - 1} more problem{'s' if total > 2 else ''} in this file)" if total > 1 else ""
        raise ImportValidationError(f"{staged.src.path}: row {row}, column {column}: {message}{more}")


#: How many of a warning's rows it names; its count covers them all.
WARNING_ROWS = 5


def _warnings(runner: Runner, staged: _Staged) -> list[dict]:
    """One entry per warning rule a file breaks: file, column, rule, rows (count), first_rows."""
    rows = runner.fetchall(SqlStep(
        f"warnings in {staged.src.path.name}",
        f"SELECT \"column\", rule, count(*), list(row ORDER BY row)[1:{WARNING_ROWS}] "
        f"FROM {quote_ident(_stage_name(staged.src.table, 'problems'))} WHERE warning "
        f"GROUP BY \"column\", rule ORDER BY min(row)"))
    return [{"file": os.fspath(staged.src.path), "column": column, "rule": rule, "rows": count,
             "first_rows": list(first)} for column, rule, count, first in rows]


def warning_line(warning: dict) -> str:
    """A warning as one line for people: file, count, rule and its first rows."""
    count, first = warning["rows"], ", ".join(map(str, warning["first_rows"]))
    more = ", ..." if count > len(warning["first_rows"]) else ""
    plural = "s" if count != 1 else ""
    return (f"{warning['file']}: {count:,} row{plural} with {warning['rule']} (column "
            f"{warning['column']}), imported as they are: row{plural} {first}{more}")


#: The rejects file's own columns; a file's column of the same name is written `value_<name>`.
REJECT_COLUMNS = ("file", "row", "column", "reason")


def rejects_sql(staged: list[_Staged]) -> SqlStep:
    """Every rejected row, once per error rule it breaks, with its values as read from the file;
    files in import order, then by row."""
    parts = []
    for order, st in enumerate(staged):
        raw = quote_ident(_stage_name(st.src.table, "raw"))
        values = "".join(f", r.{quote_ident(c)} AS "
                         f"{quote_ident('value_' + c if c in REJECT_COLUMNS else c)}"
                         for c in st.file_columns)
        parts.append(f"SELECT ?::VARCHAR AS file, p.row, p.\"column\", p.reason{values}, "
                     f"{order} AS __file_order "
                     f"FROM {quote_ident(_stage_name(st.src.table, 'problems'))} p "
                     f"JOIN (SELECT rowid + 1 AS __row, * FROM {raw}) r ON r.__row = p.row "
                     f"WHERE NOT p.warning")
    return SqlStep("rejected rows",
                   "SELECT * EXCLUDE (__file_order) FROM (" + " UNION ALL BY NAME ".join(parts)
                   + ") ORDER BY __file_order, row, \"column\"",
                   [os.fspath(st.src.path) for st in staged])


def upsert_sql(spec: TableSpec, present: list[str]) -> SqlStep:
    """Insert new rows and update existing ones (matched on the key) from the typed stage's rows
    that break no error rule.

    Columns the file does not supply are left as they are on existing rows. For traders,
    `updated_at` moves only when a matching field really changed, so re-importing an unchanged
    extract does not make every record look new to an incremental run.
    """
    table = quote_ident(spec.name)
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
                   f"SELECT {', '.join(select_cols)} FROM ({_accepted_sql(spec)}) "
                   f"ON CONFLICT ({quote_ident(spec.key)}) DO UPDATE SET {', '.join(updates)}")


def import_files(runner: Runner, sources: list[ImportSource],
                 rejects: Path | None = None) -> list[TableImport]:
    """Check every source, then apply them all in one transaction.

    Without `rejects`, all or nothing: the first error stops the import. With it, the rows that
    break an error rule, and the child rows pointing at a new trader rejected so, are written to
    the CSV file `rejects` (file, row, column, reason, then the row's values; header only when
    there are none) and everything else is imported. Either way a problem with a file as a whole
    (unreadable, a folder, a required column missing) stops the import, and warnings (see
    `checks`) never do: they come back on each TableImport.

    Raises:
        ImportValidationError: the first problem found; nothing has been written.
    """
    order = {spec.name: i for i, spec in enumerate(IMPORT_TABLES)}
    sources = sorted(sources, key=lambda s: order[s.table.name])
    names = [s.table.name for s in sources]
    if len(set(names)) != len(names):
        raise DedupError("each table may be imported from one file at a time")
    if rejects is not None:
        check_output(rejects)
    results = []
    try:
        staged = []
        for src in sources:
            staged.append(_stage_and_check(runner, src, "traders" in names))
            if rejects is None:
                _raise_first_error(runner, staged[-1])
        with runner.transaction("import"):
            for st in staged:
                spec, typed = st.src.table, quote_ident(_stage_name(st.src.table, "typed"))
                rows, updated, rejected = runner.fetchone(SqlStep(
                    f"count {spec.name} updates",
                    f"SELECT count(*), count(*) FILTER (WHERE {quote_ident(spec.key)} IN "
                    f"(SELECT {quote_ident(spec.key)} FROM {quote_ident(spec.name)})), "
                    f"(SELECT count(*) FROM {typed}) - count(*) FROM ({_accepted_sql(spec)})"))
                warnings = _warnings(runner, st)
                runner.run(upsert_sql(spec, st.present))
                runner.run(SqlStep("record import",
                                   "INSERT INTO imports SELECT coalesce(max(import_id), 0) + 1, now(), "
                                   "?, ?, ?, ? FROM imports",
                                   (spec.name, os.fspath(st.src.path), rows - updated, updated)))
                results.append(TableImport(spec.name, os.fspath(st.src.path), rows, rows - updated,
                                           updated, rejected, warnings))
            if rejects is not None:  # inside the transaction: a file that cannot be written undoes it
                _write_rejects(runner.frame(rejects_sql(staged)), rejects)
    finally:
        for src in sources:
            for kind in ("raw", "typed", "problems"):
                runner.run(SqlStep("drop stage",
                                   f"DROP TABLE IF EXISTS {quote_ident(_stage_name(src.table, kind))}"))
    return results


def _write_rejects(frame, path: Path) -> None:
    try:
        frame.write_csv(path)
    except OSError as exc:
        raise DedupError(f"{path}: cannot write the rejects file: {exc.strerror or exc}") from exc


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


def source_folder(directory: Path) -> Path:
    """`directory`, refused with one line unless it is a folder."""
    if directory.is_file():
        raise DedupError(f"{directory}: is a file, expected a folder of <table>.csv or "
                         f"<table>.parquet files")
    if not directory.is_dir():
        raise DedupError(f"{directory}: no such folder")
    return directory


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
