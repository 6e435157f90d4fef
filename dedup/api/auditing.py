"""What the engine did: runs, a trader's history, undo, reports."""

from __future__ import annotations

import polars as pl

from dedup.api._common import PathLike, open_existing
from dedup.merge.audit import trader_history
from dedup.merge.placeholder_fills import placeholder_fills as placeholder_fills_report
from dedup.merge.undo import undo as undo_merges
from dedup.sql import SqlStep

__all__ = ["history", "history_report", "placeholder_fills", "runs", "undo"]


def runs(db: PathLike) -> pl.DataFrame:
    """Every recorded run (apply, undo), newest first, with its summary as JSON text."""
    with open_existing(db) as store:
        return store.runner.frame(SqlStep("runs", """
            SELECT run_id, mode, status, started_at, finished_at, rules_name, rules_hash, summary
            FROM runs ORDER BY run_id DESC"""))


def placeholder_fills(db: PathLike) -> pl.DataFrame:
    """`dedup report placeholder-fills`: live merges whose survivor fields a placeholder spoilt
    before survivorship read `dedup.missing` (see `dedup.merge.placeholder_fills`)."""
    with open_existing(db) as store:
        return placeholder_fills_report(store.runner)


def history_report(db: PathLike, trader_id: int) -> dict:
    """`dedup history --json`: the trader (status, merged_into, resolved_id, whitelisted) and
    its `events`, oldest first: merges into and out of it, undos, proposals naming it."""
    with open_existing(db) as store:
        return trader_history(store.runner, trader_id)


def history(db: PathLike, trader_id: int) -> pl.DataFrame:
    """`dedup history`: what happened to one trader, oldest first (one row per event)."""
    events = history_report(db, trader_id)["events"]
    return pl.DataFrame(events, infer_schema_length=None) if events else \
        pl.DataFrame(schema={"at": pl.Datetime, "event": pl.String, "run_id": pl.Int64})


def undo(db: PathLike, *, run: int | None = None, merge: int | None = None) -> dict:
    """`dedup undo`: undo one apply run's merges or one merge, atomically."""
    with open_existing(db, read_only=False) as store:
        return undo_merges(store.runner, run_id=run, merge_id=merge)
