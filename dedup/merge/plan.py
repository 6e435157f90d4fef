"""The merge plan: who survives each cluster, who is merged into whom, why, and what fields move.

One plan, three consumers: `dedup run --apply` applies it, an accepted review proposal will go
through the same code, and as it writes only temp tables a read-only dry run can build and show
it. The input is any table of groups (`trader_id, group_id`), so clusters can come from a
pipeline run, a review decision or a test. Everything is set-based SQL into temp tables:

- `__dedup__plan_ranked`: every active member of a group with its survivor rank;
- `__dedup__plan`: one row per record to merge (merged_id, survivor_id, group_id, rank, score,
  explanation, merged_record = the trader row as it is now);
- `__dedup__plan_fills`: survivor fields to fill from a merged record (survivor_id, source_id,
  field, old_value, new_value): a survivor's missing value (`dedup.missing`: empty or a
  placeholder) takes the best-ranked merged record's value that is not missing.

A group is planned only with two or more active members and at most one whitelisted one (the
pipeline already holds such clusters; this is the second line of defence). Members that are no
longer active (merged by an earlier run) are ignored, so planning the same groups twice plans
nothing the second time.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from dedup.explain import explanation_sql, rule_terms_sql
from dedup.merge.survivor import rank_members_sql
from dedup.missing import MISSING_SQL_PARAMS, missing_sql
from dedup.rules.merging import FILLABLE_FIELDS
from dedup.rules.ruleset import RuleSet
from dedup.sql import Runner, SqlStep, quote_ident

GROUPS = "__dedup__merge_groups"
MEMBERS = "__dedup__plan_members"
RANKED = "__dedup__plan_ranked"
PLAN = "__dedup__plan"
PAIRS = "__dedup__plan_pairs"
PAIR_ROWS = "__dedup__plan_pair_rows"
FILLS = "__dedup__plan_fills"


@dataclass(frozen=True)
class MergePlan:
    """A plan built on a connection: its tables, and what it was built with.

    Args:
        rules: the rule set (its name and hash go into the audit).
        today: the date survivor choice counted active tracks and certificates on.
        table: one row per record to merge.
        fills: survivor fields to fill.
    """

    rules: RuleSet
    today: dt.date
    table: str = PLAN
    fills: str = FILLS


def pipeline_groups_sql(clusters: str = "__dedup__clusters", output: str = GROUPS) -> SqlStep:
    """Groups to merge from a pipeline run: every component of merge-band pairs not held back."""
    return SqlStep("groups from clusters",
                   f"CREATE OR REPLACE TEMP TABLE {quote_ident(output)} AS "
                   f"SELECT trader_id, component AS group_id FROM {quote_ident(clusters)} "
                   f"WHERE component IS NOT NULL AND NOT held")


def plan_members_sql(groups: str) -> list[SqlStep]:
    """Active members of each group; refuses a trader placed in two groups."""
    return [
        SqlStep("plan members",
                f"CREATE OR REPLACE TEMP TABLE {MEMBERS} AS "
                f"SELECT DISTINCT g.trader_id, g.group_id AS component "
                f"FROM {quote_ident(groups)} g JOIN traders t USING (trader_id) "
                f"WHERE t.status = 'active'"),
        SqlStep("check one group per trader",
                f"SELECT error('trader ' || min(trader_id) || ' is in more than one group to merge') "
                f"FROM (SELECT trader_id FROM {MEMBERS} GROUP BY trader_id HAVING count(*) > 1) "
                f"HAVING count(*) > 0"),
    ]


def plan_rows_sql() -> SqlStep:
    """`__dedup__plan` without explanations: every ranked member below rank 1 of a valid group."""
    return SqlStep("plan merges", f"""
        CREATE OR REPLACE TEMP TABLE {PLAN} AS
        WITH valid AS (
            SELECT component FROM {RANKED} GROUP BY component
            HAVING count(*) > 1 AND count(*) FILTER (WHERE whitelisted) <= 1),
        ranked AS (
            SELECT r.trader_id, r.component, r.rank,
                   first_value(r.trader_id) OVER (PARTITION BY r.component ORDER BY r.rank) AS survivor_id
            FROM {RANKED} r SEMI JOIN valid USING (component))
        SELECT r.trader_id AS merged_id, r.survivor_id, r.component AS group_id, r.rank,
               NULL::DOUBLE AS score, NULL::JSON AS explanation, to_json(t) AS merged_record
        FROM ranked r JOIN traders t ON t.trader_id = r.trader_id
        WHERE r.rank > 1""")


def explained_pairs_sql(scored: str) -> list[SqlStep]:
    """For each planned merge, the scored pair that explains it (`__dedup__plan_pairs`), and
    those pairs' own scored rows (`__dedup__plan_pair_rows`).

    The pair to the survivor if it is in the merge band; else the highest-scoring merge-band
    pair to any member of the group; else (a group from review) the best review-band pair.
    Two equi-joins (merged record on the left, then on the right) instead of one OR join, so
    DuckDB can hash them.
    """
    scored = quote_ident(scored)
    return [SqlStep("explained pairs", f"""
        CREATE OR REPLACE TEMP TABLE {PAIRS} AS
        WITH touching AS (
            SELECT p.merged_id, p.survivor_id, p.group_id, s.right_id AS other_id,
                   s.left_id, s.right_id, s.band, s.score
            FROM {PLAN} p JOIN {scored} s ON s.left_id = p.merged_id
            WHERE s.band IN ('merge', 'review')
            UNION ALL
            SELECT p.merged_id, p.survivor_id, p.group_id, s.left_id AS other_id,
                   s.left_id, s.right_id, s.band, s.score
            FROM {PLAN} p JOIN {scored} s ON s.right_id = p.merged_id
            WHERE s.band IN ('merge', 'review')),
        chosen AS (
            SELECT t.merged_id, t.left_id, t.right_id FROM touching t
            JOIN {MEMBERS} m ON m.trader_id = t.other_id AND m.component = t.group_id
            QUALIFY row_number() OVER (PARTITION BY t.merged_id ORDER BY
                (t.band = 'merge' AND t.other_id = t.survivor_id) DESC, (t.band = 'merge') DESC,
                t.score DESC, t.other_id ASC) = 1)
        SELECT merged_id, left_id, right_id FROM chosen"""),
        # The pairs' own rows, once each (two merged records may share one explaining pair).
        SqlStep("explained pair rows",
                f"CREATE OR REPLACE TEMP TABLE {PAIR_ROWS} AS SELECT s.* FROM {scored} s "
                f"SEMI JOIN {PAIRS} c ON s.left_id = c.left_id AND s.right_id = c.right_id")]


def attach_explanations_sql(rules: RuleSet) -> list[SqlStep]:
    """Put each explained pair's score and explanation JSON on its plan row."""
    return [*rule_terms_sql(rules), SqlStep("attach explanations", f"""
        UPDATE {PLAN} SET score = x.score, explanation = x.explanation
        FROM (SELECT c.merged_id, s.score, e.explanation FROM {PAIRS} c
              JOIN {PAIR_ROWS} s ON s.left_id = c.left_id AND s.right_id = c.right_id
              JOIN ({explanation_sql(rules, PAIR_ROWS)}) e
                ON e.left_id = c.left_id AND e.right_id = c.right_id) x
        WHERE {PLAN}.merged_id = x.merged_id""")]


