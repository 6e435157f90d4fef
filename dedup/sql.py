"""The one place SQL is executed.

Functions that build SQL end in `_sql` and return `SqlStep`s; `Runner` executes them, logs each
with its duration and re-raises failures as `SqlError` with the statement attached. Values always
go in as parameters; identifiers go through `quote_ident`.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import duckdb
import polars as pl

from dedup.errors import SqlError

log = logging.getLogger("dedup.sql")


def quote_ident(name: str) -> str:
    """Quote an identifier for DuckDB, doubling embedded double quotes."""
    return '"' + name.replace('"', '""') + '"'


@dataclass(frozen=True)
class SqlStep:
    """One statement with its parameters and a name for logs and errors."""

    name: str
    sql: str
    params: Sequence[Any] | Mapping[str, Any] = field(default_factory=tuple)

    def bound(self) -> list[Any] | dict[str, Any]:
        """The parameters in the form DuckDB takes: a list for `?`, a dict for `$name`."""
        return dict(self.params) if isinstance(self.params, Mapping) else list(self.params)


@contextlib.contextmanager
def sigint_deferred() -> Iterator[None]:
    """Hold back SIGINT for the block and deliver it after, as KeyboardInterrupt.

    A Ctrl-C that lands while COMMIT runs would otherwise surface after DuckDB committed but
    before the commit was counted, and the command would say nothing was changed. Work that
    hands Arrow data between polars and DuckDB inside a transaction (an apply run's later
    rounds) runs under it too: a KeyboardInterrupt raised inside such a hand-over can leave the
    connection in a state where the transaction can no longer be rolled back cleanly. Off the main
    thread (where signal handlers cannot be set) the block runs as it is.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: caught.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous if previous is not None else signal.default_int_handler)
    if caught:
        raise KeyboardInterrupt


class Runner:
    """Executes `SqlStep`s on one DuckDB connection.

    Every result is fetched to the end before the next statement runs (DuckDB 2 requires it on
    a shared connection), so callers never hold a half-read cursor.

    Args:
        con: an open DuckDB connection.
    """

    #: Transactions committed by any runner of this process, so a command stopped by Ctrl-C can
    #: say whether it had already written something.
    commits = 0

    def __init__(self, con: duckdb.DuckDBPyConnection):
        self.con = con

    def _execute(self, step: SqlStep, *, as_relation: bool = False):
        started = time.perf_counter()
        try:
            if as_relation:
                # A relation converts to Arrow without the DB-API result's extra copy.
                rel = self.con.sql(step.sql, params=step.bound() or None)
            else:
                rel = self.con.execute(step.sql, step.bound())
        except duckdb.Error as exc:
            log.debug("failed %s:\n%s", step.name, step.sql)
            raise SqlError(step.name, step.sql, exc) from exc
        log.debug("ran %s in %.3fs", step.name, time.perf_counter() - started)
        return rel

    @contextlib.contextmanager
    def transaction(self, name: str = "transaction") -> Iterator[None]:
        """One transaction: committed when the block ends, rolled back on any exception
        (a killed process leaves nothing of it either: DuckDB discards uncommitted work)."""
        self.run(SqlStep(f"begin {name}", "BEGIN TRANSACTION"))
        try:
            yield
        except BaseException:
            try:
                self.con.rollback()
            except duckdb.Error:  # the transaction is gone with its connection: nothing committed
                pass
            raise
        with sigint_deferred():  # a Ctrl-C during COMMIT waits until its outcome is counted
            self.run(SqlStep(f"commit {name}", "COMMIT"))
            Runner.commits += 1

    def run(self, steps: SqlStep | Iterable[SqlStep]) -> None:
        """Execute one step or several in order, discarding any result."""
        for step in [steps] if isinstance(steps, SqlStep) else steps:
            self._execute(step).fetchall()

    def fetchall(self, step: SqlStep) -> list[tuple]:
        """Execute a step and return all its rows."""
        return self._execute(step).fetchall()

    def records(self, step: SqlStep) -> list[dict[str, Any]]:
        """Execute a step and return its rows as dicts: for a few rows, where a frame's Arrow
        round trip costs more than the query (the duplicate check's candidates)."""
        result = self._execute(step)
        columns = [d[0] for d in result.description]
        return [dict(zip(columns, row)) for row in result.fetchall()]

    def fetchone(self, step: SqlStep) -> tuple | None:
        """Execute a step and return its first row (the rest is drained)."""
        rows = self.fetchall(step)
        return rows[0] if rows else None

    def scalar(self, step: SqlStep) -> Any:
        """Execute a step and return the first column of its first row."""
        row = self.fetchone(step)
        return None if row is None else row[0]

    def frame(self, step: SqlStep) -> pl.DataFrame:
        """Execute a step and return its result as a polars DataFrame."""
        try:
            table = self._execute(step, as_relation=True).to_arrow_table()
        except duckdb.Error as exc:
            raise SqlError(step.name, step.sql, exc) from exc
        return pl.from_arrow(table)

    def register(self, name: str, frame: pl.DataFrame) -> None:
        """Materialise a polars frame as a temporary table `name` (replacing any old one)."""
        view = f"__dedup__view_{name}"
        self.con.register(view, frame.to_arrow())
        try:
            self.run(SqlStep(f"materialise {name}",
                             f"CREATE OR REPLACE TEMP TABLE {quote_ident(name)} AS "
                             f"SELECT * FROM {quote_ident(view)}"))
        finally:
            self.con.unregister(view)
