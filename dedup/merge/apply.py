"""Applying a merge plan: re-point child rows, fill survivor fields, mark the merged records.

Every statement is set-based over the plan, so the work per statement grows with the data but the
number of statements does not. `apply_merge` writes nothing outside the caller's transaction: run
it inside `runner.transaction()` (with the rest of the run) so a kill or an error leaves the store as it
was. Before writing, `check_plan_sql` asserts in SQL what must never happen: a whitelisted record
merged away, a record that is not active merged or kept, a record merged twice, or a survivor
that is itself being merged.
"""

from __future__ import annotations

import datetime as dt

from dedup.merge.audit import CHILD_TABLES, record_merges_sql, record_moves_sql
from dedup.merge.plan import MergePlan
from dedup.rules.merging import FILLABLE_FIELDS
from dedup.schema import TableSpec
from dedup.sql import Runner, SqlStep, quote_ident
from dedup.tables import StageTables

#: Longest merged_into chain the straggler sweep follows (chains grow one link per run at most).
MAX_CHAIN = 100


def check_plan_sql(plan: str) -> SqlStep:
    """Fail (SQL error) naming the first planned merge that breaks a safety rule."""
    plan = quote_ident(plan)
    return SqlStep("check plan", f"""
        SELECT error('refusing to merge: ' || min(problem) || ' (' || count(*) || ' problem(s))')
        FROM (
            SELECT 'trader ' || p.merged_id || ' is whitelisted and would be merged away' AS problem
            FROM {plan} p JOIN whitelist w ON w.trader_id = p.merged_id
            UNION ALL
            SELECT 'trader ' || p.merged_id || ' is not an active trader'
            FROM {plan} p LEFT JOIN traders t ON t.trader_id = p.merged_id
            WHERE t.status IS DISTINCT FROM 'active'
            UNION ALL
            SELECT 'survivor ' || p.survivor_id || ' is not an active trader'
            FROM {plan} p LEFT JOIN traders t ON t.trader_id = p.survivor_id
            WHERE t.status IS DISTINCT FROM 'active'
            UNION ALL
            SELECT 'trader ' || merged_id || ' is planned to merge twice'
            FROM {plan} GROUP BY merged_id HAVING count(*) > 1
            UNION ALL
            SELECT 'survivor ' || p.survivor_id || ' is itself planned to merge'
            FROM {plan} p SEMI JOIN {plan} q ON q.merged_id = p.survivor_id)
        HAVING count(*) > 0""")


def number_merges_sql(plan: str, tables: StageTables) -> SqlStep:
    """`tables.apply`: the plan with merge ids following the store's last one, in merged_id order."""
    return SqlStep("number merges",
                   f"CREATE OR REPLACE TEMP TABLE {quote_ident(tables.apply)} AS "
                   f"SELECT (SELECT coalesce(max(merge_id), 0) FROM merges) "
                   f"+ row_number() OVER (ORDER BY merged_id) AS merge_id, p.* "
                   f"FROM {quote_ident(plan)} p")


def changes_sql(fills: str, merged_at: dt.datetime, tables: StageTables) -> SqlStep:
    """`tables.apply_changes`: each fill under the merge that supplied it, plus the survivor's
    `updated_at` (its matching fields change, so incremental runs must look at it again)."""
    apply = quote_ident(tables.apply)
    return SqlStep("field changes", f"""
        CREATE OR REPLACE TEMP TABLE {quote_ident(tables.apply_changes)} AS
        SELECT a.merge_id, f.survivor_id, f.field, f.old_value, f.new_value
        FROM {quote_ident(fills)} f JOIN {apply} a ON a.merged_id = f.source_id
        UNION ALL
        SELECT DISTINCT a.merge_id, a.survivor_id, 'updated_at', t.updated_at::VARCHAR,
               $merged_at::TIMESTAMP::VARCHAR
        FROM {quote_ident(fills)} f JOIN {apply} a ON a.merged_id = f.source_id
        JOIN traders t ON t.trader_id = a.survivor_id""", {"merged_at": merged_at})


def fill_survivors_sqls(tables: StageTables) -> list[SqlStep]:
    """Write the recorded field changes onto the survivors."""
    changes = quote_ident(tables.apply_changes)
    steps = [SqlStep(f"fill survivors' {field}",
                     f"UPDATE traders SET {quote_ident(field)} = c.new_value FROM {changes} c "
                     f"WHERE traders.trader_id = c.survivor_id AND c.field = ?", (field,))
             for field in FILLABLE_FIELDS]
    steps.append(SqlStep("touch filled survivors",
                         f"UPDATE traders SET updated_at = c.new_value::TIMESTAMP "
                         f"FROM (SELECT DISTINCT survivor_id, new_value FROM {changes} "
                         f"WHERE field = 'updated_at') c WHERE traders.trader_id = c.survivor_id"))
    return steps


