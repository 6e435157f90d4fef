"""Undoing merges: a whole apply run, or one merge.

Undo reads the audit and reverses exactly what a merge did, in one transaction:

- the merged record becomes what it was (status and merged_into from its stored row);
- the child rows the merge moved (`merge_moves`) go back to it, but only those still on the
  survivor: rows added to the survivor after the merge, and rows someone re-pointed elsewhere
  since, stay where they are;
- survivor fields the merge filled are reverted where they still hold the filled value;
  `updated_at` goes back too unless another live merge of the same run also filled the survivor;
- the merge is marked undone by the undo's own run (mode 'undo'), so it cannot be undone twice;
- an accepted review proposal whose merge is undone gets the status 'undone'.

An undo is refused while the survivor has since been merged into another record: that later
merge holds the moved rows now and must be undone first.
"""

from __future__ import annotations

import datetime as dt
import json

from dedup.errors import DedupError
from dedup.merge.audit import CHILD_TABLES
from dedup.rules.merging import FILLABLE_FIELDS
from dedup.sql import Runner, SqlStep, quote_ident
from dedup.tables import StageTables

_TABLES = StageTables()
UNDO = quote_ident(_TABLES.undo)
UNDO_MOVES = quote_ident(_TABLES.undo_moves)
UNDO_CHANGES = quote_ident(_TABLES.undo_changes)


def _targets_sql(run_id: int | None, merge_id: int | None) -> SqlStep:
    """The undo table: the live merges to undo (one merge, or all of a run's not yet undone)."""
    if merge_id is not None:
        return SqlStep("undo targets", f"CREATE OR REPLACE TEMP TABLE {UNDO} AS "
                                       f"SELECT * FROM merges WHERE merge_id = ? AND undone_at IS NULL",
                       (merge_id,))
    return SqlStep("undo targets", f"CREATE OR REPLACE TEMP TABLE {UNDO} AS "
                                   f"SELECT * FROM merges WHERE run_id = ? AND undone_at IS NULL",
                   (run_id,))


def _check_target(runner: Runner, run_id: int | None, merge_id: int | None) -> None:
    """Raise a one-line DedupError for an unknown or already undone target."""
    if merge_id is not None:
        row = runner.fetchone(SqlStep("find merge", "SELECT undone_by FROM merges WHERE merge_id = ?",
                                      (merge_id,)))
        if row is None:
            raise DedupError(f"no merge {merge_id} in the store (see 'dedup history --trader ID')")
        if row[0] is not None:
            raise DedupError(f"merge {merge_id} was already undone (by run {row[0]})")
        return
    row = runner.fetchone(SqlStep("find run", "SELECT mode FROM runs WHERE run_id = ?", (run_id,)))
    if row is None:
        raise DedupError(f"no run {run_id} in the store")
    if row[0] not in ("apply", "accept"):
        raise DedupError(f"run {run_id} is a{'n' if row[0][0] in 'aeiou' else ''} {row[0]} run: "
                         f"only apply runs (and accepted proposals) can be undone")
    total, undone_by = runner.fetchone(SqlStep(
        "run merges", "SELECT count(*), max(undone_by) FROM merges WHERE run_id = ?", (run_id,)))
    if total == 0:
        raise DedupError(f"run {run_id} merged nothing: nothing to undo")
    live = runner.scalar(SqlStep("live run merges", "SELECT count(*) FROM merges "
                                 "WHERE run_id = ? AND undone_at IS NULL", (run_id,)))
    if live == 0:
        raise DedupError(f"run {run_id} was already undone (by run {undone_by})")


def _check_not_merged_since(runner: Runner) -> None:
    """Refuse when a target's survivor was merged away later by a merge outside the targets."""
    row = runner.fetchone(SqlStep("merged since", f"""
        SELECT u.merge_id, u.survivor_id, l.survivor_id, l.merge_id, l.run_id
        FROM {UNDO} u JOIN merges l ON l.merged_id = u.survivor_id AND l.undone_at IS NULL
        WHERE l.merge_id NOT IN (SELECT merge_id FROM {UNDO})
        ORDER BY l.merge_id DESC LIMIT 1"""))
    if row:
        merge, survivor, later_survivor, later, later_run = row
        raise DedupError(f"cannot undo merge {merge}: its survivor {survivor} was merged into "
                         f"{later_survivor} later (merge {later}, run {later_run}); undo that "
                         f"first: dedup undo --merge {later}")


def move_back_sql(spec) -> SqlStep:
    """Return the rows a target merge moved, where they are still on its survivor."""
    table, key = quote_ident(spec.name), quote_ident(spec.key)
    return SqlStep(f"move back {spec.name}",
                   f"UPDATE {table} SET trader_id = m.merged_id FROM {UNDO_MOVES} m "
                   f"WHERE m.table_name = ? AND {table}.{key} = m.row_id "
                   f"AND {table}.trader_id = m.survivor_id", (spec.name,))


def revert_field_sql(field: str) -> SqlStep:
    """Put back a filled field where the survivor still holds the value the merge gave it."""
    col = quote_ident(field)
    return SqlStep(f"revert {field}",
                   f"UPDATE traders SET {col} = c.old_value FROM {UNDO_CHANGES} c "
                   f"WHERE c.field = ? AND traders.trader_id = c.survivor_id "
                   f"AND traders.{col} IS NOT DISTINCT FROM c.new_value", (field,))


