"""Why a proposal is in the review queue, in a few words (`proposals.reason`).

- `review band`: a pair whose score lies between the review and merge thresholds;
- `hard rule NAME`: a pair that scored into the merge band but that a `review_only` hard rule
  (`different_postcode`, `different_house_number`, ...) keeps for review;
- `held: WHY`: a cluster of merge-band pairs held back (larger than max_cluster_size, more than
  one whitelisted record, a never-merge decision or a keep-apart hard rule inside it).

An apply run writes it on the proposals it queues (`proposal_reasons_sql`, with its own merge
threshold); schema migration 6 fills it on older proposals (`BACKFILL_REASONS`), reading the
threshold from the text of the run's rule set where the store kept it.
"""

from __future__ import annotations

from dedup.sql import SqlStep

__all__ = ["BACKFILL_REASONS", "proposal_reasons_sql", "reason_expr"]


def reason_expr(merge_threshold: str) -> str:
    """The reason of a proposal row (columns kind, score, explanation) as SQL, given the merge
    threshold as an SQL expression (NULL when unknown: a fired review-only rule then counts)."""
    fired = ("list_transform(list_filter(from_json(explanation -> '$.hard_rules', "
             "'[{\"rule\": \"VARCHAR\", \"effect\": \"VARCHAR\"}]'), "
             "lambda h: h.effect = 'review_only'), lambda h: h.rule)")
    return f"""CASE
        WHEN kind = 'held_cluster' THEN 'held: ' || coalesce(explanation ->> '$.reason', 'cluster held back')
            || CASE WHEN explanation ->> '$.reason' = 'cluster larger than max_cluster_size'
                    THEN ' (' || (explanation ->> '$.size') || ' > ' || (explanation ->> '$.max_cluster_size')
                         || ')' ELSE '' END
        WHEN coalesce(len({fired}), 0) > 0 AND ({merge_threshold} IS NULL OR score >= {merge_threshold})
            THEN 'hard rule ' || array_to_string({fired}, ', ')
        ELSE 'review band' END"""


def proposal_reasons_sql(run_id: int, merge_threshold: float) -> SqlStep:
    """Write the reason of every proposal `run_id` queued (in the apply's transaction)."""
    return SqlStep("proposal reasons",
                   f"UPDATE proposals SET reason = {reason_expr('$merge')} "
                   f"WHERE run_id = $run_id AND reason IS NULL",
                   {"run_id": run_id, "merge": merge_threshold})


#: Migration 6: the reason of proposals queued before it was stored, with the merge threshold of
#: the rule set their run used (read from its kept text; unknown for a rule set built in code).
BACKFILL_REASONS = (SqlStep("proposal reasons of older proposals", f"""
    UPDATE proposals SET reason = {reason_expr('t.merge_threshold')}
    FROM (SELECT r.run_id,
                 TRY_CAST(regexp_extract(s.text, '(?m)^\\s*merge\\s*=\\s*([0-9.eE+-]+)', 1) AS DOUBLE)
                     AS merge_threshold
          FROM runs r LEFT JOIN rule_sets s USING (rules_hash)) t
    WHERE proposals.run_id = t.run_id AND proposals.reason IS NULL"""),
    SqlStep("proposal reasons without their run",
            f"UPDATE proposals SET reason = {reason_expr('NULL')} WHERE reason IS NULL"))