def repoint_sqls(spec: TableSpec, run_id: int, tables: StageTables) -> list[SqlStep]:
    """Record, then move, the child rows of `spec` from each merged record to its survivor.

    Only `trader_id` changes: each row keeps its own id, owner (ts_id), dates and notes.
    """
    table = quote_ident(spec.name)
    return [record_moves_sql(spec, run_id, tables),
            SqlStep(f"re-point {spec.name}",
                    f"UPDATE {table} SET trader_id = a.survivor_id FROM {quote_ident(tables.apply)} a "
                    f"WHERE {table}.trader_id = a.merged_id")]


def mark_merged_sql(tables: StageTables) -> SqlStep:
    """Merged records keep their row: status 'merged', merged_into the survivor."""
    return SqlStep("mark merged",
                   f"UPDATE traders SET status = 'merged', merged_into = a.survivor_id "
                   f"FROM {quote_ident(tables.apply)} a WHERE traders.trader_id = a.merged_id")


def sweep_stragglers(runner: Runner, run_id: int) -> dict[str, int]:
    """Move child rows that point at an already merged record (an import attached them to the
    old id since) along merged_into, one hop per round, each move audited under the merge that
    merged that record, so undoing it later moves them back too.

    Returns:
        Rows moved per table (a row moved along a chain of two counts twice).
    """
    moved = {spec.name: 0 for spec in CHILD_TABLES}
    for _ in range(MAX_CHAIN):
        round_moved = 0
        for spec in CHILD_TABLES:
            table, key = quote_ident(spec.name), quote_ident(spec.key)
            live = ("SELECT m.merge_id, m.merged_id, m.survivor_id FROM merges m "
                    "JOIN traders t ON t.trader_id = m.merged_id "
                    "WHERE m.undone_at IS NULL AND t.status = 'merged' "
                    "AND t.merged_into = m.survivor_id")
            runner.run(SqlStep(f"record {spec.name} stragglers",
                               f"INSERT INTO merge_moves (merge_id, table_name, row_id, run_id) "
                               f"SELECT l.merge_id, ?, c.{key}, ? FROM {table} c "
                               f"JOIN ({live}) l ON c.trader_id = l.merged_id", (spec.name, run_id)))
            count = runner.scalar(SqlStep(f"re-point {spec.name} stragglers",
                                          f"UPDATE {table} SET trader_id = l.survivor_id "
                                          f"FROM ({live}) l WHERE {table}.trader_id = l.merged_id"))
            moved[spec.name] += count or 0
            round_moved += count or 0
        if not round_moved:
            break
    return moved


def apply_merge(runner: Runner, plan: MergePlan, *, run_id: int,
                merged_at: dt.datetime) -> dict[str, int]:
    """Apply a plan: audit, re-point children, fill survivors, mark merged records.

    Call inside `runner.transaction()`; nothing here commits.

    Args:
        runner: the store's runner, inside a transaction.
        plan: a plan built by `merge_plan` on the same connection.
        run_id: the apply run the merges belong to.
        merged_at: the time recorded on each merge (and on filled survivors' updated_at).

    Returns:
        clusters_merged, records_merged, cases / tracks / certificates re-pointed, fields_filled.
    """
    tables = plan.tables
    apply = quote_ident(tables.apply)
    runner.run([check_plan_sql(plan.table), number_merges_sql(plan.table, tables),
                changes_sql(plan.fills, merged_at, tables),
                record_merges_sql(run_id, plan.rules, merged_at, tables)])
    for spec in CHILD_TABLES:
        runner.run(repoint_sqls(spec, run_id, tables))
    runner.run([*fill_survivors_sqls(tables), mark_merged_sql(tables)])
    clusters, records = runner.fetchone(SqlStep(
        "count merges", f"SELECT count(DISTINCT survivor_id), count(*) FROM {apply}"))
    moved = dict(runner.fetchall(SqlStep(
        "count moves", f"SELECT table_name, count(*) FROM merge_moves "
                       f"WHERE merge_id IN (SELECT merge_id FROM {apply}) GROUP BY table_name")))
    fields = runner.scalar(SqlStep("count fills", f"SELECT count(*) FROM {quote_ident(tables.apply_changes)} "
                                                  f"WHERE field <> 'updated_at'"))
    return {"clusters_merged": clusters, "records_merged": records,
            **{f"{spec.name}_repointed": moved.get(spec.name, 0) for spec in CHILD_TABLES},
            "fields_filled": fields}
