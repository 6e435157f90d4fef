"""The `dedup` command line: parse options, call the core, format output.

Data goes to stdout (tables, JSON, CSV); messages for people go to stderr. Exit codes: 0 success,
1 a handled error (one line on stderr, the store as it was), 2 a usage error.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import logging
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console

from dedup.errors import DedupError

app = typer.Typer(
    name="dedup",
    help="Find and merge duplicate trader records in a consumer-advice trader database.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,  # locals would hold trader records
    add_completion=False,
)
err = Console(stderr=True, highlight=False)

DbOption = Annotated[Optional[Path], typer.Option(
    "--db", help="The store (a DuckDB file). Default: $DEDUP_DB, else ./traders.duckdb.",
    show_default=False)]
SilentOption = Annotated[bool, typer.Option("--silent", "-s", help="No progress display.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the result as JSON on stdout.")]


class FileFormat(str, Enum):
    parquet = "parquet"
    csv = "csv"


def handled(func):
    """Turn a DedupError into one line on stderr and exit code 1."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except DedupError as exc:
            err.print(f"error: {exc}", markup=False, soft_wrap=True)
            raise typer.Exit(code=1) from None
    return wrapper


def _show_progress(silent: bool) -> bool:
    return not silent and sys.stderr.isatty()


class StageProgress:
    """A spinner per pipeline stage on stderr, only on a terminal."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.status = None

    def __call__(self, stage: str, event: str) -> None:
        if not self.enabled:
            return
        if event == "start":
            self.status = err.status(f"{stage}…")
            self.status.start()
        elif self.status is not None:
            self.status.stop()
            err.print(f"[green]✓[/green] {stage}")


@app.callback()
def main(verbose: Annotated[bool, typer.Option("--verbose", "-v",
                                                help="Log every SQL step to stderr.")] = False):
    """Find and merge duplicate trader records.

    Start with `dedup demo`. A typical night: `dedup import --dir extract/` then `dedup run`.
    Exit codes: 0 success, 1 handled error (message on stderr), 2 usage error.
    """
    logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING, stream=sys.stderr,
                        format="%(name)s: %(message)s")


def _parse_date(value: Optional[str], option: str) -> Optional[dt.date]:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise DedupError(f"{option} {value!r}: expected a date as YYYY-MM-DD") from None


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


@app.command()
@handled
def synth(
    out_dir: Annotated[Path, typer.Argument(help="Folder to write the tables into (created).")],
    records: Annotated[int, typer.Option("--records", "-n", min=1,
                                         help="Number of trader records.")] = 50_000,
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same data.")] = 0,
    file_format: Annotated[FileFormat, typer.Option("--format", help="File format.")] = FileFormat.parquet,
    as_of: Annotated[Optional[str], typer.Option(
        help="Reference date (YYYY-MM-DD) for created/active dates. Default 2026-11-01.")] = None,
):
    """Generate realistic synthetic UK trader data with ground truth.

    Writes traders, cases, tracks, certificates, whitelist and truth (trader_id, entity_id).
    Branches of a chain and different units in one building are different entities.
    """
    from dedup.synth import generate, write_tables

    kwargs = {"as_of": _parse_date(as_of, "--as-of")} if as_of else {}
    tables = generate(records, seed=seed, **kwargs)
    for path in write_tables(tables, out_dir, file_format.value):
        err.print(f"wrote {path}")


def _print_summary(summary: dict) -> None:
    """The run summary as readable text on stdout."""
    lines = [
        ("records", summary["records"]),
        ("candidate pairs", summary["candidate_pairs"]),
        *((f"  by {rule}", n) for rule, n in summary["pairs_by_rule"].items()),
        ("pairs in merge band", summary["pairs_merge_band"]),
        ("pairs in review band", summary["pairs_review_band"]),
        ("clusters to merge", summary["clusters"]),
        ("largest cluster", summary["largest_cluster"]),
        ("clusters held for review", summary["clusters_held_for_review"]),
    ]
    for label, value in lines:
        typer.echo(f"{label:<28}{value:>12,}")
    typer.echo("time per stage:")
    for stage in summary["stages"]:
        typer.echo(f"  {stage['stage']:<26}{stage['seconds']:>11.2f}s  ({stage['rows']:,} rows)")
    typer.echo(f"rule set: {summary['rules']['name']} ({summary['rules']['hash']})")
    typer.echo(f"Would merge {summary['records_to_merge']:,} records")


def _write_clusters(frame, path: Path) -> None:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        frame.write_csv(path)
    elif suffix in (".parquet", ".pq"):
        frame.write_parquet(path)
    else:
        raise DedupError(f"--clusters-out {path}: use a .csv or .parquet file name")


@app.command()
@handled
def run(
    db: DbOption = None,
    rules: Annotated[Optional[Path], typer.Option(
        "--rules", help="Rule file (TOML). Default: the packaged default.toml.")] = None,
    clusters_out: Annotated[Optional[Path], typer.Option(
        help="Write trader_id,cluster_id for every active trader (.csv or .parquet); cluster_id "
             "is the trader that would survive.")] = None,
    today: Annotated[Optional[str], typer.Option(
        help="Date (YYYY-MM-DD) on which tracks and certificates count as active. Default: today.")] = None,
    as_json: JsonOption = False,
    silent: SilentOption = False,
):
    """Dry-run the pipeline (normalise, block, score, cluster) and summarise what would merge.

    Nothing in the store changes: the store is opened read-only.
    """
    from dedup.pipeline import run_pipeline
    from dedup.rules import RuleSet
    from dedup.store import Store, resolve_db_path

    if clusters_out is not None and clusters_out.suffix.lower() not in (".csv", ".parquet", ".pq"):
        raise DedupError(f"--clusters-out {clusters_out}: use a .csv or .parquet file name")
    rule_set = RuleSet.from_toml(rules) if rules else RuleSet.default()
    on_date = _parse_date(today, "--today")
    with Store(resolve_db_path(db), read_only=True) as store:
        result = run_pipeline(store, rule_set, today=on_date,
                              on_stage=StageProgress(_show_progress(silent)))
        if clusters_out is not None:
            _write_clusters(result.clusters(), clusters_out)
            err.print(f"wrote {clusters_out}")
    if as_json:
        typer.echo(json.dumps(result.summary, indent=2))
    else:
        _print_summary(result.summary)


@app.command()
@handled
def demo(
    records: Annotated[int, typer.Option("--records", "-n", min=1,
                                         help="Number of synthetic trader records.")] = 50_000,
    seed: Annotated[int, typer.Option(help="Random seed for the synthetic data.")] = 42,
    data_dir: Annotated[Path, typer.Option("--data-dir", help="Where the synthetic files go.")] = Path("demo_data"),
    db: Annotated[Path, typer.Option("--db", help="The demo store (replaced).")] = Path("demo.duckdb"),
    silent: SilentOption = False,
):
    """Generate synthetic data, import it into a fresh demo store and dry-run the pipeline."""
    from dedup.importer import ImportSource, find_sources, import_files
    from dedup.pipeline import run_pipeline
    from dedup.rules import RuleSet
    from dedup.schema import TABLES_BY_NAME
    from dedup.store import Store
    from dedup.synth import generate, write_tables

    progress = StageProgress(_show_progress(silent))
    progress("synth", "start")
    write_tables(generate(records, seed=seed), data_dir, "parquet")
    progress("synth", "end")
    for stale in (db, db.with_name(db.name + ".wal")):
        stale.unlink(missing_ok=True)
    progress("import", "start")
    with Store(db) as store:
        sources = [ImportSource(TABLES_BY_NAME[t], p, {}) for t, p in find_sources(data_dir).items()]
        results = import_files(store.runner, sources)
    progress("import", "end")
    for r in results:
        err.print(f"imported {r.rows:,} {r.table}")
    with Store(db, read_only=True) as store:
        result = run_pipeline(store, RuleSet.default(), on_stage=progress)
    _print_summary(result.summary)
    err.print(f"store: {db}; ground truth: {data_dir / 'truth.parquet'}. Next: "
              f"dedup run --db {db} --clusters-out clusters.csv")


if __name__ == "__main__":
    app()
