"""The merge plan: who survives each cluster, who is merged into whom, why, and what fields move.

One plan, three consumers: `dedup run --apply` applies it, an accepted review proposal will go
through the same code, and as it writes only temp tables a read-only dry run can build and show
it. The input is any table of groups (`trader_id, group_id`), so clusters can come from a
pipeline run, a review decision or a test. Everything is set-based SQL into temp tables (named
by a `dedup.tables.StageTables`):

- `plan_ranked`: every active member of a group with its survivor rank;
- `plan`: one row per record to merge (merged_id, survivor_id, group_id, rank, score,
  explanation, merged_record = the trader row as it is now);
- `plan_fills`: survivor fields to fill from a merged record (survivor_id, source_id,
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

from dedup.explain import explanation_query, rule_terms_sql
from dedup.missing import MISSING_SQL_PARAMS, missing_condition
from dedup.rules.merging import FILLABLE_FIELDS
from dedup.rules.ruleset import RuleSet
from dedup.sql import Runner, SqlStep, quote_ident
from dedup.survivor import rank_members_sql
from dedup.tables import StageTables


@dataclass(frozen=True)
class MergePlan:
    """A plan built on a connection: its tables, and what it was built with.

    Args:
        rules: the rule set (its name and hash go into the audit).
        today: the date survivor choice counted active tracks and certificates on.
        tables: the temp tables it was built in.
    """

    rules: RuleSet
    today: dt.date
    tables: StageTables

    @property
    def table(self) -> str:
        """One row per record to merge."""
        return self.tables.plan

    @property
    def fills(self) -> str:
        """Survivor fields to fill."""
        return self.tables.plan_fills


def pipeline_groups_sql(clusters: str, output: str) -> SqlStep:
    """Groups to merge from a pipeline run's `clusters`: every component of merge-band pairs not
    held back."""
    return SqlStep("groups from clusters",
                   f"CREATE OR REPLACE TEMP TABLE {quote_ident(output)} AS "
                   f"SELECT trader_id, component AS group_id FROM {quote_ident(clusters)} "
                   f"WHERE component IS NOT NULL AND NOT held")


def plan_members_sqls(groups: str, tables: StageTables) -> list[SqlStep]:
    """Active members of each group; refuses a trader placed in two groups."""
    members = quote_ident(tables.plan_members)
    return [
        SqlStep("plan members",
                f"CREATE OR REPLACE TEMP TABLE {members} AS "
                f"SELECT DISTINCT g.trader_id, g.group_id AS component "
                f"FROM {quote_ident(groups)} g JOIN traders t USING (trader_id) "
                f"WHERE t.status = 'active'"),
        SqlStep("check one group per trader",
                f"SELECT error('trader ' || min(trader_id) || ' is in more than one group to merge') "
                f"FROM (SELECT trader_id FROM {members} GROUP BY trader_id HAVING count(*) > 1) "
                f"HAVING count(*) > 0"),
    ]


def plan_rows_sql(tables: StageTables) -> SqlStep:
    """`tables.plan` without explanations: every ranked member below rank 1 of a valid group."""
    ranked = quote_ident(tables.plan_ranked)
    return SqlStep("plan merges", f"""
        CREATE OR REPLACE TEMP TABLE {quote_ident(tables.plan)} AS
        WITH valid AS (
            SELECT component FROM {ranked} GROUP BY component
            HAVING count(*) > 1 AND count(*) FILTER (WHERE whitelisted) <= 1),
        ranked AS (
            SELECT r.trader_id, r.component, r.rank,
                   first_value(r.trader_id) OVER (PARTITION BY r.component ORDER BY r.rank) AS survivor_id
            FROM {ranked} r SEMI JOIN valid USING (component))
        SELECT r.trader_id AS merged_id, r.survivor_id, r.component AS group_id, r.rank,
               NULL::DOUBLE AS score, NULL::JSON AS explanation, to_json(t) AS merged_record
        FROM ranked r JOIN traders t ON t.trader_id = r.trader_id
        WHERE r.rank > 1""")


def explained_pairs_sqls(scored: str, tables: StageTables) -> list[SqlStep]:
    """For each planned merge, the scored pair that explains it (`tables.plan_pairs`), and
    those pairs' own scored rows (`tables.plan_pair_rows`).

    The pair to the survivor if it is in the merge band; else the highest-scoring merge-band
    pair to any member of the group; else (a group from review) the best review-band pair.
    Two equi-joins (merged record on the left, then on the right) instead of one OR join, so
    DuckDB can hash them.
    """
    scored, plan = quote_ident(scored), quote_ident(tables.plan)
    pairs, pair_rows = quote_ident(tables.plan_pairs), quote_ident(tables.plan_pair_rows)
    return [SqlStep("explained pairs", f"""
        CREATE OR REPLACE TEMP TABLE {pairs} AS
        WITH touching AS (
            SELECT p.merged_id, p.survivor_id, p.group_id, s.right_id AS other_id,
                   s.left_id, s.right_id, s.band, s.score
            FROM {plan} p JOIN {scored} s ON s.left_id = p.merged_id
            WHERE s.band IN ('merge', 'review')
            UNION ALL
            SELECT p.merged_id, p.survivor_id, p.group_id, s.left_id AS other_id,
                   s.left_id, s.right_id, s.band, s.score
            FROM {plan} p JOIN {scored} s ON s.right_id = p.merged_id
            WHERE s.band IN ('merge', 'review')),
        chosen AS (
            SELECT t.merged_id, t.left_id, t.right_id FROM touching t
            JOIN {quote_ident(tables.plan_members)} m ON m.trader_id = t.other_id AND m.component = t.group_id
            QUALIFY row_number() OVER (PARTITION BY t.merged_id ORDER BY
                (t.band = 'merge' AND t.other_id = t.survivor_id) DESC, (t.band = 'merge') DESC,
                t.score DESC, t.other_id ASC) = 1)
        SELECT merged_id, left_id, right_id FROM chosen"""),
        # The pairs' own rows, once each (two merged records may share one explaining pair).
        SqlStep("explained pair rows",
                f"CREATE OR REPLACE TEMP TABLE {pair_rows} AS SELECT s.* FROM {scored} s "
                f"SEMI JOIN {pairs} c ON s.left_id = c.left_id AND s.right_id = c.right_id")]


def attach_explanations_sqls(rules: RuleSet, tables: StageTables) -> list[SqlStep]:
    """Put each explained pair's score and explanation JSON on its plan row."""
    plan = quote_ident(tables.plan)
    return [rule_terms_sql(rules, tables), SqlStep("attach explanations", f"""
        UPDATE {plan} SET score = x.score, explanation = x.explanation
        FROM (SELECT c.merged_id, s.score, e.explanation FROM {quote_ident(tables.plan_pairs)} c
              JOIN {quote_ident(tables.plan_pair_rows)} s ON s.left_id = c.left_id AND s.right_id = c.right_id
              JOIN ({explanation_query(rules, tables.plan_pair_rows, tables)}) e
                ON e.left_id = c.left_id AND e.right_id = c.right_id) x
        WHERE {plan}.merged_id = x.merged_id""")]


