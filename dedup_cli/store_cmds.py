"""Commands that create and fill the store: init, import."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from dedup.errors import DedupError
from dedup_cli._app import (
    DbOption,
    JsonOption,
    app,
    err,
    handled,
)


@app.command()
@handled
def init(db: DbOption = None):
    """Create a store, or upgrade an existing one to the current schema."""
    from dedup.store import LATEST_VERSION, Store, resolve_db_path

    path = resolve_db_path(db)
    with Store(path):
        err.print(f"{path}: store ready (schema version {LATEST_VERSION})")


@app.command("import")
@handled
def import_(
    db: DbOption = None,
    directory: Annotated[Optional[Path], typer.Option(
        "--dir", help="A folder of <table>.parquet or <table>.csv files (traders, cases, tracks, "
                      "certificates, whitelist); loads each one present.")] = None,
    traders: Annotated[Optional[Path], typer.Option(help="Traders file (.csv or .parquet).")] = None,
    cases: Annotated[Optional[Path], typer.Option(help="Cases file.")] = None,
    tracks: Annotated[Optional[Path], typer.Option(help="Tracks file.")] = None,
    certificates: Annotated[Optional[Path], typer.Option(help="Certificates file.")] = None,
    whitelist: Annotated[Optional[Path], typer.Option(help="Whitelist file.")] = None,
    column_map: Annotated[Optional[list[str]], typer.Option(
        "--map", help="TARGET=SOURCE: read column TARGET from the file's column SOURCE, e.g. "
                      "--map name=\"Site name\". Name the table (traders.name=...) when importing "
                      "several files. Repeatable.")] = None,
    as_json: JsonOption = False,
):
    """Load extracts into the store: new keys are added, existing keys updated.

    All files are checked first; a problem stops the import with one line naming the file, row
    and column, and nothing is written. Child rows (cases, tracks, certificates, whitelist) must
    point at a trader in the store or in the same import.
    """
    from dedup.importer import ImportSource, find_sources, import_files, parse_column_maps
    from dedup.schema import TABLES_BY_NAME
    from dedup.store import Store, resolve_db_path

    files = find_sources(directory) if directory else {}
    if directory and not directory.is_dir():
        raise DedupError(f"--dir {directory}: no such folder")
    named = {"traders": traders, "cases": cases, "tracks": tracks,
             "certificates": certificates, "whitelist": whitelist}
    files.update({table: path for table, path in named.items() if path is not None})
    if not files:
        raise DedupError("nothing to import: give --dir or at least one of --traders, --cases, "
                         "--tracks, --certificates, --whitelist")
    maps = parse_column_maps(column_map or [], list(files))
    sources = [ImportSource(TABLES_BY_NAME[t], p, maps[t]) for t, p in files.items()]
    path = resolve_db_path(db)
    with Store(path) as store:
        results = import_files(store.runner, sources)
    if as_json:
        typer.echo(json.dumps([vars(r) for r in results], indent=2))
    else:
        for r in results:
            typer.echo(f"{r.table:<13} {r.rows:>10,} rows  {r.inserted:>10,} new  "
                       f"{r.updated:>10,} updated  from {r.source}")

