"""`dedup import`'s staging and checks: each file is read by DuckDB's own reader into a text
staging table (so a bad value can be reported as the user typed it), converted column by column
with TRY_CAST, and checked in one set-based query that lists every problem (`checks`: errors for
the store's integrity, warnings for the source system's own rules). `dedup.importer` runs them
and writes what passes.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from dedup.errors import ImportValidationError
from dedup.schema import TABLES_BY_NAME, Column, TableSpec
from dedup.sql import SqlStep, quote_ident
from dedup.tables import StageTables

READERS = {".csv": "read_csv", ".parquet": "read_parquet", ".pq": "read_parquet"}
# Dates are accepted as ISO (what DuckDB casts) or as UK day-first text, as the case system shows them.
UK_TIMESTAMP_FORMATS = ["%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y"]
TYPE_WORDS = {"BIGINT": "a whole number", "TIMESTAMP": "a date-time", "DATE": "a date",
              "DOUBLE": "a number", "BOOLEAN": "true or false"}
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



def stage_name(spec: TableSpec, kind: str) -> str:
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
    stage = quote_ident(stage_name(src.table, "raw"))
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
        return (f"upper(replace({text}, ' ', ''))" if column.compact else text), []
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
                   f"CREATE OR REPLACE TEMP TABLE {quote_ident(stage_name(src.table, 'typed'))} AS "
                   f"SELECT {', '.join(selects)} FROM {quote_ident(stage_name(src.table, 'raw'))}",
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


def accepted_query(spec: TableSpec) -> str:
    """SQL: the rows of the typed stage that break no error rule."""
    return (f"SELECT * FROM {quote_ident(stage_name(spec, 'typed'))} "
            f"WHERE __row NOT IN (SELECT row FROM {quote_ident(stage_name(spec, 'problems'))} "
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
        found += _value_checks(column)
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
    if spec.name == "users" and "role" in present:
        ts_id = "ts_id IS NULL" if "ts_id" in present else "TRUE"
        found.append(Check("ts_id", f"role = 'ts' AND {ts_id}",
                           "'is empty: a ts user needs the ts_id of their Trading Standards service'",
                           "a ts user without a ts_id"))
    if spec.references_trader:
        traders = TABLES_BY_NAME["traders"]
        known = "SELECT trader_id FROM traders"
        rejected = "SELECT NULL::BIGINT WHERE FALSE"
        if with_traders:
            known += f" UNION ALL SELECT trader_id FROM ({accepted_query(traders)})"
            rejected = f"SELECT trader_id FROM {quote_ident(stage_name(traders, 'typed'))}"
        found.append(Check(
            "trader_id", f"trader_id IS NOT NULL AND trader_id NOT IN ({known})",
            f"'trader ' || trader_id::VARCHAR || CASE WHEN trader_id IN ({rejected}) "
            f"THEN ' is rejected from this import' ELSE ' is not in the store or this import' END",
            "a trader that is not in the store or this import"))
    return found


def _value_checks(column: Column) -> list[Check]:
    """A column's own rules on its values: one of its `choices`, a match of its `pattern`."""
    col, raw = quote_ident(column.name), quote_ident("__raw_" + column.name)
    quoted = f"'''' || left({raw}, 40) || ''''"
    found = []
    if column.choices:
        listed = ", ".join(_literal(c) for c in column.choices)
        words = f"one of {', '.join(column.choices)}"
        found.append(Check(column.name, f"{col} IS NOT NULL AND {col} NOT IN ({listed})",
                           f"{quoted} || {_literal(' is not ' + words)}", f"a value that is not {words}"))
    if column.pattern:
        found.append(Check(column.name, f"{col} IS NOT NULL AND NOT regexp_full_match({col}, "
                                        f"{_literal(column.pattern)})",
                           f"{quoted} || {_literal(' is not ' + column.pattern_words)}",
                           f"a value that is not {column.pattern_words}"))
    return found


def problems_sql(src: ImportSource, present: list[str], with_traders: bool) -> SqlStep:
    """`__dedup__problems_<table>`: every problem in a staged file (row, column, reason, rule,
    warning), in one set-based query.

    A repeated key is a problem on each of its rows: the first names the next row with the key
    (`__repeat`), the others the first.
    """
    spec, typed = src.table, quote_ident(stage_name(src.table, "typed"))
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
                   f"CREATE OR REPLACE TEMP TABLE {quote_ident(stage_name(spec, 'problems'))} AS "
                   f"WITH __staged AS ({staged}) "
                   f"SELECT * FROM ({body}) p(row, \"column\", reason, rule, warning)")


def resolve_sources(src: ImportSource, file_columns: list[str]) -> dict[str, str]:
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