def fills_sql(fields: tuple[str, ...]) -> list[SqlStep]:
    """`__dedup__plan_fills`: for each survivor and each configured field whose value is missing
    (`dedup.missing`: NULL, blank, or a placeholder such as "N/A", "TBC", "-"), the value of the
    best-ranked merged record whose own value is not missing.

    So a placeholder never fills a survivor, and a survivor's own "N/A" counts as empty: it takes
    a merged record's real value. `old_value` keeps what the survivor had ("N/A" included), so
    an undo puts back exactly that. Taking the next-best record (by survivor rank) makes the
    choice deterministic and prefers the record that would have survived in the survivor's place.
    """
    steps = [SqlStep("create fills",
                     f"CREATE OR REPLACE TEMP TABLE {FILLS} (survivor_id BIGINT, source_id BIGINT, "
                     f"field VARCHAR, old_value VARCHAR, new_value VARCHAR)")]
    for field in fields:
        if field not in FILLABLE_FIELDS:  # the rule loader checks this; never splice an unknown name
            raise ValueError(f"not a fillable field: {field!r}")
        col = quote_ident(field)
        steps.append(SqlStep(f"fill {field}", f"""
            INSERT INTO {FILLS}
            SELECT p.survivor_id, arg_min(p.merged_id, p.rank), $field, any_value(sv.{col}),
                   arg_min(mt.{col}, p.rank)
            FROM {PLAN} p
            JOIN traders sv ON sv.trader_id = p.survivor_id
            JOIN traders mt ON mt.trader_id = p.merged_id
            WHERE {missing_sql(f"sv.{col}")} AND NOT {missing_sql(f"mt.{col}")}
            GROUP BY p.survivor_id""", {"field": field, **MISSING_SQL_PARAMS}))
    return steps


def merge_plan_sql(rules: RuleSet, groups: str, *, today: dt.date,
                   scored: str | None = None) -> list[SqlStep]:
    """Every step that builds the plan tables from a groups table.

    Args:
        rules: survivor order and fields to fill come from `rules.merge`.
        groups: a table of (trader_id, group_id): the records to merge together.
        today: the date on which a track or certificate counts as active.
        scored: a table shaped like `__dedup__scored` to explain merges with; None leaves
            score and explanation empty (groups given directly).
    """
    steps = [*plan_members_sql(groups),
             rank_members_sql(MEMBERS, RANKED, today, rules.merge.survivor_order),
             plan_rows_sql()]
    if scored is not None:
        steps += [*explained_pairs_sql(scored), *attach_explanations_sql(rules)]
    steps += fills_sql(rules.merge.fill_missing_fields)
    return steps


def merge_plan(runner: Runner, rules: RuleSet, groups: str, *, today: dt.date,
               scored: str | None = None) -> MergePlan:
    """Build the plan tables on the runner's connection (writes nothing but temp tables).

    Args:
        runner: the store's runner.
        rules: the rule set to plan with.
        groups: a table of (trader_id, group_id).
        today: the date on which a track or certificate counts as active.
        scored: optional scored pairs to explain the merges with.
    """
    runner.run(merge_plan_sql(rules, groups, today=today, scored=scored))
    return MergePlan(rules=rules, today=today)