def fills_sqls(fields: tuple[str, ...], tables: StageTables) -> list[SqlStep]:
    """`tables.plan_fills`: for each survivor and each configured field whose value is missing
    (`dedup.missing`: NULL, blank, or a placeholder such as "N/A", "TBC", "-"), the value of the
    best-ranked merged record whose own value is not missing.

    So a placeholder never fills a survivor, and a survivor's own "N/A" counts as empty: it takes
    a merged record's real value. `old_value` keeps what the survivor had ("N/A" included), so
    an undo puts back exactly that. Taking the next-best record (by survivor rank) makes the
    choice deterministic and prefers the record that would have survived in the survivor's place.
    """
    fills = quote_ident(tables.plan_fills)
    steps = [SqlStep("create fills",
                     f"CREATE OR REPLACE TEMP TABLE {fills} (survivor_id BIGINT, source_id BIGINT, "
                     f"field VARCHAR, old_value VARCHAR, new_value VARCHAR)")]
    for field in fields:
        if field not in FILLABLE_FIELDS:  # the rule loader checks this; never splice an unknown name
            raise ValueError(f"not a fillable field: {field!r}")
        col = quote_ident(field)
        steps.append(SqlStep(f"fill {field}", f"""
            INSERT INTO {fills}
            SELECT p.survivor_id, arg_min(p.merged_id, p.rank), $field, any_value(sv.{col}),
                   arg_min(mt.{col}, p.rank)
            FROM {quote_ident(tables.plan)} p
            JOIN traders sv ON sv.trader_id = p.survivor_id
            JOIN traders mt ON mt.trader_id = p.merged_id
            WHERE {missing_condition(f"sv.{col}")} AND NOT {missing_condition(f"mt.{col}")}
            GROUP BY p.survivor_id""", {"field": field, **MISSING_SQL_PARAMS}))
    return steps


