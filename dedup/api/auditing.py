"""What the engine did: runs, a trader's history, undo, reports."""

from __future__ import annotations

import json

import polars as pl

from dedup.api._common import PathLike, open_existing
from dedup.errors import DedupError
from dedup.merge.audit import trader_history
from dedup.merge.placeholder_fills import placeholder_fills as placeholder_fills_report
from dedup.merge.undo import undo as undo_merges
from dedup.sql import SqlStep

__all__ = ["history", "history_report", "placeholder_fills", "run_details", "runs", "undo"]

#: What a run was. Accepted proposals recorded before runs had the 'accept' mode are 'apply'
#: runs whose summary names the groups they merged and has no pipeline counts.
_KIND = """CASE WHEN r.mode = 'apply' AND json_exists(r.summary, '$.groups')
                     AND NOT json_exists(r.summary, '$.candidate_pairs') THEN 'accept'
                ELSE r.mode END"""
RUN_KINDS = ("apply", "accept", "undo")
RUN_STATUSES = ("running", "succeeded", "failed", "interrupted")


def _runs_sql(where: str = "TRUE", params: dict | None = None, limit: int | None = None) -> SqlStep:
    def count(key: str) -> str:
        return f"TRY_CAST(r.summary ->> '$.{key}' AS BIGINT) AS {key}"
    return SqlStep("runs", f"""
        SELECT * FROM (
            SELECT r.run_id, {_KIND} AS kind, r.status, r.started_at, r.finished_at,
                   CASE WHEN json_exists(r.summary, '$.candidate_pairs')
                        THEN r.summary ->> '$.mode' END AS scope,
                   r.rules_name, r.rules_hash,
                   {count('records_merged')}, {count('proposals_queued')}, {count('records_restored')},
                   CASE WHEN json_exists(r.summary, '$.target.run') THEN 'run ' || (r.summary ->> '$.target.run')
                        WHEN json_exists(r.summary, '$.target.merge')
                        THEN 'merge ' || (r.summary ->> '$.target.merge') END AS undoes,
                   u.undone_by, r.summary ->> '$.error' AS error, r.summary
            FROM runs r
            LEFT JOIN (SELECT run_id, list(DISTINCT undone_by ORDER BY undone_by) AS undone_by
                       FROM merges WHERE undone_by IS NOT NULL GROUP BY run_id) u USING (run_id)) r
        WHERE {where} ORDER BY run_id DESC {'LIMIT $limit' if limit is not None else ''}""",
        {**(params or {}), **({"limit": limit} if limit is not None else {})})


def runs(db: PathLike, *, kind: str | None = None, status: str | None = None,
         limit: int | None = None) -> pl.DataFrame:
    """`dedup runs`: every recorded run, newest first (dry runs change nothing and are not
    recorded).

    Returns:
        run_id; kind ('apply', 'accept' for an accepted review proposal, 'undo'); status
        ('running', 'succeeded', 'failed', 'interrupted'); started_at, finished_at; scope
        ('full' or 'incremental', for a pipeline apply); rules_name, rules_hash; records_merged,
        proposals_queued (apply, accept); records_restored and undoes ('run N' / 'merge M', for
        an undo); undone_by (the undo runs that undid this run's merges); error (a failed run's
        message).
    """
    where, params = ["TRUE"], {}
    for name, value, allowed in (("kind", kind, RUN_KINDS), ("status", status, RUN_STATUSES)):
        if value is None:
            continue
        if value not in allowed:
            raise DedupError(f"--{name} {value!r}: expected one of {', '.join(allowed)}")
        where.append(f"{name} = ${name}")
        params[name] = value
    with open_existing(db) as store:
        return store.runner.frame(_runs_sql(" AND ".join(where), params, limit)).drop("summary")


def run_details(db: PathLike, run_id: int) -> dict:
    """`dedup runs show`: one run as `runs` lists it, with its whole `summary` (counts, stage
    times, the pipeline's numbers) as a dict."""
    with open_existing(db) as store:
        frame = store.runner.frame(_runs_sql("run_id = $run_id", {"run_id": run_id}))
    if frame.is_empty():
        raise DedupError(f"no run {run_id} in the store (see 'dedup runs')")
    row = frame.row(0, named=True)
    return {**row, "summary": json.loads(row["summary"]) if row["summary"] else {}}


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
