"""`dedup import`: load CSV or Parquet extracts into the store, all or nothing, or with rejects.

Each file is staged and checked set-based (`dedup.import_checks`). Then, in one transaction, rows
whose key exists are updated and new rows added. By default any error leaves the store exactly as
it was; with a rejects file, the rows with errors (and the rows that depend on them) go to that
file and the rest is imported.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from dedup.errors import DedupError, ImportValidationError, SqlError
from dedup.import_checks import (
    MATCH_FIELDS,
    READERS,
    Check,
    ImportSource,
    accepted_query,
    problems_sql,
    resolve_sources,
    stage_file_sql,
    stage_name,
    typed_stage_sql,
)
from dedup.paths import check_output, write_error
from dedup.schema import IMPORT_TABLES, TABLES_BY_NAME, TableSpec
from dedup.sql import Runner, SqlStep, quote_ident

__all__ = ["Check", "ImportSource", "TableImport", "find_sources", "import_files", "parse_column_maps",
           "source_folder", "warning_line"]

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


def check_input(path: Path) -> None:
    """Refuse what cannot be a file to import: nothing there, a folder, another kind of file."""
    if path.is_dir():
        raise ImportValidationError(f"{path}: is a folder, expected a .csv or .parquet file")
    if not path.is_file():
        raise ImportValidationError(f"{path}: no such file")
    if path.suffix.lower() not in READERS:
        raise ImportValidationError(f"{path}: unsupported file type {path.suffix!r} "
                                    f"(use .csv or .parquet)")


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
    raw = quote_ident(stage_name(src.table, "raw"))
    file_columns = [r[0] for r in runner.fetchall(SqlStep("file columns", f"DESCRIBE {raw}"))]
    sources = resolve_sources(src, file_columns)
    runner.run(typed_stage_sql(src, sources))
    runner.run(problems_sql(src, list(sources), with_traders))
    return _Staged(src, list(sources), file_columns)


def _raise_first_error(runner: Runner, staged: _Staged) -> None:
    """ImportValidationError naming the file's first error (by row, then column), if any."""
    problem = runner.fetchone(SqlStep(
        f"first problem in {staged.src.path.name}",
        f"SELECT row, \"column\", reason, count(*) OVER () "
        f"FROM {quote_ident(stage_name(staged.src.table, 'problems'))} WHERE NOT warning "
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
        f"FROM {quote_ident(stage_name(staged.src.table, 'problems'))} WHERE warning "
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
        raw = quote_ident(stage_name(st.src.table, "raw"))
        values = "".join(f", r.{quote_ident(c)} AS "
                         f"{quote_ident('value_' + c if c in REJECT_COLUMNS else c)}"
                         for c in st.file_columns)
        parts.append(f"SELECT ?::VARCHAR AS file, p.row, p.\"column\", p.reason{values}, "
                     f"{order} AS __file_order "
                     f"FROM {quote_ident(stage_name(st.src.table, 'problems'))} p "
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
                   f"SELECT {', '.join(select_cols)} FROM ({accepted_query(spec)}) "
                   f"ON CONFLICT ({quote_ident(spec.key)}) "
                   + (f"DO UPDATE SET {', '.join(updates)}" if updates else "DO NOTHING"))


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
        check_output(rejects, "--rejects")
    results = []
    try:
        staged = []
        for src in sources:
            staged.append(_stage_and_check(runner, src, "traders" in names))
            if rejects is None:
                _raise_first_error(runner, staged[-1])
        with runner.transaction("import"):
            for st in staged:
                spec, typed = st.src.table, quote_ident(stage_name(st.src.table, "typed"))
                rows, updated, rejected = runner.fetchone(SqlStep(
                    f"count {spec.name} updates",
                    f"SELECT count(*), count(*) FILTER (WHERE {quote_ident(spec.key)} IN "
                    f"(SELECT {quote_ident(spec.key)} FROM {quote_ident(spec.name)})), "
                    f"(SELECT count(*) FROM {typed}) - count(*) FROM ({accepted_query(spec)})"))
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
                                   f"DROP TABLE IF EXISTS {quote_ident(stage_name(src.table, kind))}"))
    return results


def _write_rejects(frame, path: Path) -> None:
    try:
        frame.write_csv(path)
    except OSError as exc:
        raise write_error(path, exc, "--rejects") from exc


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