def chosen_survivor_sql(survivor: int, tables: StageTables) -> SqlStep:
    """Rank `survivor` first in its group (a reviewer's choice: `review accept --survivor`),
    the others after it in their order; a whitelisted member still comes first."""
    ranked = quote_ident(tables.plan_ranked)
    return SqlStep("chosen survivor", f"""
        UPDATE {ranked} SET rank = n.rank
        FROM (SELECT trader_id, row_number() OVER (
                  PARTITION BY component ORDER BY whitelisted DESC, trader_id = $survivor DESC, rank) AS rank
              FROM {ranked}) n
        WHERE {ranked}.trader_id = n.trader_id""", {"survivor": survivor})


def merge_plan_sqls(rules: RuleSet, groups: str, tables: StageTables, *, today: dt.date,
                    scored: str | None = None, survivor: int | None = None) -> list[SqlStep]:
    """Every step that builds the plan tables from a groups table.

    Args:
        rules: survivor order and fields to fill come from `rules.merge`.
        groups: a table of (trader_id, group_id): the records to merge together.
        today: the date on which a track or certificate counts as active.
        tables: the temp tables to build the plan in.
        today: the date on which a track or certificate counts as active.
        scored: a run's scored pairs (`RunResult.scored`) to explain merges with; None leaves
            score and explanation empty (groups given directly).
        survivor: a trader to survive its group whatever the survivor order says (None: the
            order decides).
    """
    steps = [*plan_members_sqls(groups, tables),
             rank_members_sql(tables.plan_members, tables.plan_ranked, today, rules.merge.survivor_order),
             *([chosen_survivor_sql(survivor, tables)] if survivor is not None else []),
             plan_rows_sql(tables)]
    if scored is not None:
        steps += [*explained_pairs_sqls(scored, tables), *attach_explanations_sqls(rules, tables)]
    steps += fills_sqls(rules.merge.fill_missing_fields, tables)
    return steps


def merge_plan(runner: Runner, rules: RuleSet, groups: str, *, today: dt.date,
               scored: str | None = None, tables: StageTables | None = None,
               survivor: int | None = None) -> MergePlan:
    """Build the plan tables on the runner's connection (writes nothing but temp tables).

    Args:
        runner: the store's runner.
        rules: the rule set to plan with.
        groups: a table of (trader_id, group_id).
        today: the date on which a track or certificate counts as active.
        scored: optional scored pairs to explain the merges with.
        tables: the temp tables to build the plan in (default `StageTables()`).
        survivor: a trader to survive its group whatever the survivor order says.
    """
    tables = tables or StageTables()
    runner.run(merge_plan_sqls(rules, groups, tables, today=today, scored=scored, survivor=survivor))
    return MergePlan(rules=rules, today=today, tables=tables)
