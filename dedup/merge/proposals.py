"""Review proposals: what an apply run leaves for operations staff to decide.

Two kinds, both stored in `proposals` with status 'open' (the review workflow builds on them):

- `pair`: a review-band pair of two records that stay live and unchanged after this round's
  merges, with its own score and explanation. Pairs with a record this round merges are left
  out (its survivor's own pairs stand for it), and so are pairs with a survivor this round
  filled: the apply run's next round scores that survivor afresh, and queues its pairs then
  (`dedup.merge.runs.apply_in_transaction`). Pairs inside one held cluster are left out too;
- `held_cluster`: a cluster of merge-band pairs held back (too large, or more than one
  whitelisted record), with all its members.

Before queuing, open proposals whose records have since been merged or changed are closed as
'stale' (`close_stale_sql`). A proposal whose sorted trader_ids are already open is
not queued again, so a nightly re-run does not pile up duplicates; nor is one inside an active
never-merge decision (a rejection: its pairs are already out of the review band). Traders
rejected before and changed since are proposed again.
"""

from __future__ import annotations

import datetime as dt

from dedup.decisions import ACTIVE_NEVER_MERGE
from dedup.explain import explanation_query, rule_terms_sql
from dedup.rules.ruleset import RuleSet
from dedup.sql import SqlStep, quote_ident
from dedup.tables import StageTables


def close_stale_sql(closed_at: dt.datetime) -> SqlStep:
    """Close as 'stale' every open proposal one of whose records is no longer active (merged) or
    was changed after the proposal was made, with the reason."""
    return SqlStep("close stale proposals", """
        UPDATE proposals SET status = 'stale', closed_at = $closed_at, closed_reason = x.reason
        FROM (SELECT p.proposal_id,
                     CASE WHEN bool_or(t.trader_id IS NULL OR t.status <> 'active')
                          THEN 'merged: ' || string_agg(m.trader_id::VARCHAR, ', ' ORDER BY m.trader_id)
                                  FILTER (WHERE t.trader_id IS NULL OR t.status <> 'active')
                               || ' no longer active'
                          ELSE 'changed: ' || string_agg(m.trader_id::VARCHAR, ', ' ORDER BY m.trader_id)
                                  FILTER (WHERE t.updated_at > p.created_at)
                               || ' updated since proposed' END AS reason
              FROM proposals p, unnest(p.trader_ids) AS m(trader_id)
              LEFT JOIN traders t ON t.trader_id = m.trader_id
              WHERE p.status = 'open'
              GROUP BY p.proposal_id
              HAVING bool_or(t.trader_id IS NULL OR t.status <> 'active' OR t.updated_at > p.created_at)) x
        WHERE proposals.proposal_id = x.proposal_id
        RETURNING proposals.proposal_id""", {"closed_at": closed_at})


def queue_proposals_sqls(rules: RuleSet, run_id: int, created_at: dt.datetime,
                         tables: StageTables) -> list[SqlStep]:
    """Steps that insert this run's new proposals (after the plan, in the apply transaction).

    Args:
        rules: for the explanations' labels and the cluster size limit.
        run_id: the apply run queuing them.
        created_at: their creation time.
        tables: the run's stage tables: its scored pairs, its clusters (trader_id, cluster_id,
            component, size, held) and the plan built from them.
    """
    scored, clusters = quote_ident(tables.scored), quote_ident(tables.clusters)
    review_pairs, queue = quote_ident(tables.review_pairs), quote_ident(tables.proposal_queue)
    # Records that stay as they are after this round: not merged, not filled.
    unchanged = (f"SELECT c.trader_id, CASE WHEN c.held THEN c.component END AS held_component "
                 f"FROM {clusters} c "
                 f"ANTI JOIN {quote_ident(tables.plan)} p ON p.merged_id = c.trader_id "
                 f"ANTI JOIN {quote_ident(tables.apply_changes)} f ON f.survivor_id = c.trader_id")
    return [
        close_stale_sql(created_at),
        SqlStep("review pairs", f"""
            CREATE OR REPLACE TEMP TABLE {review_pairs} AS
            SELECT s.* FROM {scored} s
            JOIN ({unchanged}) l ON l.trader_id = s.left_id
            JOIN ({unchanged}) r ON r.trader_id = s.right_id
            WHERE s.band = 'review'
              AND (l.held_component IS NULL OR l.held_component IS DISTINCT FROM r.held_component)"""),
        rule_terms_sql(rules, tables),
        SqlStep("proposal queue", f"""
            CREATE OR REPLACE TEMP TABLE {queue} AS
            SELECT 'pair' AS kind, [p.left_id, p.right_id] AS trader_ids, p.score, e.explanation
            FROM {review_pairs} p
            JOIN ({explanation_query(rules, tables.review_pairs, tables)}) e
              ON e.left_id = p.left_id AND e.right_id = p.right_id
            UNION ALL
            SELECT 'held_cluster', list(c.trader_id ORDER BY c.trader_id), NULL,
                   to_json({{'reason': CASE WHEN count(*) > $max_size
                                            THEN 'cluster larger than max_cluster_size'
                                            WHEN max(c.hold_reason) IS NOT NULL THEN max(c.hold_reason)
                                            ELSE 'more than one whitelisted record' END,
                             'size': count(*), 'max_cluster_size': $max_size,
                             'edges': any_value(e.edges)}})
            FROM {clusters} c LEFT JOIN (
                -- the merge-band pairs that hold the cluster together, strongest first
                SELECT l.component, list({{'left_id': s.left_id, 'right_id': s.right_id,
                                          'score': round(s.score, 2)}}
                                         ORDER BY s.score DESC, s.left_id, s.right_id) AS edges
                FROM {scored} s JOIN {clusters} l ON l.trader_id = s.left_id
                JOIN {clusters} r ON r.trader_id = s.right_id
                WHERE s.band = 'merge' AND l.held AND l.component = r.component
                GROUP BY l.component) e USING (component)
            WHERE c.held GROUP BY c.component""", {"max_size": rules.max_cluster_size}),
        SqlStep("queue proposals", f"""
            INSERT INTO proposals (proposal_id, run_id, kind, trader_ids, score, explanation,
                                   status, created_at)
            SELECT (SELECT coalesce(max(proposal_id), 0) FROM proposals)
                       + row_number() OVER (ORDER BY q.kind, q.trader_ids),
                   $run_id, q.kind, q.trader_ids, q.score, q.explanation, 'open', $created_at
            FROM {queue} q
            WHERE NOT EXISTS (SELECT 1 FROM proposals o
                              WHERE o.trader_ids = q.trader_ids AND o.status = 'open')
              AND NOT EXISTS (SELECT 1 FROM ({ACTIVE_NEVER_MERGE}) d
                              WHERE list_contains(q.trader_ids, d.trader_id)
                              GROUP BY d.decision_id HAVING count(*) = len(q.trader_ids))""",
                {"run_id": run_id, "created_at": created_at}),
    ]