def revert_updated_at_sql() -> SqlStep:
    """Restore a survivor's updated_at unless a live merge outside the targets also touched it."""
    return SqlStep("revert updated_at", f"""
        UPDATE traders SET updated_at = c.old_value::TIMESTAMP
        FROM (SELECT DISTINCT survivor_id, old_value, new_value FROM {UNDO_CHANGES}
              WHERE field = 'updated_at') c
        WHERE traders.trader_id = c.survivor_id
          AND traders.updated_at::VARCHAR IS NOT DISTINCT FROM c.new_value
          AND NOT EXISTS (
              SELECT 1 FROM merges o, unnest(o.field_changes) AS x(oc)
              WHERE o.survivor_id = c.survivor_id AND o.undone_at IS NULL
                AND o.merge_id NOT IN (SELECT merge_id FROM {UNDO})
                AND oc.field = 'updated_at' AND oc.new_value = c.new_value)""")


def undone_proposals_sql(undo_run: int) -> SqlStep:
    """An accepted proposal whose merge this undo reverses is 'undone' (its merges carry the
    proposal's id as `accepted_proposal`)."""
    return SqlStep("mark accepted proposals undone", f"""
        UPDATE proposals SET status = 'undone',
               closed_reason = coalesce(closed_reason || '; ', '') || 'merge undone by run ' || $run
        WHERE status = 'accepted' AND proposal_id IN (
            SELECT TRY_CAST(explanation ->> '$.accepted_proposal' AS BIGINT) FROM {UNDO})""",
                   {"run": undo_run})


def undo_sqls() -> list[SqlStep]:
    """Stage the targets' moves and field changes, then restore the merged records and mark
    the merges undone (moving rows back and reverting fields are counted separately)."""
    return [
        SqlStep("undo moves", f"CREATE OR REPLACE TEMP TABLE {UNDO_MOVES} AS "
                              f"SELECT mv.table_name, mv.row_id, u.merge_id, u.merged_id, u.survivor_id "
                              f"FROM merge_moves mv JOIN {UNDO} u USING (merge_id)"),
        SqlStep("undo changes", f"CREATE OR REPLACE TEMP TABLE {UNDO_CHANGES} AS "
                                f"SELECT u.merge_id, u.survivor_id, c.field, c.old_value, c.new_value "
                                f"FROM {UNDO} u, unnest(u.field_changes) AS x(c)"),
    ]


def undo(runner: Runner, *, run_id: int | None = None, merge_id: int | None = None,
         now: dt.datetime | None = None) -> dict:
    """Undo one merge or every live merge of an apply run, atomically, and audit it.

    Args:
        runner: a read-write store's runner.
        run_id: undo this apply run's merges (those not undone already).
        merge_id: undo this one merge.
        now: the time recorded (default: now).

    Returns:
        The undo's summary (also stored on its run row).

    Raises:
        DedupError: unknown run or merge, already undone, or blocked by a later merge.
    """
    if (run_id is None) == (merge_id is None):
        raise DedupError("give exactly one of --run and --merge")
    now = now or dt.datetime.now()
    _check_target(runner, run_id, merge_id)
    with runner.transaction("undo"):
        runner.run(_targets_sql(run_id, merge_id))
        _check_not_merged_since(runner)
        undo_run = runner.scalar(SqlStep("undo run id", "SELECT coalesce(max(run_id), 0) + 1 FROM runs"))
        runner.run(undo_sqls())
        summary: dict = {"undo_run_id": undo_run,
                         "target": {"run": run_id} if run_id is not None else {"merge": merge_id}}
        summary["merges_undone"], summary["records_restored"] = runner.fetchone(SqlStep(
            "count targets", f"SELECT count(*), count(DISTINCT merged_id) FROM {UNDO}"))
        for spec in CHILD_TABLES:
            moved = runner.scalar(move_back_sql(spec)) or 0
            recorded = runner.scalar(SqlStep("count moves", f"SELECT count(*) FROM {UNDO_MOVES} "
                                             f"WHERE table_name = ?", (spec.name,)))
            summary[f"{spec.name}_moved_back"] = moved
            summary[f"{spec.name}_left_in_place"] = recorded - moved
        reverted = sum(runner.scalar(revert_field_sql(f)) or 0 for f in FILLABLE_FIELDS)
        filled = runner.scalar(SqlStep("count fills", f"SELECT count(*) FROM {UNDO_CHANGES} "
                                       f"WHERE field <> 'updated_at'"))
        runner.run(revert_updated_at_sql())
        summary["fields_reverted"], summary["fields_kept"] = reverted, filled - reverted
        runner.run([
            SqlStep("restore merged records",
                    f"UPDATE traders SET status = u.merged_record->>'status', "
                    f"merged_into = TRY_CAST(u.merged_record->>'merged_into' AS BIGINT) "
                    f"FROM {UNDO} u WHERE traders.trader_id = u.merged_id"),
            SqlStep("mark undone", f"UPDATE merges SET undone_at = ?, undone_by = ? "
                                   f"WHERE merge_id IN (SELECT merge_id FROM {UNDO})", (now, undo_run)),
            # An accepted proposal's always-merge decision would merge the records again.
            SqlStep("withdraw always-merge decisions of undone merges",
                    f"UPDATE decisions SET withdrawn_at = ?, withdrawn_by = ? "
                    f"WHERE kind = 'always_merge' AND withdrawn_at IS NULL "
                    f"AND list_has_any(trader_ids, (SELECT list(merged_id) FROM {UNDO}))",
                    (now, f"undo run {undo_run}")),
            undone_proposals_sql(undo_run),
            SqlStep("record undo run",
                    "INSERT INTO runs (run_id, started_at, finished_at, mode, status, summary) "
                    "VALUES (?, ?, ?, 'undo', 'succeeded', ?)",
                    (undo_run, now, dt.datetime.now(), json.dumps(summary))),
        ])
    return summary
