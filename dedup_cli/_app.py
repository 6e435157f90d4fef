"""The app and what every command shares: options, error handling, progress.

Data goes to stdout (tables, JSON, CSV); messages for people go to stderr. Exit codes: 0 success,
1 a handled error (one line on stderr, the store as it was), 2 a usage error, 3 imported with
rejects (`dedup import --rejects`), 130 interrupted by Ctrl-C (the store as it was).
"""

from __future__ import annotations

import datetime as dt
import functools
import inspect
import json
import logging
import signal
import sys
from importlib.metadata import version as package_version
from pathlib import Path
from typing import Annotated, Optional

import polars as pl
import typer
from rich.console import Console

from dedup import api
from dedup.api import DedupError, committed_transactions, is_interrupt

app = typer.Typer(
    name="dedup",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,  # locals would hold trader records
    add_completion=False,
)
err = Console(stderr=True, highlight=False, soft_wrap=True)

DbOption = Annotated[Optional[Path], typer.Option(
    "--db", help="The store (a DuckDB file). Default: $DEDUP_DB, else ./traders.duckdb.",
    show_default=False)]
SilentOption = Annotated[bool, typer.Option("--silent", "-s", help="No progress display.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the result as JSON on stdout.")]
CsvOption = Annotated[bool, typer.Option("--csv", help="Print the result as CSV on stdout.")]
RulesOption = Annotated[Optional[Path], typer.Option(
    "--rules", help="Rule file (TOML). Default: the packaged default.toml.")]
TodayOption = Annotated[Optional[str], typer.Option(
    help="Date (YYYY-MM-DD) on which tracks and certificates count as active. Default: today.")]


#: Exit code of a command stopped by Ctrl-C (128 + SIGINT, as shells report it).
INTERRUPTED = 130


def flowing(doc: str | None) -> str | None:
    """A docstring as help that flows: the lines of each paragraph joined, so the help display
    wraps them to the terminal's width (rich keeps every newline, and would break each
    hard-wrapped line again: "kind,\n group_kind"). Blank lines still part paragraphs, a line
    starting with "- " starts a new line, and a paragraph starting with click's \b is kept as
    it is written (a table)."""
    if not doc:
        return doc
    paragraphs = []
    for paragraph in inspect.cleandoc(doc).split("\n\n"):
        if paragraph.startswith("\b"):
            paragraphs.append(paragraph[2:] if paragraph.startswith("\b\n") else paragraph[1:])
            continue
        lines: list[str] = []
        for line in paragraph.splitlines():
            line = line.strip()
            if lines and not line.startswith("- "):
                lines[-1] += " " + line
            else:
                lines.append(line)
        paragraphs.append("\n".join(lines))
    return "\n\n".join(paragraphs)


def run() -> None:
    """The `dedup` executable. Once the command has done its work and written its output (the
    app raises SystemExit with its exit code), a Ctrl-C while the process exits is ignored: else
    Python would die by the signal (exit -2) with no word on what was saved. A test's CliRunner
    or an embedding program calls `app` and keeps its own handler."""
    try:
        app()
    except SystemExit:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        raise


def handled(func):
    """Turn a DedupError into one line on stderr and exit code 1, and Ctrl-C into one line and
    exit code 130: `interrupted: nothing was changed` (every write is one transaction, and an
    interrupted one is rolled back), or, when the command's transaction had committed before the
    signal came, `interrupted: the changes were already saved`."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        commits = committed_transactions()
        try:
            result = func(*args, **kwargs)
        except BrokenPipeError:
            raise  # stdout closed early (`| head`): click exits quietly
        except OSError as exc:  # a file the checks let through failed anyway (disk full, ...)
            where = f"{exc.filename}: " if exc.filename else ""
            err.print(f"error: {where}{exc.strerror or exc}", markup=False, soft_wrap=True)
            raise typer.Exit(code=1) from None
        except (KeyboardInterrupt, DedupError, RuntimeError) as exc:
            if is_interrupt(exc):
                # Ctrl-C after the command's transaction committed (while it was reporting)
                # leaves its work done; say so rather than claim nothing changed.
                done = committed_transactions() > commits
                err.print("interrupted: the changes were already saved" if done
                          else "interrupted: nothing was changed", markup=False)
                raise typer.Exit(code=INTERRUPTED) from None
            if not isinstance(exc, DedupError):
                raise
            err.print(f"error: {exc}", markup=False, soft_wrap=True)
            raise typer.Exit(code=1) from None
        return result
    wrapper.__doc__ = flowing(func.__doc__)  # the command's --help
    return wrapper


def show_progress(silent: bool) -> bool:
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


def _version(value: bool) -> None:
    if value:
        typer.echo(f"trader-dedup {package_version('trader-dedup')}")
        raise typer.Exit()


@app.callback()
def main(verbose: Annotated[bool, typer.Option("--verbose", "-v",
                                                help="Log every SQL step to stderr.")] = False,
         version: Annotated[bool, typer.Option(
             "--version", callback=_version, is_eager=True,
             help="Print trader-dedup's version (from the installed package) and exit.")] = False):
    """Find and merge duplicate trader records.

    Start with `dedup demo`. A typical night: `dedup import --dir extract/` then `dedup run`.
    Exit codes: 0 success, 1 handled error (message on stderr), 2 usage error, 3 imported with
    rejects, 130 interrupted (Ctrl-C; nothing changed).
    """
    logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING, stream=sys.stderr,
                        format="%(name)s: %(message)s")


main.__doc__ = flowing(main.__doc__)


def parse_date(value: Optional[str], option: str) -> Optional[dt.date]:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise DedupError(f"{option} {value!r}: expected a date as YYYY-MM-DD") from None


def mode_line(summary: dict) -> str:
    """A run summary's first line: a full run, or the size and start of an incremental one."""
    if summary["mode"] == "incremental":
        return (f"incremental run: {summary['increment_records']:,} records new or changed "
                f"since {iso_text(str(summary['since']))} (--full to compare everything)")
    return "full run: every record compared"


