"""Commands that create and fill the store: init, import."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from dedup import api
from dedup.api import DedupError
from dedup_cli._app import CsvOption, DbOption, JsonOption, app, emit_rows, err, handled


@app.command()
@handled
def init(db: DbOption = None):
    """Create a store, or upgrade an existing one to the current schema."""
    path = api.resolve_db_path(db)
    version = api.init_store(path)
    err.print(f"{path}: store ready (schema version {version})")


@app.command("import")
@handled
def import_(
    db: DbOption = None,
    directory: Annotated[Optional[Path], typer.Option(
        "--dir", help="A folder of <table>.parquet or <table>.csv files (traders, cases, tracks, "
                      "certificates, whitelist, users, ts_areas); loads each one present.")] = None,
    traders: Annotated[Optional[Path], typer.Option(help="Traders file (.csv or .parquet).")] = None,
    cases: Annotated[Optional[Path], typer.Option(help="Cases file.")] = None,
    tracks: Annotated[Optional[Path], typer.Option(help="Tracks file.")] = None,
    certificates: Annotated[Optional[Path], typer.Option(help="Certificates file.")] = None,
    whitelist: Annotated[Optional[Path], typer.Option(help="Whitelist file.")] = None,
    users: Annotated[Optional[Path], typer.Option(help="Users file (who is who: user_id, role, ...).")] = None,
    ts_areas: Annotated[Optional[Path], typer.Option(
        "--ts-areas", help="TS areas file (postcode_prefix, ts_id, ts_name).")] = None,
    column_map: Annotated[Optional[list[str]], typer.Option(
        "--map", help="TARGET=SOURCE: read column TARGET from the file's column SOURCE, e.g. "
                      "--map name=\"Site name\". Name the table (traders.name=...) when importing "
                      "several files. Repeatable.")] = None,
    rejects: Annotated[Optional[Path], typer.Option(
        "--rejects", help="For the unattended job: write every row that breaks a rule (and every "
                          "row depending on one, such as a case of a rejected trader) to this CSV "
                          "file with its file, row, column and reason, import everything else, "
                          "and exit 3 if any row was rejected.")] = None,
    as_json: JsonOption = False,
    as_csv: CsvOption = False,
):
    """Load extracts into the store: new keys are added, existing keys updated.

    All files are checked first; a problem stops the import with one line naming the file, row
    and column, and nothing is written (exit 1) - unless --rejects is given: then rejected rows
    go to that file, the rest is imported in one transaction, and the exit code is 3 when rows
    were rejected. Child rows (cases, tracks, certificates, whitelist) must point at a trader in
    the store or in the same import. Rows breaking a rule the source system does not enforce (a
    trader address of more than 6 lines, an end date before the start) are imported as they are,
    with one warning line per rule on stderr.
    """
    if as_json and as_csv:
        raise DedupError("give at most one of --json and --csv")
    named = {"traders": traders, "cases": cases, "tracks": tracks, "certificates": certificates,
             "whitelist": whitelist, "users": users, "ts_areas": ts_areas}
    if directory is None and not any(named.values()):
        raise DedupError("nothing to import: give --dir or at least one of --traders, --cases, "
                         "--tracks, --certificates, --whitelist, --users, --ts-areas")
    frame = api.import_data(api.resolve_db_path(db), directory=directory, column_map=column_map,
                        rejects=rejects, **named)
    results = frame.to_dicts()
    for r in results:
        for warning in r["warnings"]:
            err.print(f"warning: {api.warning_line(warning)}", markup=False)
    if not emit_rows(frame, as_json, as_csv):
        for r in results:
            rejected = f"  {r['rejected']:>8,} rejected" if rejects is not None else ""
            typer.echo(f"{r['table']:<13} {r['rows']:>10,} rows  {r['inserted']:>10,} new  "
                       f"{r['updated']:>10,} updated{rejected}  from {r['source']}")
    rejected = sum(r["rejected"] for r in results)
    if rejected:
        err.print(f"imported with rejects: {rejected:,} row{'s' if rejected != 1 else ''} "
                  f"written to {rejects}", markup=False)
        raise typer.Exit(code=3)
