"""Creating and filling stores: init, import, synthetic data."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl

from dedup.api._common import PathLike
from dedup.errors import DedupError
from dedup.importer import ImportSource, find_sources, import_files, parse_column_maps, source_folder
from dedup.paths import check_output, check_output_folder, write_error
from dedup.schema import TABLES_BY_NAME
from dedup.store import LATEST_VERSION, Store
from dedup.synth import SCENARIOS, generate, write_tables

__all__ = ["SCENARIOS", "import_data", "init_store", "synthesise"]

#: The columns of one import warning (see `import_data`).
WARNING = pl.Struct({"file": pl.String, "column": pl.String, "rule": pl.String,
                     "rows": pl.Int64, "first_rows": pl.List(pl.Int64)})


def init_store(db: PathLike) -> int:
    """`dedup init`: create a store, or upgrade an existing one; returns its schema version."""
    with Store(db):
        return LATEST_VERSION


def import_data(db: PathLike, *, directory: PathLike | None = None, traders: PathLike | None = None,
                cases: PathLike | None = None, tracks: PathLike | None = None,
                certificates: PathLike | None = None, whitelist: PathLike | None = None,
                users: PathLike | None = None, ts_areas: PathLike | None = None,
                column_map: list[str] | None = None,
                rejects: PathLike | None = None) -> pl.DataFrame:
    """`dedup import`: load CSV / Parquet extracts (the store is created if new).

    All or nothing, unless `rejects` names a CSV file: then the rows that break a rule (and the
    rows depending on them) are written there with the file, row, column and reason, and the
    rest is imported. Rows breaking a rule the source system itself does not enforce (a trader
    address of more than 6 lines) are imported as they are and reported in `warnings`.

    Returns:
        One row per table loaded: table, source, rows (imported), inserted, updated, rejected,
        warnings (a list of file, column, rule, rows, first_rows).
    """
    files: dict[str, Path] = {}
    if directory is not None:
        files.update(find_sources(source_folder(Path(directory))))
    named = {"traders": traders, "cases": cases, "tracks": tracks, "certificates": certificates,
             "whitelist": whitelist, "users": users, "ts_areas": ts_areas}
    files.update({table: Path(p) for table, p in named.items() if p is not None})
    if not files:
        raise DedupError("nothing to import: give a folder or at least one table's file")
    maps = parse_column_maps(column_map or [], list(files))
    if rejects is not None:
        check_output(rejects, "--rejects")  # before the store is opened (or created)
    sources = [ImportSource(TABLES_BY_NAME[t], p, maps[t]) for t, p in files.items()]
    with Store(db) as store:
        results = import_files(store.runner, sources, Path(rejects) if rejects is not None else None)
    return pl.DataFrame([vars(r) for r in results], schema={
        "table": pl.String, "source": pl.String, "rows": pl.Int64, "inserted": pl.Int64,
        "updated": pl.Int64, "rejected": pl.Int64, "warnings": pl.List(WARNING)})


def synthesise(out_dir: PathLike, records: int = 50_000, *, seed: int = 0, file_format: str = "parquet",
               as_of: dt.date | None = None, scenarios: tuple[str, ...] = ()) -> list[Path]:
    """`dedup synth`: write realistic synthetic trader data with ground truth (`truth`) into
    `out_dir`, one file per table; the same seed gives the same files. `scenarios` adds the hard
    scenarios named (any of `SCENARIOS`). Returns the files written."""
    out_dir = check_output_folder(out_dir)
    kwargs = {"as_of": as_of} if as_of else {}
    tables = generate(records, seed=seed, scenarios=tuple(scenarios), **kwargs)
    try:
        return write_tables(tables, out_dir, file_format)
    except OSError as exc:
        raise write_error(exc.filename or out_dir, exc) from exc