#: The extensions of the tables a command writes (`write_table`).
TABLE_SUFFIXES = (".csv", ".parquet", ".pq")


def write_table(frame, path: Path, option: str) -> None:
    """Write a frame as CSV or Parquet by the file's extension (checked first with
    `api.check_output(path, option, TABLE_SUFFIXES)`, before the work that makes the frame)."""
    api.check_output(path, option, TABLE_SUFFIXES)
    try:
        if path.suffix.lower() == ".csv":
            frame.write_csv(path)
        else:
            frame.write_parquet(path)
    except OSError as exc:
        raise DedupError(f"{option} {path}: cannot write: {exc.strerror or exc}") from exc


def print_stages(stages: list[dict]) -> None:
    """Each stage's time and rows."""
    typer.echo("time per stage:")
    for stage in stages:
        typer.echo(f"  {stage['stage']:<26}{stage['seconds']:>11.2f}s  ({stage['rows']:,} rows)")


def print_stage_times(summary: dict) -> None:
    """A run summary's stage times and rule set, as every run command prints them."""
    print_stages(summary["stages"])
    typer.echo(f"rule set: {summary['rules']['name']} ({summary['rules']['hash']})")


def print_counts(lines) -> None:
    """Label / count lines, aligned."""
    for label, value in lines:
        typer.echo(f"{label:<28}{value:>12,}")


# --- output: ISO 8601 dates in every format, --json / --csv wherever rows are listed ---------

def iso(value) -> str:
    """A date-time as ISO 8601 to the second (`2026-12-02T13:37:04`), a date as `2026-12-02`;
    empty for None. The one format of every table, JSON and CSV the commands print."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def iso_text(text: str) -> str:
    """A date-time kept as text (`2026-12-02 13:37:04.51`, as older summaries hold it) as ISO
    8601 to the second; any other text as it is."""
    try:
        return iso(dt.datetime.fromisoformat(text)) if len(text) >= 19 and text[10] in " T" else text
    except ValueError:
        return text


def iso_texts(value):
    """`iso_text` all through a dict or list (a stored summary, a record kept as JSON)."""
    if isinstance(value, dict):
        return {k: iso_texts(v) for k, v in value.items()}
    if isinstance(value, list):
        return [iso_texts(v) for v in value]
    return iso_text(value) if isinstance(value, str) else value


def _json_default(value):
    return iso(value) if isinstance(value, dt.date) else str(value)


def print_json(data) -> None:
    """`data` as indented JSON on stdout, dates as ISO 8601."""
    typer.echo(json.dumps(data, indent=2, default=_json_default))


def _iso_expr(expr: pl.Expr, dtype) -> pl.Expr:
    return expr.dt.strftime("%Y-%m-%dT%H:%M:%S" if isinstance(dtype, pl.Datetime) else "%Y-%m-%d")


def _iso_columns(frame: pl.DataFrame) -> pl.DataFrame:
    """Date-time and date columns, and lists of them, as ISO 8601 text."""
    dated = (pl.Datetime, pl.Date)
    return frame.with_columns(
        [_iso_expr(pl.col(c), t) for c, t in frame.schema.items() if isinstance(t, dated)]
        + [pl.col(c).list.eval(_iso_expr(pl.element(), t.inner)) for c, t in frame.schema.items()
           if isinstance(t, pl.List) and isinstance(t.inner, dated)])


def _csv_cell(name: str, dtype) -> pl.Expr:
    """A nested column as CSV text: a list of plain values `;`-separated, a struct (or a list of
    structs) as JSON."""
    col = pl.col(name)
    if isinstance(dtype, pl.Struct):
        return col.struct.json_encode()
    inner = dtype.inner
    if isinstance(inner, pl.Struct):
        return pl.concat_str([pl.lit("["), col.list.eval(pl.element().struct.json_encode()).list.join(","),
                              pl.lit("]")]).alias(name)
    return col.list.eval(pl.element().cast(pl.String)).list.join(";")


def _flat(frame: pl.DataFrame) -> pl.DataFrame:
    """Nested columns as text (`_csv_cell`), so a frame can go to CSV."""
    return frame.with_columns(_csv_cell(c, t) for c, t in frame.schema.items()
                              if isinstance(t, (pl.List, pl.Struct)))


def emit_rows(frame: pl.DataFrame, as_json: bool, as_csv: bool) -> bool:
    """Print a listing's rows as JSON (a list of objects) or CSV (a header, then a line per
    row; lists `;`-separated) if asked, dates as ISO 8601; returns whether it did."""
    if as_json and as_csv:
        raise DedupError("give at most one of --json and --csv")
    if as_json:
        print_json(_iso_columns(frame).to_dicts())
    elif as_csv:
        typer.echo(_flat(_iso_columns(frame)).write_csv(), nl=False)
    return as_json or as_csv
