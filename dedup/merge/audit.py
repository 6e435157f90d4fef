"""The merge audit: what each merge did, written as it happens, and read back as a history.

Writing: `record_merges_sql` stores one `merges` row per merged record (run, survivor, the merged
row as it was, explanation, score, rule-set hash, survivor fields filled) and `record_moves_sql`
one `merge_moves` row per child row re-pointed (table and the row's own id). Undo reads both to
reverse a merge exactly.

Reading: `trader_history` gathers everything that happened to one trader: merges into and out of
it, the child rows they moved, undos, review proposals naming it, and what people did to it
through the engine (`dedup.audit_log`: its creation by `dedup traders add`).
"""

from __future__ import annotations

import datetime as dt
import json

from dedup.audit_log import audit_entries
from dedup.errors import DedupError
from dedup.rules.ruleset import RuleSet
from dedup.schema import CASES, CERTIFICATES, TRACKS, TableSpec
from dedup.sql import Runner, SqlStep, quote_ident
from dedup.tables import StageTables

#: The child tables a merge re-points, in audit order.
CHILD_TABLES: tuple[TableSpec, ...] = (CASES, TRACKS, CERTIFICATES)


def record_merges_sql(run_id: int, rules: RuleSet, merged_at: dt.datetime, tables: StageTables) -> SqlStep:
    """One `merges` row per planned merge (`tables.apply`), its field changes
    (`tables.apply_changes`) gathered into a list."""
    return SqlStep("record merges", f"""
        INSERT INTO merges (merge_id, run_id, survivor_id, merged_id, score, explanation,
                            rules_name, rules_hash, merged_record, field_changes, merged_at)
        SELECT a.merge_id, $run_id, a.survivor_id, a.merged_id, a.score, a.explanation,
               $rules_name, $rules_hash, a.merged_record,
               coalesce(c.changes, []::STRUCT(field VARCHAR, old_value VARCHAR, new_value VARCHAR)[]),
               $merged_at
        FROM {quote_ident(tables.apply)} a
        LEFT JOIN (SELECT merge_id, list({{'field': field, 'old_value': old_value,
                                          'new_value': new_value}} ORDER BY field) AS changes
                   FROM {quote_ident(tables.apply_changes)} GROUP BY merge_id) c USING (merge_id)""",
        {"run_id": run_id, "rules_name": rules.name, "rules_hash": rules.hash,
         "merged_at": merged_at})


def record_moves_sql(spec: TableSpec, run_id: int, tables: StageTables) -> SqlStep:
    """List the child rows of `spec` that the planned merges are about to re-point."""
    table, key = quote_ident(spec.name), quote_ident(spec.key)
    return SqlStep(f"record {spec.name} moves",
                   f"INSERT INTO merge_moves (merge_id, table_name, row_id, run_id) "
                   f"SELECT a.merge_id, ?, c.{key}, ? FROM {table} c "
                   f"JOIN {quote_ident(tables.apply)} a ON c.trader_id = a.merged_id", (spec.name, run_id))


def _rows(runner: Runner, step: SqlStep) -> list[dict]:
    frame = runner.frame(step)
    return frame.to_dicts()


def _json(value):
    return json.loads(value) if isinstance(value, str) else value


def trader_history(runner: Runner, trader_id: int) -> dict:
    """Everything that happened to one trader, oldest first.

    Args:
        runner: an open store's runner (read-only is fine).
        trader_id: the trader to report on.

    Returns:
        {"trader": the row now with its resolved id, "events": [...]}; each event has `at`,
        `event` (merged_into / absorbed / undone / proposed / audited: a person's change, such as
        its creation), `run_id` (None for a person's change) and its details.

    Raises:
        DedupError: no such trader.
    """
    # Follow merged_into from this one trader (the trader_resolution view does all of them).
    trader = _rows(runner, SqlStep("trader", """
        WITH RECURSIVE hop(id, hops) AS (
            SELECT $id::BIGINT, 0
            UNION ALL
            SELECT t.merged_into, hop.hops + 1 FROM hop JOIN traders t ON t.trader_id = hop.id
            WHERE t.status = 'merged' AND t.merged_into IS NOT NULL AND hop.hops < 100)
        SELECT t.trader_id, t.name, t.address, t.postcode, t.phone, t.website, t.created_at,
               t.status, t.merged_into, (SELECT arg_max(id, hops) FROM hop) AS resolved_id,
               w.trader_id IS NOT NULL AS whitelisted
        FROM traders t LEFT JOIN whitelist w USING (trader_id) WHERE t.trader_id = $id""",
        {"id": trader_id}))
    if not trader:
        raise DedupError(f"no trader {trader_id} in the store")
    merges = _rows(runner, SqlStep("merges of trader", """
        SELECT m.merge_id, m.run_id, m.survivor_id, m.merged_id, m.score, m.explanation::VARCHAR
                   AS explanation, m.rules_name, m.rules_hash, m.merged_record::VARCHAR AS merged_record,
               m.field_changes, m.merged_at, m.undone_at, m.undone_by,
               coalesce(mv.moves, MAP {}) AS moves
        FROM merges m
        LEFT JOIN (SELECT merge_id, map(list(table_name), list(row_ids)) AS moves FROM (
                       SELECT merge_id, table_name, list(row_id ORDER BY row_id) AS row_ids
                       FROM merge_moves WHERE merge_id IN (
                           SELECT merge_id FROM merges WHERE survivor_id = $id OR merged_id = $id)
                       GROUP BY ALL) GROUP BY merge_id) mv USING (merge_id)
        WHERE m.survivor_id = $id OR m.merged_id = $id
        ORDER BY m.merge_id""", {"id": trader_id}))
    events = []
    for m in merges:
        merged_here = m["merged_id"] == trader_id
        detail = {
            "merge_id": m["merge_id"], "survivor_id": m["survivor_id"],
            "merged_id": m["merged_id"], "score": m["score"],
            "explanation": _json(m["explanation"]), "rules": {"name": m["rules_name"],
                                                              "hash": m["rules_hash"]},
            "moved": {k: v for k, v in (m["moves"] or {}).items()},
            "field_changes": m["field_changes"],
        }
        if merged_here:
            detail["record_before"] = _json(m["merged_record"])
        events.append({"at": m["merged_at"], "run_id": m["run_id"],
                       "event": "merged_into" if merged_here else "absorbed", **detail})
        if m["undone_at"] is not None:
            events.append({"at": m["undone_at"], "run_id": m["undone_by"], "event": "undone",
                           "merge_id": m["merge_id"], "survivor_id": m["survivor_id"],
                           "merged_id": m["merged_id"]})
    for p in _rows(runner, SqlStep("proposals of trader", """
            SELECT proposal_id, run_id, kind, trader_ids, score, explanation::VARCHAR AS explanation,
                   status, created_at
            FROM proposals WHERE list_contains(trader_ids, ?) ORDER BY proposal_id""", (trader_id,))):
        events.append({"at": p["created_at"], "run_id": p["run_id"], "event": "proposed",
                       "proposal_id": p["proposal_id"], "kind": p["kind"],
                       "trader_ids": p["trader_ids"], "score": p["score"], "status": p["status"],
                       "explanation": _json(p["explanation"])})
    for a in audit_entries(runner, table_name="traders", row_id=trader_id).iter_rows(named=True):
        events.append({"at": a["acted_at"], "run_id": None, "event": "audited", "action": a["action"],
                       "user_id": a["user_id"], "reason": a["reason"], "details": _json(a["details"])})
    events.sort(key=lambda e: (e["at"], e.get("merge_id") or 0, e["event"]))
    return {"trader": trader[0], "events": events}
